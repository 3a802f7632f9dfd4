"""The settings pages: the tenant's app (directors), each unit's OA connection with OAuth v4 + PKCE."""
import urllib.request
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from sqlalchemy import select

from core import audit
from core.extensions import db
from zalo import oauth
from zalo.client import OAUTH_TOKEN_PATH, code_challenge_for
from zalo.models import OaConnection, ZaloApp

from .conftest import APP_ID, APP_SECRET, OA_SECRET_KEY


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args):
        return None


def _consent(url):
    """Open Zalo's (the fake's) consent page; it answers with a redirect to our callback."""
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        opener.open(url)
    except urllib.error.HTTPError as redirect:
        assert redirect.code == 302
        return redirect.headers["Location"]
    raise AssertionError("the consent page did not redirect")


def _local(url):
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def test_directors_configure_the_app_and_never_see_the_secrets_again(client, login_as, tenant_a, in_tenant):
    token = login_as("director")
    page = client.get("/app/zalo")
    assert page.status_code == 200 and "http://127.0.0.1:5000/webhooks/zalo" in page.get_data(as_text=True)
    saved = client.post("/app/zalo/app", data={"csrf_token": token, "app_id": APP_ID, "app_secret": APP_SECRET,
                                               "oa_secret_key": OA_SECRET_KEY}, follow_redirects=True)
    html = saved.get_data(as_text=True)
    assert "Đã lưu cấu hình" in html and APP_SECRET not in html and OA_SECRET_KEY not in html
    assert "…real" in html and "…Z1aB" in html
    # leaving the secrets empty keeps them
    client.post("/app/zalo/app", data={"csrf_token": token, "app_id": APP_ID, "app_secret": "", "oa_secret_key": ""})
    with in_tenant(tenant_a):
        app = db.session.execute(select(ZaloApp)).scalar_one()
        assert app.app_secret == APP_SECRET and app.oa_secret_key == OA_SECRET_KEY
    refused = client.post("/app/zalo/app", data={"csrf_token": token, "app_id": "x1"}, follow_redirects=True)
    assert "App ID" in refused.get_data(as_text=True)


def test_officers_have_no_zalo_settings(client, login_as):
    login_as("officer")
    assert client.get("/app/zalo").status_code == 403


def test_unit_admins_connect_units_of_their_subtree_only(client, login_as, tenant_a, tenant_b):
    token = login_as("unit_admin")
    page = client.get("/app/zalo")
    assert page.status_code == 200 and 'name="app_secret"' not in page.get_data(as_text=True)
    assert client.post("/app/zalo/app", data={"csrf_token": token, "app_id": APP_ID}).status_code == 403
    assert client.get(f"/app/zalo/units/{tenant_a.units['commune'].id}").status_code == 200
    assert client.get(f"/app/zalo/units/{tenant_a.units['department'].id}").status_code == 404
    assert client.get(f"/app/zalo/units/{tenant_b.units['commune'].id}").status_code == 404


@pytest.fixture
def admin(client, login_as, channel, fake):
    return login_as("unit_admin")


def test_the_oauth_flow_connects_the_oa(client, admin, channel, fake):
    unit_id = channel.unit_id
    started = client.post(f"/app/zalo/units/{unit_id}/connect", data={"csrf_token": admin})
    assert started.status_code == 302
    consent = started.headers["Location"]
    query = parse_qs(urlsplit(consent).query)
    assert consent.startswith(fake.base_url + "/v4/oa/permission") and query["app_id"] == [APP_ID]
    assert query["redirect_uri"] == ["http://127.0.0.1:5000/app/zalo/callback"] and query["state"]
    callback = _consent(consent)
    done = client.get(_local(callback), follow_redirects=True)
    assert "Đã kết nối Zalo OA" in done.get_data(as_text=True)
    [exchange] = [r for r in fake.requests if r.path == OAUTH_TOKEN_PATH]
    assert exchange.form()["grant_type"] == "authorization_code"
    assert code_challenge_for(exchange.form()["code_verifier"]) == query["code_challenge"][0]
    with channel.scope():
        connection = db.session.execute(select(OaConnection)).scalar_one()
        assert connection.connected and connection.oauth_verifier_enc is None and connection.oauth_state_hash is None
        assert b"access" not in connection.access_token_enc
        assert db.session.execute(select(audit.AuditLog).where(audit.AuditLog.action == "zalo.connect")
                                  ).scalar_one().details == {"oa_id": channel.oa_id}
    # the code is single-use: replaying the callback changes nothing and says so
    replay = client.get(_local(callback), follow_redirects=True)
    assert "không hợp lệ hoặc đã hết hạn" in replay.get_data(as_text=True)


