"""The staff API: list, read, triage, reply, forward, escalate — with history, audit and metric events."""
import pytest
from sqlalchemy import select

from core.audit import AuditLog
from core.extensions import db
from core.tenancy import tenant_scope
from inbox.models import TipHistory
from metrics.models import Event

LIST_FIELDS = {"id", "tracking_code", "unit_id", "channel", "category", "severity", "status", "reporter",
               "ack_due_at", "resolve_due_at", "created_at"}


def events(tenant, tip_id, metric):
    with tenant_scope(tenant.tenant_id):
        return db.session.execute(select(Event.unit_id).where(Event.metric == metric, Event.subject_id == tip_id)
                                  .order_by(Event.id)).scalars().all()


def history(tenant, tip_id):
    with tenant_scope(tenant.tenant_id):
        return db.session.execute(select(TipHistory.action).where(TipHistory.tip_id == tip_id)
                                  .order_by(TipHistory.id)).scalars().all()


def audit_actions(tenant, tip_id):
    with tenant_scope(tenant.tenant_id):
        return db.session.execute(select(AuditLog.action).where(AuditLog.target_type == "Tip",
                                                                AuditLog.target_id == str(tip_id))
                                  .order_by(AuditLog.id)).scalars().all()


def test_list_items_have_exactly_the_contract_fields_and_a_pseudonym_per_tip(client, bearer, make_tip, tenant_a):
    make_tip(contact_phone="0911000111")
    make_tip(contact_phone="0911000111", description="Lần thứ hai báo cùng việc.")
    items = client.get("/api/v1/tips", headers=bearer("officer")).get_json()["items"]
    assert len(items) == 2 and all(set(item) == LIST_FIELDS for item in items)
    # a pseudonym per public tip, the same phone or not (tests/security/test_reporter_unlinkable.py)
    assert items[0]["reporter"] != items[1]["reporter"] and items[0]["reporter"].startswith("Người báo tin #")
    detail = client.get(f"/api/v1/tips/{items[0]['id']}", headers=bearer("officer")).get_json()
    assert detail["reporter"] == items[0]["reporter"]
    assert items[0]["created_at"].endswith("+07:00")


def test_list_is_scoped_to_the_subtree_and_filters(client, bearer, make_tip, tenant_a):
    commune_tip, _ = make_tip("commune", severity="high")
    sibling_tip, _ = make_tip("sibling", category="complaint")
    officer = bearer("officer")  # anchored at the commune
    ids = [item["id"] for item in client.get("/api/v1/tips", headers=officer).get_json()["items"]]
    assert ids == [commune_tip]
    district = bearer("unit_admin")
    assert client.get("/api/v1/tips", headers=district).get_json()["total"] == 2

    def ids_for(query):
        return {item["id"] for item in client.get(f"/api/v1/tips?{query}", headers=district).get_json()["items"]}

    assert ids_for("category=complaint") == {sibling_tip}
    assert ids_for("severity=high") == {commune_tip}
    assert ids_for(f"unit_id={tenant_a.units['sibling'].id}") == {sibling_tip}
    assert ids_for("status=new&channel=web") == {commune_tip, sibling_tip}
    assert ids_for("overdue=true") == set()
    assert ids_for("overdue=false") == {commune_tip, sibling_tip}
    response = client.get("/api/v1/tips?status=bogus&per_page=500", headers=district)
    assert response.status_code == 422 and {"status", "per_page"} <= set(response.get_json()["error"]["fields"])


def test_lifecycle_with_history_audit_and_metrics(client, bearer, make_tip, tenant_a):
    tip_id, _ = make_tip()
    officer = bearer("officer")
    commune = tenant_a.units["commune"].id

    def patch(**body):
        return client.patch(f"/api/v1/tips/{tip_id}", headers=officer, json=body)

    assert patch(status="in_progress").status_code == 409
    assert patch(status="acknowledged").get_json()["status"] == "acknowledged"
    assert patch(status="acknowledged").status_code == 200  # no change, no error
    assert patch(status="new").status_code == 409
    assert patch(status="in_progress").status_code == 200
    assert patch(status="resolved").get_json()["resolved_at"] is not None
    closing = patch(status="closed")
    assert closing.status_code == 422 and "resolution" in closing.get_json()["error"]["fields"]
    assert patch(status="closed", resolution="handled").get_json()["status"] == "closed"
    assert patch(status="in_progress").status_code == 409

    assert events(tenant_a, tip_id, "tips_acknowledged") == [commune]
    assert events(tenant_a, tip_id, "first_response_count") == [commune]
    assert events(tenant_a, tip_id, "tips_resolved") == [commune]
    assert events(tenant_a, tip_id, "sla_met") == [commune]
    assert events(tenant_a, tip_id, "sla_missed") == []
    assert history(tenant_a, tip_id).count("status") == 4
    assert "tip.close" in audit_actions(tenant_a, tip_id)


