"""The Zalo client against the fake Zalo on loopback: happy paths and every scripted failure."""

import http.client
import logging
import socket
from urllib.parse import parse_qs, urlsplit

import pytest

from devtools.zalo_fake import DEFAULT_APP_ID, DEFAULT_APP_SECRET, FakeZalo
from zalo.client import (
    ARTICLE_CREATE_PATH,
    ARTICLE_VERIFY_PATH,
    CS_MESSAGE_PATH,
    OAUTH_TOKEN_PATH,
    TEXT_LIMIT,
    TokenPair,
    ZaloClient,
    code_challenge_for,
    make_code_verifier,
    split_text,
)
from zalo.errors import (
    ArticleProcessing,
    AuthorizationRejected,
    InvalidAccessToken,
    OutsideInteractionWindow,
    RateLimited,
    RecipientUnreachable,
    SetupRequired,
    ZaloError,
    ZaloUnavailable,
)

CITIZEN = "6104937285513340172"


@pytest.fixture
def fake():
    with FakeZalo() as server:
        yield server


@pytest.fixture
def client(fake):
    return ZaloClient(fake.base_url, fake.base_url, timeout=0.5)


@pytest.fixture
def token(fake):
    return fake.issue_tokens()["access_token"]


# PKCE and the consent URL


def test_code_verifier_has_43_url_safe_characters():
    verifier = make_code_verifier()
    assert len(verifier) == 43
    assert set(verifier) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert make_code_verifier() != verifier


def test_code_challenge_matches_rfc_7636_example():
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert code_challenge_for(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_authorization_url_carries_app_redirect_challenge_and_state():
    client = ZaloClient("https://openapi.zalo.me", "https://oauth.zaloapp.com/")
    url = client.authorization_url(DEFAULT_APP_ID, "https://ketnoi.example/zalo/callback?x=1", "abc", "s t")
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "oauth.zaloapp.com", "/v4/oa/permission")
    assert parse_qs(parts.query) == {
        "app_id": [DEFAULT_APP_ID],
        "redirect_uri": ["https://ketnoi.example/zalo/callback?x=1"],
        "code_challenge": ["abc"],
        "state": ["s t"],
    }


def test_fake_consent_page_redirects_back_with_a_code(fake, client):
    url = client.authorization_url(DEFAULT_APP_ID, "http://127.0.0.1:9/cb", code_challenge_for("v" * 43), "st4te")
    reply = _get_without_following(url)
    assert reply.status == 302
    callback = parse_qs(urlsplit(reply.getheader("Location")).query)
    assert callback["state"] == ["st4te"] and callback["oa_id"] == [fake.default_oa_id]
    pair = client.exchange_code(DEFAULT_APP_ID, DEFAULT_APP_SECRET, callback["code"][0], "v" * 43)
    assert pair.expires_in == 90000


# OAuth token exchange


def test_exchange_code_sends_the_secret_as_a_header_and_returns_a_pair(fake, client):
    verifier = make_code_verifier()
    code = fake.grant_consent(code_challenge=code_challenge_for(verifier))
    pair = client.exchange_code(DEFAULT_APP_ID, DEFAULT_APP_SECRET, code, verifier)
    assert pair.access_token and pair.refresh_token and pair.expires_in == 90000
    request = fake.requests[-1]
    assert request.path == OAUTH_TOKEN_PATH
    assert request.headers["secret_key"] == DEFAULT_APP_SECRET
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert request.form() == {
        "app_id": DEFAULT_APP_ID, "grant_type": "authorization_code", "code": code, "code_verifier": verifier
    }


def test_an_authorisation_code_works_once(fake, client):
    verifier = make_code_verifier()
    code = fake.grant_consent(code_challenge=code_challenge_for(verifier))
    client.exchange_code(DEFAULT_APP_ID, DEFAULT_APP_SECRET, code, verifier)
    with pytest.raises(AuthorizationRejected):
        client.exchange_code(DEFAULT_APP_ID, DEFAULT_APP_SECRET, code, verifier)


def test_a_wrong_code_verifier_is_rejected(fake, client):
    code = fake.grant_consent(code_challenge=code_challenge_for(make_code_verifier()))
    with pytest.raises(AuthorizationRejected) as caught:
        client.exchange_code(DEFAULT_APP_ID, DEFAULT_APP_SECRET, code, make_code_verifier())
    assert caught.value.code != 0


def test_a_wrong_app_secret_is_rejected(fake, client):
    verifier = make_code_verifier()
    code = fake.grant_consent(code_challenge=code_challenge_for(verifier))
    with pytest.raises(AuthorizationRejected):
        client.exchange_code(DEFAULT_APP_ID, "not-the-secret", code, verifier)