def test_a_callback_for_another_oa_is_refused_in_vietnamese(client, admin, channel, fake):
    started = client.post(f"/app/zalo/units/{channel.unit_id}/connect", data={"csrf_token": admin})
    callback = _consent(started.headers["Location"]).replace(channel.oa_id, "2871465093512279999")
    page = client.get(_local(callback), follow_redirects=True).get_data(as_text=True)
    assert "khác OA đã liên kết" in page
    with channel.scope():
        assert not db.session.execute(select(OaConnection)).scalar_one().connected


def test_a_denied_or_forged_callback_connects_nothing(client, admin, channel, fake):
    forged = client.get("/app/zalo/callback?" + urlencode({"code": "x", "oa_id": channel.oa_id, "state": "1.x"}),
                        follow_redirects=True)
    assert "không hợp lệ" in forged.get_data(as_text=True)
    started = client.post(f"/app/zalo/units/{channel.unit_id}/connect", data={"csrf_token": admin})
    state = parse_qs(urlsplit(started.headers["Location"]).query)["state"][0]
    denied = client.get("/app/zalo/callback?" + urlencode({"state": state}), follow_redirects=True)
    assert "chưa cấp quyền" in denied.get_data(as_text=True)
    assert not [r for r in fake.requests if r.path == OAUTH_TOKEN_PATH]


def test_a_console_generated_link_is_checked_then_opened(client, admin, channel, fake):
    unit_id = channel.unit_id
    client.post(f"/app/zalo/units/{unit_id}/prepare", data={"csrf_token": admin})
    with channel.scope():
        challenge = oauth.pending_challenge(db.session.execute(select(OaConnection)).scalar_one())
    assert challenge in client.get(f"/app/zalo/units/{unit_id}").get_data(as_text=True)
    link = fake.base_url + "/v4/oa/permission?" + urlencode({
        "app_id": APP_ID, "redirect_uri": "http://127.0.0.1:5000/app/zalo/callback",
        "code_challenge": challenge, "state": "console-made-state"})
    wrong = link.replace(challenge, "A" * 43)
    refused = client.post(f"/app/zalo/units/{unit_id}/paste", data={"csrf_token": admin, "link": wrong},
                          follow_redirects=True)
    assert "code_challenge" in refused.get_data(as_text=True)
    opened = client.post(f"/app/zalo/units/{unit_id}/paste", data={"csrf_token": admin, "link": link})
    assert opened.status_code == 302 and opened.headers["Location"] == link
    done = client.get(_local(_consent(link)), follow_redirects=True)
    assert "Đã kết nối Zalo OA" in done.get_data(as_text=True)


def test_a_pasted_callback_address_connects_directly(client, admin, channel, fake):
    unit_id = channel.unit_id
    client.post(f"/app/zalo/units/{unit_id}/prepare", data={"csrf_token": admin})
    with channel.scope():
        challenge = oauth.pending_challenge(db.session.execute(select(OaConnection)).scalar_one())
    code = fake.grant_consent(code_challenge=challenge, oa_id=channel.oa_id)
    landed = "https://ket-noi.example/app/zalo/callback?" + urlencode({"code": code, "oa_id": channel.oa_id})
    done = client.post(f"/app/zalo/units/{unit_id}/paste", data={"csrf_token": admin, "link": landed},
                       follow_redirects=True)
    assert "Đã kết nối Zalo OA" in done.get_data(as_text=True)
    garbage = client.post(f"/app/zalo/units/{unit_id}/paste", data={"csrf_token": admin, "link": "hello"},
                          follow_redirects=True)
    assert "Hãy dán nguyên liên kết" in garbage.get_data(as_text=True)


def test_connecting_needs_the_app_first(client, login_as, tenant_a):
    token = login_as("unit_admin")
    unit_id = tenant_a.units["commune"].id
    page = client.post(f"/app/zalo/units/{unit_id}/connect", data={"csrf_token": token}, follow_redirects=True)
    assert "cấu hình ứng dụng Zalo" in page.get_data(as_text=True)


def test_directors_find_units_by_search_and_unit_admins_see_theirs(client, login_as, channel, app_ctx):
    login_as("director")
    page = client.get("/app/zalo").get_data(as_text=True)
    assert channel.oa_id in page and "Công an phường 7" not in page  # linked units only, until a search
    found = client.get("/app/zalo?q=phuong 7").get_data(as_text=True)
    assert "Công an phường 7" in found and "Công an phường 5" not in found
    other = app_ctx.test_client()
    from tests.conftest import login

    login(other, channel.tenant.users["unit_admin"].email)
    own = other.get("/app/zalo").get_data(as_text=True)
    assert "Công an phường 7" in own and "Công an huyện Càng Long" not in own