def test_close_as_duplicate_links_the_original(client, bearer, make_tip):
    original, _ = make_tip()
    copy, _ = make_tip()
    officer = bearer("officer")
    missing = client.patch(f"/api/v1/tips/{copy}", headers=officer,
                           json={"status": "closed", "resolution": "duplicate"})
    assert missing.status_code == 422 and "duplicate_of_id" in missing.get_json()["error"]["fields"]
    done = client.patch(f"/api/v1/tips/{copy}", headers=officer,
                        json={"status": "closed", "resolution": "duplicate", "duplicate_of_id": original}).get_json()
    assert (done["duplicate_of_id"], done["resolution"]) == (original, "duplicate")


def test_severity_and_assignment(client, bearer, make_tip, tenant_a):
    tip_id, _ = make_tip()
    admin = bearer("unit_admin")
    officer_id = tenant_a.users["officer"].id
    body = client.patch(f"/api/v1/tips/{tip_id}", headers=admin, json={"severity": "urgent",
                                                                       "assignee_id": officer_id}).get_json()
    assert (body["severity"], body["assignee_id"]) == ("urgent", officer_id)
    # The sibling commune's tip cannot go to this commune's officer; auditors are never assignees.
    sibling_tip, _ = make_tip("sibling")
    for tip, user in ((sibling_tip, "officer"), (tip_id, "auditor"), (tip_id, None)):
        user_id = tenant_a.users[user].id if user else 999999
        refused = client.patch(f"/api/v1/tips/{tip}", headers=admin, json={"assignee_id": user_id})
        assert refused.status_code == 422 and "assignee_id" in refused.get_json()["error"]["fields"]
    assert client.patch(f"/api/v1/tips/{tip_id}", headers=admin, json={"severity": "huge"}).status_code == 422
    assert client.patch(f"/api/v1/tips/{tip_id}", headers=admin, json={"title": "x"}).status_code == 422
    assert client.patch(f"/api/v1/tips/{tip_id}", headers=admin, json={"resolution": "spam"}).status_code == 422
    unassigned = client.patch(f"/api/v1/tips/{tip_id}", headers=admin, json={"assignee_id": None}).get_json()
    assert unassigned["assignee_id"] is None


def test_reply_and_internal_note(client, bearer, make_tip, tenant_a):
    tip_id, _ = make_tip()
    officer = bearer("officer")
    note = client.post(f"/api/v1/tips/{tip_id}/messages", headers=officer, json={"body": "Kiểm tra camera",
                                                                                 "internal": True})
    assert note.status_code == 201 and note.get_json()["internal"] is True
    assert client.get(f"/api/v1/tips/{tip_id}", headers=officer).get_json()["status"] == "new"
    reply = client.post(f"/api/v1/tips/{tip_id}/messages", headers=officer, json={"body": "Đã tiếp nhận."})
    assert reply.get_json()["delivery_state"] == "sent"
    assert client.get(f"/api/v1/tips/{tip_id}", headers=officer).get_json()["status"] == "acknowledged"
    assert events(tenant_a, tip_id, "messages_out") == [tenant_a.units["commune"].id]
    for body in ({}, {"body": ""}, {"body": "x", "to": "y"}):
        response = client.post(f"/api/v1/tips/{tip_id}/messages", headers=officer, json=body)
        assert response.status_code == 422
    assert {"reply", "note"} <= set(history(tenant_a, tip_id))


def test_forward_and_escalate_need_a_reason(client, bearer, make_tip, tenant_a):
    tip_id, _ = make_tip()
    officer = bearer("officer")
    for path, body in (("escalate", {}), ("escalate", {"reason": ""}), ("escalate", {"reason": "   "}),
                       ("forward", {"unit_id": tenant_a.units["sibling"].id}),
                       ("forward", {"unit_id": tenant_a.units["sibling"].id, "reason": ""})):
        response = client.post(f"/api/v1/tips/{tip_id}/{path}", headers=officer, json=body)
        assert response.status_code == 422 and "reason" in response.get_json()["error"]["fields"], (path, body)
    missing_unit = client.post(f"/api/v1/tips/{tip_id}/forward", headers=officer, json={"reason": "x"})
    assert "unit_id" in missing_unit.get_json()["error"]["fields"]
    foreign = client.post(f"/api/v1/tips/{tip_id}/forward", headers=officer,
                          json={"reason": "x", "unit_id": 999999})
    assert foreign.status_code == 422 and "unit_id" in foreign.get_json()["error"]["fields"]


