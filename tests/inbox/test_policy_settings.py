"""The director's inbox settings page: SLA table, routing rules and canned replies change what happens to the
next tip, every change is audited, a bad value is refused naming its field and keeps what was typed."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from core.audit import AuditLog
from core.extensions import db
from core.tenancy import tenant_scope
from core.timeutil import as_utc
from inbox.constants import CATEGORIES, SEVERITIES
from inbox.models import Tip
from inbox.policy import DEFAULT_ROUTES, CannedReply, RoutingRule, SlaPolicy
from inbox.policy_settings import sla_field, sla_table

PAGE = "/app/settings/inbox"


def _sla_form(tenant, token, **cells):
    """The whole table as the page shows it, with `cells` ({field name: value}) typed over it."""
    with tenant_scope(tenant.tenant_id):
        table = sla_table()
    form = {"csrf_token": token}
    for (category, severity), (ack_hours, resolve_days, _basis) in table.items():
        form[sla_field("ack", category, severity)] = str(ack_hours)
        form[sla_field("resolve", category, severity)] = str(resolve_days)
    form.update(cells)
    return form


def _audit_actions(tenant):
    with tenant_scope(tenant.tenant_id):
        return [row.action for row in db.session.execute(select(AuditLog).order_by(AuditLog.id)).scalars()]


def _count(tenant, model):
    with tenant_scope(tenant.tenant_id):
        return len(db.session.execute(select(model)).scalars().all())


def test_director_sees_the_defaults_and_every_cell(client, login_as):
    login_as("director")
    page = client.get(PAGE)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Cài đặt hộp thư" in html and "Điều 147" in html  # the legal basis of the 20 days
    assert html.count('type="number" name="ack__') == len(CATEGORIES) * len(SEVERITIES)
    assert "Đang dùng quy tắc mặc định" in html and "PC04" in html


def test_a_new_sla_applies_to_the_next_tip_and_is_audited(client, login_as, tenant_a, post_tip, world):
    token = login_as("director")
    field = sla_field("ack", "security_report", "normal")
    response = client.post(f"{PAGE}/sla", data=_sla_form(tenant_a, token, **{field: "6"}))
    assert response.status_code == 302
    assert "settings.sla_update" in _audit_actions(tenant_a)
    assert _count(tenant_a, SlaPolicy) == len(CATEGORIES) * len(SEVERITIES)

    created = post_tip(world["a"].units["commune"].id, category="security_report")
    assert created.status_code == 201
    with tenant_scope(tenant_a.tenant_id):
        tip = db.session.execute(select(Tip).where(Tip.tracking_code == created.json["tracking_code"])).scalar_one()
        assert as_utc(tip.ack_due_at) - as_utc(tip.created_at) == timedelta(hours=6)


@pytest.mark.parametrize("value", ["0", "abc", "", "100000"])
def test_a_bad_cell_is_refused_naming_it_and_keeps_the_rest_typed(client, login_as, tenant_a, value):
    token = login_as("director")
    bad, typed = sla_field("resolve", "complaint", "high"), sla_field("ack", "petition", "low")
    response = client.post(f"{PAGE}/sla", data=_sla_form(tenant_a, token, **{bad: value, typed: "55"}))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="err-sla-{bad}"' in html and "Nhập một số nguyên" in html
    assert f'name="{typed}" min="1" max="720" required' in html and 'value="55"' in html
    assert _count(tenant_a, SlaPolicy) == 0  # nothing half-saved
    assert "settings.sla_update" not in _audit_actions(tenant_a)


def test_adding_a_rule_keeps_the_defaults_and_routes_the_next_tip(client, login_as, tenant_a, post_tip, world):
    token = login_as("director")
    response = client.post(f"{PAGE}/routing", data={
        "csrf_token": token, "keywords": "trộm chó, bắt trộm chó", "department_code": "PC02", "priority": "5",
        "active": "1"})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    assert _count(tenant_a, RoutingRule) == len(DEFAULT_ROUTES) + 1
    assert "settings.routing_create" in _audit_actions(tenant_a)

    created = post_tip(world["a"].units["commune"].id, description="Đêm qua có nhóm bắt trộm chó ở ấp Cây Da.")
    with tenant_scope(tenant_a.tenant_id):
        tip = db.session.execute(select(Tip).where(Tip.tracking_code == created.json["tracking_code"])).scalar_one()
        assert tip.unit.code == "PC02"


def test_a_rule_needs_a_real_department_and_some_condition(client, login_as, tenant_a):
    token = login_as("director")
    wrong = client.post(f"{PAGE}/routing", data={"csrf_token": token, "keywords": "cướp", "department_code": "XX99"})
    assert wrong.status_code == 422 and 'id="err-routing-department_code"' in wrong.get_data(as_text=True)
    assert 'value="cướp"' in wrong.get_data(as_text=True)
    empty = client.post(f"{PAGE}/routing", data={"csrf_token": token, "department_code": "PC02"})
    assert empty.status_code == 422 and 'id="err-routing-keywords"' in empty.get_data(as_text=True)
    assert _count(tenant_a, RoutingRule) == 0


def test_a_deactivated_rule_stops_routing_and_a_deleted_one_is_gone(client, login_as, tenant_a, post_tip, world):
    token = login_as("director")
    client.post(f"{PAGE}/routing", data={"csrf_token": token, "keywords": "trộm chó", "department_code": "PC02",
                                         "priority": "5", "active": "1"})
    with tenant_scope(tenant_a.tenant_id):
        rule_id = db.session.execute(select(RoutingRule.id).where(RoutingRule.department_code == "PC02")).scalar_one()
    client.post(f"{PAGE}/routing/{rule_id}", data={"csrf_token": token, "keywords": "trộm chó",
                                                   "department_code": "PC02", "priority": "5"})
    created = post_tip(world["a"].units["commune"].id, description="Có người trộm chó ở ấp 2.")
    with tenant_scope(tenant_a.tenant_id):
        tip = db.session.execute(select(Tip).where(Tip.tracking_code == created.json["tracking_code"])).scalar_one()
        assert tip.unit_id == world["a"].units["commune"].id
    assert client.post(f"{PAGE}/routing/{rule_id}/delete", data={"csrf_token": token}).status_code == 302
    assert _count(tenant_a, RoutingRule) == len(DEFAULT_ROUTES)
    assert {"settings.routing_update", "settings.routing_delete"} <= set(_audit_actions(tenant_a))


def test_a_unit_canned_reply_shows_on_that_units_tips_only(client, login_as, tenant_a, make_tip, world):
    token = login_as("director")
    commune = world["a"].units["commune"]
    response = client.post(f"{PAGE}/canned", data={"csrf_token": token, "title": "Hẹn gặp tại trụ sở xã",
                                                   "body": "Mời anh/chị đến trụ sở Công an xã lúc 8 giờ.",
                                                   "unit_code": commune.code})
    assert response.status_code == 302
    own, _ = make_tip("commune")
    sibling, _ = make_tip("sibling")
    assert "Hẹn gặp tại trụ sở xã" in client.get(f"/app/inbox/{own}").get_data(as_text=True)
    assert "Hẹn gặp tại trụ sở xã" not in client.get(f"/app/inbox/{sibling}").get_data(as_text=True)
    with tenant_scope(tenant_a.tenant_id):
        reply_id = db.session.execute(select(CannedReply.id).where(CannedReply.unit_id == commune.id)).scalar_one()
    assert client.post(f"{PAGE}/canned/{reply_id}/delete", data={"csrf_token": token}).status_code == 302
    assert "Hẹn gặp tại trụ sở xã" not in client.get(f"/app/inbox/{own}").get_data(as_text=True)
    assert {"settings.canned_create", "settings.canned_delete"} <= set(_audit_actions(tenant_a))


def test_unknown_unit_code_for_a_canned_reply_is_named(client, login_as):
    token = login_as("director")
    response = client.post(f"{PAGE}/canned", data={"csrf_token": token, "title": "A", "body": "B",
                                                   "unit_code": "KHONGCO"})
    assert response.status_code == 422 and 'id="err-canned-unit_code"' in response.get_data(as_text=True)


@pytest.mark.parametrize("role", ["unit_admin", "officer", "auditor"])
def test_only_directors_change_the_policy(client, login_as, tenant_a, role):
    token = login_as(role)
    assert client.get(PAGE).status_code == 403
    assert client.post(f"{PAGE}/routing", data={"csrf_token": token, "keywords": "x",
                                                "department_code": "PC02"}).status_code == 403
    assert _count(tenant_a, RoutingRule) == 0
