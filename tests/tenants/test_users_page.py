"""The users page: add, change role, deactivate (ends sessions, revokes tokens), reset password; audited."""
from sqlalchemy import select

from core.audit import AuditLog
from core.extensions import db
from tenants.models import ApiToken, User
from tests.conftest import PASSWORD, _csrf_from, login


def _audit_actions(in_tenant, tenant):
    with in_tenant(tenant):
        return [a for a in db.session.execute(select(AuditLog.action)).scalars()]


def test_director_adds_a_commune_officer(client, login_as, world, in_tenant, tenant_a):
    csrf = login_as("director")
    response = client.post("/app/users", data={
        "email": "Moi.CanBo@tra-vinh.test", "name": "Cán bộ mới", "role": "officer",
        "unit_code": world["a"].units["sibling"].code, "password": "mat-khau-moi-123", "csrf_token": csrf})
    assert response.status_code == 302
    html = client.get("/app/users?per_page=50").get_data(as_text=True)
    assert "moi.canbo@tra-vinh.test" in html
    assert "user.create" in _audit_actions(in_tenant, tenant_a)


def test_unit_admin_cannot_create_a_director_or_act_outside_subtree(client, login_as, world):
    csrf = login_as("unit_admin")  # district admin
    response = client.post("/app/users", data={
        "email": "x@tra-vinh.test", "role": "director", "unit_code": world["a"].units["district"].code,
        "password": "mat-khau-moi-123", "csrf_token": csrf})
    assert response.status_code == 403
    outside = client.post("/app/users", data={
        "email": "y@tra-vinh.test", "role": "officer", "unit_code": world["a"].units["root"].code,
        "password": "mat-khau-moi-123", "csrf_token": csrf})
    assert outside.status_code == 404
    director_page = client.get(f"/app/users/{world['a'].users['director'].id}")
    assert director_page.status_code == 404


def test_officer_has_no_users_page(client, login_as):
    login_as("officer")
    assert client.get("/app/users").status_code == 403


def test_bad_input_names_the_field(client, login_as, world):
    csrf = login_as("director")
    response = client.post("/app/users", data={
        "email": "z@tra-vinh.test", "role": "officer", "unit_code": "00000", "password": "mat-khau-moi-123",
        "csrf_token": csrf}, headers={"Accept": "application/json"})
    assert response.status_code == 422 and "unit_code" in response.json["error"]["fields"]
    short = client.post("/app/users", data={
        "email": "z@tra-vinh.test", "role": "officer", "unit_code": world["a"].units["commune"].code,
        "password": "short", "csrf_token": csrf}, headers={"Accept": "application/json"})
    assert short.status_code == 422 and "password" in short.json["error"]["fields"]


def test_deactivation_ends_sessions_and_revokes_tokens(app_ctx, world, bearer, in_tenant, tenant_a):
    officer_client = app_ctx.test_client()
    login(officer_client, world["a"].users["officer"].email)
    token_headers = bearer("officer")
    director_client = app_ctx.test_client()
    csrf = login(director_client, world["a"].users["director"].email)
    officer_id = world["a"].users["officer"].id
    response = director_client.post(f"/app/users/{officer_id}/deactivate", data={"csrf_token": csrf})
    assert response.status_code == 302
    assert officer_client.get("/app/tree").status_code == 302  # back to sign-in
    assert officer_client.get("/api/v1/me", headers=token_headers).status_code == 401
    fresh = app_ctx.test_client()
    token = _csrf_from(fresh.get("/login").get_data(as_text=True))
    refused = fresh.post("/login", data={"email": world["a"].users["officer"].email, "password": PASSWORD,
                                         "csrf_token": token})
    assert refused.status_code == 200  # the form again, not a session
    assert "user.deactivate" in _audit_actions(in_tenant, tenant_a)
    with in_tenant(tenant_a):
        tokens = db.session.execute(select(ApiToken).where(ApiToken.user_id == officer_id)).scalars().all()
    assert tokens and all(token.revoked_at is not None for token in tokens)


def test_role_change_and_password_reset_are_audited(client, login_as, world, in_tenant, tenant_a):
    csrf = login_as("director")
    user_id = world["a"].users["district_officer"].id
    response = client.post(f"/app/users/{user_id}/membership", data={
        "role": "unit_admin", "unit_code": world["a"].units["district"].code, "csrf_token": csrf})
    assert response.status_code == 302
    response = client.post(f"/app/users/{user_id}/password", data={"password": "mat-khau-khac-456",
                                                                   "csrf_token": csrf})
    assert response.status_code == 302
    with in_tenant(tenant_a):
        user = db.session.execute(select(User).where(User.id == user_id)).scalar_one()
        assert [m.role for m in user.memberships] == ["unit_admin"]
        assert user.check_password("mat-khau-khac-456")
    actions = _audit_actions(in_tenant, tenant_a)
    assert {"user.role_change", "user.password_reset"} <= set(actions)


def test_platform_admin_creates_a_tenant_and_sees_no_tenant_data(client, app_ctx):
    from tests.conftest import login

    csrf = login(client, "platform@test.test")
    assert client.get("/").headers["Location"].endswith("/app/platform/tenants")
    page = client.get("/app/platform/tenants").get_data(as_text=True)
    assert page.count('<option value="') >= 34 and "86 — Tỉnh Vĩnh Long" in page  # today's 34 provinces
    response = client.post("/app/platform/tenants", data={"slug": "dong-thap", "name": "", "province": "82",
                                                          "csrf_token": csrf})
    assert response.status_code == 302
    # An old province's code needs a date before the reform, and the answer says so.
    merged = client.post("/app/platform/tenants", data={"slug": "ben-tre", "province": "83", "csrf_token": csrf},
                         headers={"Accept": "application/json"})
    assert merged.status_code == 422 and "--province 86" in merged.json["error"]["message"]
    response = client.post("/app/platform/tenants", data={"slug": "ben-tre", "name": "", "province": "83",
                                                          "as_of": "2025-06-30", "csrf_token": csrf})
    assert response.status_code == 302
    page = client.get("/app/platform/tenants").get_data(as_text=True)
    assert "ben-tre" in page and "dong-thap" in page
    assert client.get("/app/tree").status_code == 403
    assert client.get("/api/v1/units").status_code == 403
    bad = client.post("/app/platform/tenants", data={"slug": "x", "province": "99", "csrf_token": csrf},
                      headers={"Accept": "application/json"})
    assert bad.status_code == 422 and "province" in bad.json["error"]["fields"]


def test_tenant_staff_cannot_open_the_platform_page(client, login_as):
    login_as("director")
    assert client.get("/app/platform/tenants").status_code == 403
