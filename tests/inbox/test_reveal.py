"""Revealing a reporter's identity: directors only, with a reason, always audited."""
import pytest
from sqlalchemy import select

from core.audit import AuditLog
from core.extensions import db
from core.tenancy import tenant_scope


def test_director_reveals_with_a_reason_and_it_is_audited(client, bearer, make_tip, tenant_a):
    tip_id, _ = make_tip(contact_name="Phạm Minh Khoa", contact_phone="+84 912 000 333")
    director = bearer("director")
    missing = client.post(f"/api/v1/tips/{tip_id}/reveal", headers=director, json={})
    assert missing.status_code == 422 and "reason" in missing.get_json()["error"]["fields"]
    response = client.post(f"/api/v1/tips/{tip_id}/reveal", headers=director, json={"reason": "Mời làm chứng"})
    assert response.status_code == 200
    body = response.get_json()
    assert (body["name"], body["phone"]) == ("Phạm Minh Khoa", "0912000333")
    assert body["pseudonym"].startswith("Người báo tin #")
    with tenant_scope(tenant_a.tenant_id):
        record = db.session.execute(select(AuditLog).where(AuditLog.action == "tip.reveal")).scalar_one()
        assert record.actor_id == tenant_a.users["director"].id and record.target_id == str(tip_id)
        assert record.details == {"reason": "Mời làm chứng", "linked_tips": 0}
        assert "Khoa" not in str(record.content())


@pytest.mark.parametrize("role", ["officer", "auditor", "unit_admin", "commune_admin", "district_officer"])
def test_other_roles_cannot_reveal(client, bearer, make_tip, tenant_a, role):
    tip_id, _ = make_tip(contact_name="Phạm Minh Khoa", contact_phone="0912000333")
    response = client.post(f"/api/v1/tips/{tip_id}/reveal", headers=bearer(role), json={"reason": "tò mò"})
    assert response.status_code == 403
    assert "Khoa" not in response.get_data(as_text=True)
    with tenant_scope(tenant_a.tenant_id):
        assert db.session.execute(select(AuditLog).where(AuditLog.action == "tip.reveal")).first() is None


def test_reveal_button_only_for_those_who_may(client, app_ctx, login_as, make_tip, tenant_a):
    from tests.conftest import login

    tip_id, _ = make_tip(contact_name="Phạm Minh Khoa")
    officer_token = login_as("officer")
    assert "Xem danh tính" not in client.get(f"/app/inbox/{tip_id}").get_data(as_text=True)
    assert client.post(f"/app/inbox/{tip_id}/reveal", data={"reason": "x", "csrf_token": officer_token}
                       ).status_code == 403
    director = app_ctx.test_client()
    token = login(director, tenant_a.users["director"].email)
    page = director.get(f"/app/inbox/{tip_id}").get_data(as_text=True)
    assert "Xem danh tính" in page and "Khoa" not in page
    shown = director.post(f"/app/inbox/{tip_id}/reveal", data={"reason": "Xác minh", "csrf_token": token})
    assert shown.status_code == 200 and "Phạm Minh Khoa" in shown.get_data(as_text=True)
    assert shown.headers["Cache-Control"] == "no-store"
