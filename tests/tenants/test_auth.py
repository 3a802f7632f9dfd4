"""Sign-in, throttling, second factor, API tokens, CSRF on cookie-authenticated API writes."""
import re

import pyotp
import pytest
from sqlalchemy import select

from core.audit import AuditLog
from core.crypto import decrypt_text
from core.extensions import db
from core.tenancy import platform_scope
from tenants.models import User
from tests.conftest import PASSWORD, _csrf_from


def _login_form(client):
    return _csrf_from(client.get("/login").get_data(as_text=True))


def test_login_page_is_vietnamese_with_csrf_field(client):
    response = client.get("/login")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Đăng nhập" in html and 'name="csrf_token"' in html
    assert 'name="email"' in html and 'name="password"' in html


def test_home_redirects_to_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_login_without_csrf_token_is_refused(client, world):
    response = client.post("/login", data={"email": world["a"].users["director"].email, "password": PASSWORD})
    assert response.status_code == 403


def test_wrong_password_is_audited_without_saying_which_part_was_wrong(client, world, in_tenant, tenant_a):
    token = _login_form(client)
    email = world["a"].users["officer"].email
    response = client.post("/login", data={"email": email, "password": "wrong-password!", "csrf_token": token})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "E-mail hoặc mật khẩu không đúng." in html
    unknown = client.post("/login", data={"email": "nobody@x.vn", "password": "wrong-password!", "csrf_token": token})
    assert "E-mail hoặc mật khẩu không đúng." in unknown.get_data(as_text=True)
    with platform_scope():
        actions = db.session.execute(select(AuditLog.action, AuditLog.tenant_id).where(
            AuditLog.action == "auth.login_failed")).all()
    assert (("auth.login_failed", tenant_a.tenant_id) in actions) and (("auth.login_failed", None) in actions)


def test_repeated_failures_are_throttled_with_the_same_answer_for_unknown_accounts(client, world):
    token = _login_form(client)
    email = world["a"].users["auditor"].email
    for _ in range(5):
        client.post("/login", data={"email": email, "password": "bad-password-x", "csrf_token": token})
    blocked = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert blocked.status_code == 429 and blocked.headers["Retry-After"]
    assert "thử lại" in blocked.get_data(as_text=True)
    for _ in range(5):
        client.post("/login", data={"email": "ghost@x.vn", "password": "bad-password-x", "csrf_token": token})
    ghost = client.post("/login", data={"email": "ghost@x.vn", "password": "bad-password-x", "csrf_token": token})
    assert ghost.status_code == 429 and _without_csrf(ghost) == _without_csrf(blocked)


def _without_csrf(response):
    """The page as a user reads it (its CSRF token carries the second it was made in)."""
    return re.sub(r'content="[^"]+">', "", response.get_data(as_text=True))


def test_open_redirect_after_login_is_refused(client, world):
    token = _login_form(client)
    response = client.post("/login?next=https://evil.example/x", data={
        "email": world["a"].users["director"].email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_logout_ends_the_session(client, login_as):
    token = login_as("director")
    assert client.get("/app/tree").status_code == 200
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/app/tree").status_code == 302


def test_totp_is_required_for_directors_when_configured(app_ctx, client, world):
    app_ctx.config["REQUIRE_TOTP"] = True
    try:
        token = _login_form(client)
        response = client.post("/login", data={"email": world["a"].users["director"].email, "password": PASSWORD,
                                               "csrf_token": token})
        assert response.headers["Location"].endswith("/login/totp")
        assert client.get("/app/tree").status_code == 302  # not signed in yet
        page = client.get("/login/totp").get_data(as_text=True)
        with platform_scope():
            user = db.session.execute(select(User).where(User.id == world["a"].users["director"].id)).scalar_one()
            secret = decrypt_text(user.totp_secret)
        assert secret in page  # enrolment shows the key once
        csrf = _csrf_from(page)
        wrong = client.post("/login/totp", data={"code": "000000", "csrf_token": csrf})
        assert "Mã xác thực không đúng." in wrong.get_data(as_text=True)
        ok = client.post("/login/totp", data={"code": pyotp.TOTP(secret).now(), "csrf_token": csrf})
        assert ok.status_code == 302 and client.get("/app/tree").status_code == 200
        assert user.totp_enabled
    finally:
        app_ctx.config["REQUIRE_TOTP"] = False


def test_officers_sign_in_without_second_factor_even_when_required(app_ctx, client, world):
    app_ctx.config["REQUIRE_TOTP"] = True
    try:
        token = _login_form(client)
        response = client.post("/login", data={"email": world["a"].users["officer"].email, "password": PASSWORD,
                                               "csrf_token": token})
        assert response.headers["Location"] == "/"
    finally:
        app_ctx.config["REQUIRE_TOTP"] = False


def test_bearer_token_authenticates_and_revocation_ends_it(app_ctx, client, bearer, login_as, world):
    headers = bearer("auditor")
    me = client.get("/api/v1/me", headers=headers)
    assert me.status_code == 200 and me.json["email"] == world["a"].users["auditor"].email
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer kn_wrong"}).status_code == 401
    csrf = login_as("auditor")
    page = client.get("/app/account").get_data(as_text=True)
    token_id = re.search(r"/app/account/tokens/(\d+)/revoke", page).group(1)
    assert client.post(f"/app/account/tokens/{token_id}/revoke", data={"csrf_token": csrf}).status_code == 302
    client.post("/logout", data={"csrf_token": csrf})
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_tokens_are_created_on_the_account_page_and_shown_once(client, login_as):
    csrf = login_as("officer")
    response = client.post("/app/account/tokens", data={"name": "báo cáo", "csrf_token": csrf})
    assert response.status_code == 200  # shown in this answer only (tests/security/test_api_tokens.py)
    page = response.get_data(as_text=True)
    secret = page.split("data-token>")[1].split("<")[0]
    assert secret.startswith("kn_")
    assert secret not in client.get("/app/account").get_data(as_text=True)
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200


@pytest.mark.parametrize("with_header", [False, True])
def test_cookie_authenticated_api_write_needs_the_csrf_header(client, login_as, with_header):
    csrf = login_as("director")
    headers = {"X-CSRFToken": csrf} if with_header else {}
    response = client.post("/api/v1/me", headers=headers, json={})
    # /api/v1/me takes no POST: with the header the request reaches routing (405), without it CSRF stops it.
    assert response.status_code == (405 if with_header else 403)
    if not with_header:
        assert response.json["error"]["code"] == "csrf_failed"


def test_api_without_credentials_is_401_json(client):
    response = client.get("/api/v1/units")
    assert response.status_code == 401 and response.json["error"]["code"] == "unauthorized"
