"""Findings 10, 17, 22 and 23 of the hostile review: the Zalo webhook and the media fetcher.

10: a deeply nested JSON body answered 500 (RecursionError) on the webhook, before the signature check, and on
    the public tips API; the webhook had no rate limit.
17: the media fetcher accepted NAT64, IPv4-compatible and site-local IPv6 addresses.
22: a director could bind another tenant's Zalo app id and so block that tenant's onboarding.
23: the webhook accepted any timestamp, told a configured app id from an unknown one (404 vs 401) and re-read
    the keys on every forged request.
"""
import json
import socket
import time
from urllib.parse import urlsplit

import pytest
from sqlalchemy import event, select

from core.extensions import db
from core.tenancy import tenant_scope
from tests.zalo.conftest import APP_ID, APP_SECRET, OA_SECRET_KEY, setup_channel
from tests.zalo.conftest import event as fixture_event
from zalo.errors import MediaRefused
from zalo.media_fetch import MediaFetcher
from zalo.models import WebhookDelivery, ZaloApp
from zalo.signature import SIGNATURE_HEADER, signature_header_value
from zalo.simulate import build_body

DEEP = 100_000


def _deep(prefix):
    return prefix.encode() + b"[" * DEEP + b"]" * DEEP + b"}"


# --- finding 10 --------------------------------------------------------------------------------------------------


def test_deep_json_is_a_400_on_the_webhook(client):
    response = client.post("/webhooks/zalo", data=_deep('{"app_id": "1730512954321987654", "x": '),
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "bad_request"


@pytest.mark.parametrize("path", ["/api/v1/public/units/{unit}/tips", "/api/v1/public/tips/TV-AAAA-BBBB/messages"])
def test_deep_json_is_a_400_on_the_public_api(client, tenant_a, path):
    response = client.post(path.format(unit=tenant_a.units["commune"].id), data=_deep('{"description": '),
                           headers={"Content-Type": "application/json", "X-Tip-Secret": "x"})
    assert response.status_code == 400, response.status_code
    assert "fields" in response.get_json()["error"]


def test_the_webhook_is_rate_limited(limited_client):
    answers = [limited_client.post("/webhooks/zalo", data=json.dumps({"app_id": "999999999", "timestamp": "1"}),
                                   headers={"Content-Type": "application/json", SIGNATURE_HEADER: "mac=00"})
               .status_code for _ in range(70)]
    assert 429 in answers and set(answers) <= {401, 429}


# --- finding 23 --------------------------------------------------------------------------------------------------


@pytest.fixture
def window(app_ctx, monkeypatch):
    """Production's freshness window (the session's tests replay recorded events with their old timestamps)."""
    monkeypatch.setitem(app_ctx.config, "ZALO_WEBHOOK_MAX_AGE_SECONDS", 900)


def test_a_delivery_outside_the_freshness_window_is_refused(channel, window):
    old = build_body(fixture_event(1), channel.app_id, channel.oa_id)  # recorded in 2024
    assert channel.post(old).status_code == 401
    payload = json.loads(build_body(fixture_event(2), channel.app_id, channel.oa_id, fresh=True))
    payload["timestamp"] = str(int((time.time() + 3600) * 1000))  # an hour in the future
    assert channel.post(json.dumps(payload).encode()).status_code == 401
    with channel.scope():
        assert db.session.execute(select(WebhookDelivery)).first() is None
    fresh = build_body(fixture_event(1), channel.app_id, channel.oa_id, fresh=True)
    assert channel.post(fresh).status_code == 200


def test_an_unknown_app_and_a_bad_signature_get_the_same_answer(client, channel):
    body = build_body(fixture_event(1), channel.app_id, channel.oa_id)
    bad_signature = client.post("/webhooks/zalo", data=body, headers={
        "Content-Type": "application/json", SIGNATURE_HEADER: signature_header_value(APP_ID, body, "sai-khoa-bi-mat")})
    unknown = build_body(fixture_event(1), "1730512954320000000", channel.oa_id)
    unknown_app = client.post("/webhooks/zalo", data=unknown, headers={
        "Content-Type": "application/json", SIGNATURE_HEADER: signature_header_value("1730512954320000000", unknown,
                                                                                     OA_SECRET_KEY)})
    assert bad_signature.status_code == unknown_app.status_code == 401
    assert bad_signature.get_json() == unknown_app.get_json()


def test_forged_requests_do_not_read_the_keys_again_each_time(client, channel):
    body = build_body(fixture_event(1), channel.app_id, channel.oa_id)
    assert channel.post(body).status_code == 200  # the key is read and kept
    reads = []

    def count(_conn, _cursor, statement, *_args):
        if "FROM zalo_apps" in statement:
            reads.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        for number in range(20):
            forged = client.post("/webhooks/zalo", data=body, headers={
                "Content-Type": "application/json", SIGNATURE_HEADER: f"mac={number:064x}"})
            assert forged.status_code == 401
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(reads) <= 1, len(reads)


# --- finding 17 --------------------------------------------------------------------------------------------------


class _Resolver:
    def __init__(self, addresses):
        self.addresses = addresses

    def __call__(self, host, port):
        if host != "media.zdn.vn":
            raise socket.gaierror(socket.EAI_NONAME, "unknown")
        return self.addresses


@pytest.mark.parametrize("address", [
    "64:ff9b::a9fe:a9fe",  # NAT64 (well-known prefix) of the metadata address 169.254.169.254
    "64:ff9b::7f00:1",  # NAT64 of loopback
    "64:ff9b::a00:5",  # NAT64 of 10.0.0.5
    "64:ff9b:1::a00:5",  # NAT64, local-use prefix
    "::a9fe:a9fe",  # IPv4-compatible metadata address
    "::a00:5",  # IPv4-compatible private address
    "fec0::1",  # site-local
    "fec0::a00:5",
    "2001::a9fe:a9fe",  # Teredo
])
def test_addresses_that_lead_back_inside_are_refused(address):
    with pytest.raises(MediaRefused):
        MediaFetcher(["zdn.vn"], resolver=_Resolver([address])).fetch("https://media.zdn.vn/a.jpg")


# --- finding 22 --------------------------------------------------------------------------------------------------


def _consent_callback(fake, consent_url):
    import urllib.error
    import urllib.request

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args):
            return None

    try:
        urllib.request.build_opener(NoRedirect).open(consent_url)
    except urllib.error.HTTPError as redirect:
        parts = urlsplit(redirect.headers["Location"])
        return parts.path + "?" + parts.query
    raise AssertionError("no redirect from the consent page")


