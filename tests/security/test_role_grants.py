"""Finding 3 of the hostile review: a unit admin could create an auditor, or make themselves one, and so read
and export the audit log. A user may grant only a role whose every right they hold at that unit, and nobody
changes their own role."""
import pytest
from sqlalchemy import select

from core.extensions import db
from core.tenancy import tenant_scope
from tenants.models import Membership

NEW_PASSWORD = "mat-khau-moi-du-dai"


def _roles_of(tenant, user_id):
    with tenant_scope(tenant.tenant_id):
        return db.session.execute(select(Membership.role).where(Membership.user_id == user_id)).scalars().all()


@pytest.mark.parametrize("role", ["auditor", "director"])
def test_a_unit_admin_cannot_create_a_role_with_rights_they_lack(client, login_as, world, role):
    csrf = login_as("unit_admin")
    response = client.post("/app/users", headers={"Accept": "application/json"}, data={
        "email": f"thanh-tra-{role}@tra-vinh.test", "role": role, "unit_code": world["a"].units["district"].code,
        "password": NEW_PASSWORD, "csrf_token": csrf})
    assert response.status_code == 403 and "role" in response.get_json()["error"]["fields"]


def test_a_unit_admin_cannot_turn_an_officer_into_an_auditor(client, login_as, world, objects):
    officer_id = objects.user("commune")
    csrf = login_as("unit_admin")
    response = client.post(f"/app/users/{officer_id}/membership", headers={"Accept": "application/json"},
                           data={"role": "auditor", "unit_code": world["a"].units["commune"].code, "csrf_token": csrf})
    assert response.status_code == 403
    assert _roles_of(world["a"], officer_id) == ["officer"]


@pytest.mark.parametrize("user_key, role", [("unit_admin", "auditor"), ("commune_admin", "officer"),
                                            ("director", "officer")])
def test_nobody_changes_their_own_role(client, login_as, world, user_key, role):
    a = world["a"]
    csrf = login_as(user_key)
    me = a.users[user_key].id
    before = _roles_of(a, me)
    response = client.post(f"/app/users/{me}/membership", headers={"Accept": "application/json"},
                           data={"role": role, "unit_code": a.units["commune"].code, "csrf_token": csrf})
    assert response.status_code == 403
    assert _roles_of(a, me) == before
    if user_key == "unit_admin":
        assert client.get("/api/v1/audit").status_code == 403


def test_a_unit_admin_cannot_take_over_an_account_whose_role_they_could_not_grant(client, login_as, world, objects):
    """An auditor anchored in the district (made by the director) is not the district admin's to manage: a new
    password would let them sign in as the auditor."""
    auditor_id = objects.user("district", role="auditor")
    csrf = login_as("unit_admin")
    for path, data in ((f"/app/users/{auditor_id}/password", {"password": NEW_PASSWORD}),
                       (f"/app/users/{auditor_id}/deactivate", {})):
        response = client.post(path, headers={"Accept": "application/json"}, data={**data, "csrf_token": csrf})
        assert response.status_code == 403, path


def test_allowed_grants_still_work(client, login_as, world, objects):
    a = world["a"]
    csrf = login_as("unit_admin")
    created = client.post("/app/users", data={
        "email": "quan-tri-xa@tra-vinh.test", "role": "unit_admin", "unit_code": a.units["commune"].code,
        "password": NEW_PASSWORD, "csrf_token": csrf})
    assert created.status_code == 302
    officer_id = objects.user("commune")
    changed = client.post(f"/app/users/{officer_id}/membership",
                          data={"role": "unit_admin", "unit_code": a.units["sibling"].code, "csrf_token": csrf})
    assert changed.status_code == 302 and _roles_of(a, officer_id) == ["unit_admin"]


def test_the_role_menus_offer_only_grantable_roles(client, login_as, world, objects):
    login_as("unit_admin")
    page = client.get("/app/users").get_data(as_text=True)
    assert 'value="officer"' in page and 'value="auditor"' not in page and 'value="director"' not in page
    me = client.get(f"/app/users/{world['a'].users['unit_admin'].id}").get_data(as_text=True)
    assert "/membership" not in me  # no form to change one's own role
    other = client.get(f"/app/users/{objects.user('commune')}").get_data(as_text=True)
    assert "/membership" in other and 'value="auditor"' not in other