def test_refresh_rotates_the_pair_and_kills_the_old_access_token(fake, client):
    first = fake.issue_tokens()
    second = client.refresh_tokens(DEFAULT_APP_ID, DEFAULT_APP_SECRET, first["refresh_token"])
    assert second.refresh_token != first["refresh_token"]
    assert client.send_text(second.access_token, CITIZEN, "ok")
    with pytest.raises(InvalidAccessToken):
        client.send_text(first["access_token"], CITIZEN, "old token")


def test_a_refresh_token_used_twice_is_rejected(fake, client):
    refresh_token = fake.issue_tokens()["refresh_token"]
    client.refresh_tokens(DEFAULT_APP_ID, DEFAULT_APP_SECRET, refresh_token)
    with pytest.raises(AuthorizationRejected):
        client.refresh_tokens(DEFAULT_APP_ID, DEFAULT_APP_SECRET, refresh_token)


def test_oauth_rate_limit_is_rate_limited_not_a_rejection(fake, client):
    fake.fail_next(OAUTH_TOKEN_PATH, error=-32)
    with pytest.raises(RateLimited):
        client.refresh_tokens(DEFAULT_APP_ID, DEFAULT_APP_SECRET, fake.issue_tokens()["refresh_token"])


def test_oauth_server_error_is_unavailable_and_keeps_the_refresh_token(fake, client):
    refresh_token = fake.issue_tokens()["refresh_token"]
    fake.fail_next(OAUTH_TOKEN_PATH, http_status=500)
    with pytest.raises(ZaloUnavailable):
        client.refresh_tokens(DEFAULT_APP_ID, DEFAULT_APP_SECRET, refresh_token)
    assert client.refresh_tokens(DEFAULT_APP_ID, DEFAULT_APP_SECRET, refresh_token).access_token


def test_token_reply_without_tokens_is_an_error(fake, client):
    fake.fail_next(OAUTH_TOKEN_PATH, body=b'{"expires_in":"90000"}')
    with pytest.raises(ZaloError) as caught:
        client.refresh_tokens(DEFAULT_APP_ID, DEFAULT_APP_SECRET, "anything")
    assert type(caught.value) is ZaloError


def test_token_pair_repr_hides_the_tokens():
    pair = TokenPair(access_token="secret-access", refresh_token="secret-refresh", expires_in=90000)
    assert "secret" not in repr(pair)


# Consultation messages


def test_send_text_posts_a_cs_message_with_the_token_header(fake, client, token):
    ids = client.send_text(token, CITIZEN, "Công an phường đã tiếp nhận.", quote_message_id="7c41e09a5bd2f3068e1a")
    request = fake.requests[-1]
    assert request.path == CS_MESSAGE_PATH
    assert request.headers["access_token"] == token
    assert request.headers["content-type"] == "application/json"
    assert request.json() == {
        "recipient": {"user_id": CITIZEN},
        "message": {"text": "Công an phường đã tiếp nhận.", "quote_message_id": "7c41e09a5bd2f3068e1a"},
    }
    assert ids == [fake.sent_messages[-1]["message_id"]]


def test_a_long_reply_is_split_into_messages_zalo_accepts(fake, client, token):
    text = ("Đề nghị anh/chị mang căn cước đến trụ sở công an phường để làm việc. " * 80).strip()
    ids = client.send_text(token, CITIZEN, text, quote_message_id="q1")
    sent = [message["message"] for message in fake.sent_messages]
    assert len(ids) == len(sent) == 3
    assert "".join(message["text"] for message in sent) == text
    assert "quote_message_id" in sent[0] and all("quote_message_id" not in message for message in sent[1:])


def test_an_empty_reply_is_refused_before_calling_zalo(fake, client, token):
    with pytest.raises(ValueError):
        client.send_text(token, CITIZEN, "  \n")
    assert fake.requests == []


def test_a_failed_later_part_reports_the_parts_already_delivered(fake, client, token):
    fake.fail_next(CS_MESSAGE_PATH, delay=0.01)  # the first part goes through, merely late
    fake.fail_next(CS_MESSAGE_PATH, error=-230)
    with pytest.raises(OutsideInteractionWindow) as caught:
        client.send_text(token, CITIZEN, "x" * (TEXT_LIMIT + 1))
    assert caught.value.delivered_message_ids == (fake.sent_messages[0]["message_id"],)