def test_another_tenant_cannot_claim_an_app_id_before_its_owner(app_ctx, client, world, run_jobs, fake):
    from tests.conftest import login

    a, b = world["a"], world["b"]
    squatter = app_ctx.test_client()
    csrf_b = login(squatter, b.users["director"].email)
    claimed = squatter.post("/app/zalo/app", follow_redirects=True, data={
        "csrf_token": csrf_b, "app_id": APP_ID, "app_secret": "doan-bua-bi-mat", "oa_secret_key": "khoa-tu-chon-1"})
    assert "chưa xác minh" in claimed.get_data(as_text=True).lower()
    # the owner onboards anyway: configuring, linking and connecting the OA through OAuth (Zalo checks the
    # app secret when the code is exchanged) proves the app is theirs
    channel = setup_channel(client, run_jobs, a, APP_ID, "2871465093512278311", app_secret=APP_SECRET)
    csrf_a = login(client, a.users["director"].email)
    started = client.post(f"/app/zalo/units/{channel.unit_id}/connect", data={"csrf_token": csrf_a})
    assert started.status_code == 302, started.get_data(as_text=True)[:300]
    done = client.get(_consent_callback(fake, started.headers["Location"]), follow_redirects=True)
    assert "Đã kết nối Zalo OA" in done.get_data(as_text=True)
    with tenant_scope(a.tenant_id):
        assert db.session.execute(select(ZaloApp.verified_at)).scalar_one() is not None
    with tenant_scope(b.tenant_id):
        assert db.session.execute(select(ZaloApp.verified_at)).scalar_one() is None
    # deliveries of the app reach its owner; the squatter's own signature opens nothing any more
    assert channel.deliver(fixture_event(1)).status_code == 200
    squatted = build_body(fixture_event(2), APP_ID, channel.oa_id)
    forged = client.post("/webhooks/zalo", data=squatted, headers={
        "Content-Type": "application/json", SIGNATURE_HEADER: signature_header_value(APP_ID, squatted,
                                                                                     "khoa-tu-chon-1")})
    assert forged.status_code == 401
    # and the app id, now proven, cannot be claimed again
    again = squatter.post("/app/zalo/app", follow_redirects=True, data={
        "csrf_token": csrf_b, "app_id": APP_ID, "app_secret": "doan-bua-bi-mat", "oa_secret_key": "khoa-tu-chon-1"})
    assert "đã được" in again.get_data(as_text=True)
