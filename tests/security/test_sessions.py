"""Findings 5 and 24 of the hostile review: a copied session cookie kept working after sign-out, sessions had
no idle or absolute timeout, and the session and CSRF token carried over across sign-in."""
from datetime import timedelta

import time_machine

from core.timeutil import utcnow
from tests.conftest import login
from tests.security.conftest import csrf_of

COOKIE = "ketnoi_session"


def _copy_of_session(app, client):
    copy = app.test_client()
    copy.set_cookie(COOKIE, client.get_cookie(COOKIE).value)
    return copy


def test_a_copied_cookie_stops_working_at_sign_out(app_ctx, client, world):
    csrf = login(client, world["a"].users["director"].email)
    stolen = _copy_of_session(app_ctx, client)
    assert stolen.get("/app/tree").status_code == 200  # the copy works while the session lives
    assert client.post("/logout", data={"csrf_token": csrf}).status_code == 302
    assert stolen.get("/app/tree").status_code == 302
    assert stolen.get("/api/v1/me").status_code == 401
    login(client, world["a"].users["director"].email)  # and signing in again gives a new, working session
    assert client.get("/app/tree").status_code == 200


def test_an_idle_session_ends_after_the_configured_minutes(app_ctx, client, world):
    start = utcnow()
    with time_machine.travel(start, tick=False):
        login(client, world["a"].users["officer"].email)
    with time_machine.travel(start + timedelta(minutes=29), tick=False):
        assert client.get("/app/inbox").status_code == 200  # activity keeps it alive ...
    with time_machine.travel(start + timedelta(minutes=58), tick=False):
        assert client.get("/app/inbox").status_code == 200
    with time_machine.travel(start + timedelta(minutes=89), tick=False):  # ... 31 minutes of silence end it
        response = client.get("/app/inbox")
        assert response.status_code == 302 and "/login" in response.headers["Location"]
        assert client.get("/api/v1/me").status_code == 401


def test_the_idle_timeout_is_a_setting(app_ctx, client, world, monkeypatch):
    monkeypatch.setitem(app_ctx.config, "SESSION_IDLE_MINUTES", 5)
    start = utcnow()
    with time_machine.travel(start, tick=False):
        login(client, world["a"].users["officer"].email)
    with time_machine.travel(start + timedelta(minutes=6), tick=False):
        assert client.get("/app/inbox").status_code == 302


def test_a_session_ends_after_twelve_hours_however_active(app_ctx, client, world):
    start = utcnow()
    with time_machine.travel(start, tick=False):
        login(client, world["a"].users["officer"].email)
    for minutes in range(20, 12 * 60, 20):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert client.get("/api/v1/me").status_code == 200, minutes
    with time_machine.travel(start + timedelta(hours=12, minutes=1), tick=False):
        assert client.get("/api/v1/me").status_code == 401
        assert client.get("/app/inbox").status_code == 302


def test_signing_in_rotates_the_session_and_its_csrf_token(app_ctx, client, world):
    before = csrf_of(client.get("/login").get_data(as_text=True))
    anonymous_cookie = client.get_cookie(COOKIE).value
    signed_in = client.post("/login", data={"email": world["a"].users["officer"].email,
                                            "password": "test-password-123", "csrf_token": before})
    assert signed_in.status_code == 302
    # A cookie an attacker planted (or read) before sign-in does not become a signed-in session ...
    planted = app_ctx.test_client()
    planted.set_cookie(COOKIE, anonymous_cookie)
    assert planted.get("/app/inbox").status_code == 302
    # ... and the CSRF token of the page before sign-in no longer passes.
    refused = client.post("/app/account/tokens", data={"name": "thu", "csrf_token": before})
    assert refused.status_code == 403
    after = csrf_of(client.get("/app/account").get_data(as_text=True))
    assert client.post("/app/account/tokens", data={"name": "thu", "csrf_token": after}).status_code in (200, 302)
