"""Findings 6 and 20 of the hostile review: API tokens survived a password reset and a role change and never
expired; a new token travelled in the session cookie."""
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import time_machine
from flask.sessions import SecureCookieSessionInterface

from core.extensions import db
from core.tenancy import tenant_scope
from core.timeutil import utcnow
from tenants.models import User
from tests.conftest import login

ME = "/api/v1/me"


def _bearer(secret):
    return {"Authorization": f"Bearer {secret}"}


def _new_token(client, csrf, name="tich-hop"):
    response = client.post("/app/account/tokens", data={"name": name, "csrf_token": csrf})
    assert response.status_code == 200, response.status_code
    html = response.get_data(as_text=True)
    return response, re.search(r"data-token>([^<]+)<", html).group(1), html


def test_a_new_token_is_shown_in_the_response_only_never_in_the_session(app_ctx, client, world):
    csrf = login(client, world["a"].users["officer"].email)
    response, secret, _html = _new_token(client, csrf)
    assert response.headers["Cache-Control"] == "no-store"
    cookie = client.get_cookie("ketnoi_session").value
    serializer = SecureCookieSessionInterface().get_signing_serializer(app_ctx)
    assert secret not in str(serializer.loads(cookie))
    assert secret not in client.get("/app/account").get_data(as_text=True)
    assert client.get(ME, headers=_bearer(secret)).status_code == 200


def test_a_token_expires_when_it_says_and_can_be_renewed(app_ctx, client, world):
    csrf = login(client, world["a"].users["officer"].email)
    _response, secret, html = _new_token(client, csrf)
    days = app_ctx.config["API_TOKEN_DAYS"]
    expires = (utcnow() + timedelta(days=days)).astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))
    assert expires.strftime("%d/%m/%Y") in html  # the expiry is shown when the token is created
    with time_machine.travel(utcnow() + timedelta(days=days - 1), tick=False):
        assert client.get(ME, headers=_bearer(secret)).status_code == 200
    with time_machine.travel(utcnow() + timedelta(days=days, minutes=1), tick=False):
        assert client.get(ME, headers=_bearer(secret)).status_code == 401
    token_id = re.search(r"/app/account/tokens/(\d+)/renew", client.get("/app/account").get_data(as_text=True))
    later = utcnow() + timedelta(days=days - 2)
    with time_machine.travel(later, tick=False):
        csrf = login(client, world["a"].users["officer"].email)
        assert client.post(f"/app/account/tokens/{token_id.group(1)}/renew",
                           data={"csrf_token": csrf}).status_code == 302
    with time_machine.travel(later + timedelta(days=days - 1), tick=False):
        assert client.get(ME, headers=_bearer(secret)).status_code == 200  # renewed from the day of renewal


def test_a_password_reset_and_a_role_change_revoke_the_users_tokens(app_ctx, client, world, objects):
    a = world["a"]
    user_id = objects.user("commune")
    with tenant_scope(a.tenant_id):
        email = db.session.get(User, user_id).email
    holder = app_ctx.test_client()
    holder_csrf = login(holder, email)
    secrets = [_new_token(holder, holder_csrf, name)[1] for name in ("mot", "hai")]
    csrf = login(client, a.users["director"].email)
    assert all(client.get(ME, headers=_bearer(secret)).status_code == 200 for secret in secrets)
    client.post(f"/app/users/{user_id}/password", data={"password": "mat-khau-moi-du-dai", "csrf_token": csrf})
    assert all(client.get(ME, headers=_bearer(secret)).status_code == 401 for secret in secrets)
    _response, fresh, _html = _new_token(holder, login(holder, email, "mat-khau-moi-du-dai"))
    assert client.get(ME, headers=_bearer(fresh)).status_code == 200
    client.post(f"/app/users/{user_id}/membership",
                data={"role": "unit_admin", "unit_code": a.units["commune"].code, "csrf_token": csrf})
    assert client.get(ME, headers=_bearer(fresh)).status_code == 401


def test_the_cli_prints_the_expiry_before_the_token(app_ctx, world):
    result = app_ctx.test_cli_runner().invoke(args=["users", "token", world["a"].users["auditor"].email])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[-1].startswith("kn_") and "hết hạn" in lines[-2]