def test_send_image_by_url_and_by_attachment_id(fake, client, token):
    client.send_image(token, CITIZEN, image_url="https://cdn.example/a.jpg", caption="Ảnh hiện trường")
    client.send_image(token, CITIZEN, attachment_id="att-1")
    by_url, by_attachment = (message["message"] for message in fake.sent_messages)
    assert by_url == {
        "text": "Ảnh hiện trường",
        "attachment": {"type": "template", "payload": {
            "template_type": "media", "elements": [{"media_type": "image", "url": "https://cdn.example/a.jpg"}]}},
    }
    assert by_attachment["attachment"]["payload"]["elements"] == [{"media_type": "image", "attachment_id": "att-1"}]


@pytest.mark.parametrize("sources", [{}, {"image_url": "https://a/b.jpg", "attachment_id": "x"}])
def test_send_image_needs_exactly_one_source(client, token, sources):
    with pytest.raises(ValueError):
        client.send_image(token, CITIZEN, **sources)


def test_an_unknown_access_token_is_invalid(client):
    with pytest.raises(InvalidAccessToken) as caught:
        client.send_text("not-a-token", CITIZEN, "hello")
    assert caught.value.code == -216


# Scripted failures: the class tells the caller what to do


@pytest.mark.parametrize(
    "code, expected",
    [
        (-216, InvalidAccessToken),
        (-220, InvalidAccessToken),
        (-230, OutsideInteractionWindow),
        (-232, OutsideInteractionWindow),
        (-213, RecipientUnreachable),
        (-227, RecipientUnreachable),
        (-244, RecipientUnreachable),
        (-32, RateLimited),
        (-223, SetupRequired),
        (-224, SetupRequired),
        (-201, ZaloError),
        (-240, ZaloError),
    ],
)
def test_zalo_error_codes_map_to_typed_errors(fake, client, token, code, expected):
    fake.fail_next(CS_MESSAGE_PATH, error=code)
    with pytest.raises(ZaloError) as caught:
        client.send_text(token, CITIZEN, "hello")
    assert type(caught.value) is expected
    assert caught.value.code == code and caught.value.http_status is None
    assert fake.sent_messages == []


def test_outside_window_is_a_kind_of_unreachable_recipient():
    assert issubclass(OutsideInteractionWindow, RecipientUnreachable)


def test_expired_token_then_refresh_and_retry_once_succeeds(fake, client):
    pair = fake.issue_tokens()
    fake.fail_next(CS_MESSAGE_PATH, error=-220)
    with pytest.raises(InvalidAccessToken):
        client.send_text(pair["access_token"], CITIZEN, "hello")
    fresh = client.refresh_tokens(DEFAULT_APP_ID, DEFAULT_APP_SECRET, pair["refresh_token"])
    assert client.send_text(fresh.access_token, CITIZEN, "hello")


@pytest.mark.parametrize("status", [500, 502, 503])
def test_http_5xx_is_unavailable(fake, client, token, status):
    fake.fail_next(CS_MESSAGE_PATH, http_status=status)
    with pytest.raises(ZaloUnavailable) as caught:
        client.send_text(token, CITIZEN, "hello")
    assert caught.value.http_status == status and caught.value.code is None


def test_http_429_is_rate_limited(fake, client, token):
    fake.fail_next(CS_MESSAGE_PATH, http_status=429)
    with pytest.raises(RateLimited):
        client.send_text(token, CITIZEN, "hello")


def test_other_http_errors_are_plain_errors(fake, client, token):
    fake.fail_next(CS_MESSAGE_PATH, http_status=403)
    with pytest.raises(ZaloError) as caught:
        client.send_text(token, CITIZEN, "hello")
    assert type(caught.value) is ZaloError and caught.value.http_status == 403


def test_a_redirect_is_not_followed(fake, client, token):
    fake.fail_next(CS_MESSAGE_PATH, http_status=302, body=b"")
    with pytest.raises(ZaloError) as caught:
        client.send_text(token, CITIZEN, "hello")
    assert caught.value.http_status == 302
    assert [request.path for request in fake.requests] == [CS_MESSAGE_PATH]


def test_a_slow_reply_times_out_as_unavailable(fake, client, token):
    fake.fail_next(CS_MESSAGE_PATH, delay=1.5)
    with pytest.raises(ZaloUnavailable):
        client.send_text(token, CITIZEN, "hello")


def test_a_slow_reply_within_the_timeout_succeeds(fake, client, token):
    fake.fail_next(CS_MESSAGE_PATH, delay=0.1)
    assert client.send_text(token, CITIZEN, "hello")


@pytest.mark.parametrize("body", [b"<html>maintenance</html>", b"[1, 2]"])
def test_a_reply_that_is_not_a_json_object_is_unavailable(fake, client, token, body):
    fake.fail_next(CS_MESSAGE_PATH, body=body)
    with pytest.raises(ZaloUnavailable):
        client.send_text(token, CITIZEN, "hello")