def test_escalate_moves_to_parent_and_counts_at_the_unit_it_left(client, bearer, make_tip, tenant_a):
    tip_id, _ = make_tip()
    body = client.post(f"/api/v1/tips/{tip_id}/escalate", headers=bearer("officer"),
                       json={"reason": "Vượt thẩm quyền xã"}).get_json()
    assert body["unit_id"] == tenant_a.units["district"].id and body["escalated"] is True
    assert body["status"] == "new" and body["escalations"][0]["automatic"] is False
    assert events(tenant_a, tip_id, "tips_escalated") == [tenant_a.units["commune"].id]
    assert "tip.escalate" in audit_actions(tenant_a, tip_id)
    # Out of the officer's subtree now: not found for them.
    assert client.get(f"/api/v1/tips/{tip_id}", headers=bearer("officer")).status_code == 404


def test_forward_to_any_unit_and_escalate_at_root_is_409(client, bearer, make_tip, tenant_a):
    tip_id, _ = make_tip()
    director = bearer("director")
    moved = client.post(f"/api/v1/tips/{tip_id}/forward", headers=director,
                        json={"reason": "Thuộc địa bàn", "unit_id": tenant_a.units["root"].id}).get_json()
    assert moved["unit_id"] == tenant_a.units["root"].id and moved["escalated"] is False
    assert "tip.forward" in audit_actions(tenant_a, tip_id)
    at_root = client.post(f"/api/v1/tips/{tip_id}/escalate", headers=director, json={"reason": "x"})
    assert at_root.status_code == 409


def test_views_are_recorded(client, bearer, make_tip, tenant_a):
    tip_id, _ = make_tip()
    client.get(f"/api/v1/tips/{tip_id}", headers=bearer("auditor"))
    assert history(tenant_a, tip_id).count("view") == 1
    assert "tip.view" in audit_actions(tenant_a, tip_id)


@pytest.mark.parametrize("method, path, body", [
    ("patch", "", {"status": "acknowledged"}), ("post", "/messages", {"body": "x"}),
    ("post", "/escalate", {"reason": "x"}), ("post", "/forward", {"reason": "x", "unit_id": 1}),
    ("post", "/reveal", {"reason": "x"}),
])
def test_auditor_reads_but_cannot_act(client, bearer, make_tip, method, path, body):
    tip_id, _ = make_tip()
    auditor = bearer("auditor")
    assert client.get(f"/api/v1/tips/{tip_id}", headers=auditor).status_code == 200
    assert getattr(client, method)(f"/api/v1/tips/{tip_id}{path}", headers=auditor, json=body).status_code == 403


def test_anonymous_is_401(client, make_tip):
    tip_id, _ = make_tip()
    assert client.get("/api/v1/tips").status_code == 401
    assert client.get(f"/api/v1/tips/{tip_id}").status_code == 401
    # A write without a session or token is stopped earlier still, by the CSRF check.
    assert client.post(f"/api/v1/tips/{tip_id}/reveal", json={"reason": "x"}).status_code in (401, 403)
    bad_token = {"Authorization": "Bearer kn_not-a-token"}
    assert client.post(f"/api/v1/tips/{tip_id}/reveal", json={"reason": "x"}, headers=bad_token).status_code == 401


def test_cookie_session_writes_need_the_csrf_header(client, login_as, make_tip):
    tip_id, _ = make_tip()
    token = login_as("officer")
    url = f"/api/v1/tips/{tip_id}/messages"
    assert client.post(url, json={"body": "x"}).status_code == 403
    assert client.post(url, json={"body": "x"}, headers={"X-CSRFToken": token}).status_code == 201


@pytest.mark.parametrize("method, path, body", [
    ("get", "", None), ("patch", "", {"status": "acknowledged"}), ("post", "/messages", {"body": "x"}),
    ("post", "/escalate", {"reason": "x"}), ("post", "/forward", {"reason": "x", "unit_id": 1}),
    ("post", "/reveal", {"reason": "x"}),
])
def test_other_tenants_tips_are_404(client, bearer, make_tip, method, path, body):
    foreign_tip, _ = make_tip("commune", tenant="b")
    director_a = bearer("director", tenant="a")
    kwargs = {"json": body} if body is not None else {}
    response = getattr(client, method)(f"/api/v1/tips/{foreign_tip}{path}", headers=director_a, **kwargs)
    assert response.status_code == 404
    listed = client.get("/api/v1/tips", headers=director_a).get_json()["items"]
    assert foreign_tip not in [item["id"] for item in listed]


def test_out_of_subtree_is_404(client, bearer, make_tip):
    sibling_tip, _ = make_tip("sibling")
    assert client.get(f"/api/v1/tips/{sibling_tip}", headers=bearer("officer")).status_code == 404