def test_a_closed_port_is_unavailable():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = ZaloClient(f"http://127.0.0.1:{port}", f"http://127.0.0.1:{port}", timeout=0.5)
    with pytest.raises(ZaloUnavailable):
        client.send_text("token", CITIZEN, "hello")


# Articles


ARTICLE = {
    "type": "normal",
    "title": "Cảnh báo thủ đoạn lừa đảo qua điện thoại",
    "author": "Công an phường 7",
    "description": "Không chuyển tiền cho người tự xưng là công an.",
    "cover": {"cover_type": "photo", "photo_url": "https://cdn.example/cover.jpg", "status": "show"},
    "body": [{"type": "text", "content": "<p>Công an không làm việc qua điện thoại.</p>"}],
    "status": "show",
    "comment": "hide",
}


def test_article_create_verify_update_remove(fake, client, token):
    article_id = client.verify_article(token, client.create_article(token, ARTICLE))
    assert fake.articles[article_id]["title"] == ARTICLE["title"]
    update_token = client.update_article(token, article_id, {**ARTICLE, "title": "Cảnh báo mới"})
    assert client.verify_article(token, update_token) == article_id
    assert fake.articles[article_id]["title"] == "Cảnh báo mới"
    client.remove_article(token, article_id)
    assert article_id not in fake.articles


def test_an_article_still_processing_says_so(fake, client, token):
    creation_token = client.create_article(token, ARTICLE)
    fake.fail_next(ARTICLE_VERIFY_PATH, error=-214)
    with pytest.raises(ArticleProcessing):
        client.verify_article(token, creation_token)
    assert client.verify_article(token, creation_token)


def test_article_quota_or_permission_needs_setup(fake, client, token):
    fake.fail_next(ARTICLE_CREATE_PATH, error=-223)
    with pytest.raises(SetupRequired):
        client.create_article(token, ARTICLE)


def test_removing_an_unknown_article_is_an_error(client, token):
    with pytest.raises(ZaloError) as caught:
        client.remove_article(token, "no-such-article")
    assert caught.value.code == -201


def test_a_success_reply_without_the_token_is_an_error(fake, client, token):
    fake.fail_next(ARTICLE_CREATE_PATH, body=b'{"data":{},"error":0,"message":"Success"}')
    with pytest.raises(ZaloError):
        client.create_article(token, ARTICLE)


# Text splitting and logging


def test_split_text_keeps_short_text_whole():
    assert split_text("Xin chào") == ["Xin chào"]


def test_split_text_prefers_line_breaks_then_spaces():
    text = "a" * 15 + "\n" + "b" * 3 + " " + "c" * 10
    assert split_text(text, limit=20) == ["a" * 15 + "\n", "b" * 3 + " " + "c" * 10]
    assert split_text("aaaa bbbb cccc", limit=10) == ["aaaa bbbb ", "cccc"]


def test_split_text_cuts_a_word_longer_than_the_limit():
    assert split_text("x" * 25, limit=10) == ["x" * 10, "x" * 10, "x" * 5]


def test_split_text_counts_an_emoji_as_two_units():
    parts = split_text("🚓" * 1500)
    assert [len(part) for part in parts] == [1000, 500]


def test_split_text_parts_fit_and_join_back():
    text = "Tố giác tội phạm về ma túy tại khu vực chợ. " * 200 + "🙏" * 30
    parts = split_text(text)
    assert "".join(parts) == text
    assert all(len(part.encode("utf-16-le")) // 2 <= TEXT_LIMIT for part in parts)


def test_logs_never_carry_tokens_texts_or_user_ids(fake, client, caplog):
    pair = fake.issue_tokens()
    caplog.set_level(logging.DEBUG, logger="zalo")
    client.send_text(pair["access_token"], CITIZEN, "Nội dung tố giác bí mật")
    fake.fail_next(CS_MESSAGE_PATH, error=-230)
    with pytest.raises(OutsideInteractionWindow):
        client.send_text(pair["access_token"], CITIZEN, "Nội dung tố giác bí mật")
    client.refresh_tokens(DEFAULT_APP_ID, DEFAULT_APP_SECRET, pair["refresh_token"])
    assert caplog.records
    logged = caplog.text
    for secret in (pair["access_token"], pair["refresh_token"], DEFAULT_APP_SECRET, CITIZEN, "tố giác"):
        assert secret not in logged


def _get_without_following(url):
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=2)
    connection.request("GET", f"{parts.path}?{parts.query}")
    reply = connection.getresponse()
    reply.read()
    connection.close()
    return reply
