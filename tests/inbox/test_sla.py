"""Deadlines and escalation up the tree (DESIGN.md §5): idempotent whether the sweep or the job fires."""
from datetime import timedelta

import time_machine
from sqlalchemy import select

from core.extensions import db
from core.tenancy import tenant_scope
from core.timeutil import as_utc, utcnow
from inbox.jobs import check_deadlines
from inbox.models import Escalation, TipHistory
from inbox.notify import Notification
from inbox.policy import RoutingRule
from inbox.sla import sweep
from metrics.models import Event


def rows(tenant, model, *where):
    with tenant_scope(tenant.tenant_id):
        return db.session.execute(select(model).where(*where)).scalars().all()


def metric_units(tenant, tip_id, metric):
    return [event.unit_id for event in rows(tenant, Event, Event.metric == metric, Event.subject_id == tip_id)]


def notified(tenant, tip_id, kind):
    return {note.user_id for note in rows(tenant, Notification, Notification.tip_id == tip_id,
                                          Notification.kind == kind)}


def test_unanswered_commune_tip_escalates_to_the_district_exactly_once(client, bearer, make_tip, tip_of, tenant_a,
                                                                       run_jobs):
    tip_id, _ = make_tip("commune")
    with tenant_scope(tenant_a.tenant_id):
        due = as_utc(tip_of(tip_id).ack_due_at)
    with time_machine.travel(due + timedelta(minutes=5), tick=False):
        assert sweep() == 1
        assert sweep() == 0
        check_deadlines(tenant_a.tenant_id, tip_id)
        run_jobs()
        with tenant_scope(tenant_a.tenant_id):
            tip = tip_of(tip_id)
            assert tip.unit_id == tenant_a.units["district"].id
            assert tip.escalated and not tip.overdue and tip.status == "new"
            assert as_utc(tip.ack_due_at) > utcnow()  # new deadlines at the new unit
        escalations = rows(tenant_a, Escalation, Escalation.tip_id == tip_id)
        assert [(e.automatic, e.deadline_kind, e.from_unit_id) for e in escalations] == [
            (True, "ack", tenant_a.units["commune"].id)]
        assert metric_units(tenant_a, tip_id, "tips_escalated") == [tenant_a.units["commune"].id]
        assert metric_units(tenant_a, tip_id, "tips_overdue") == [tenant_a.units["commune"].id]
        assert notified(tenant_a, tip_id, "escalate") == {tenant_a.users["unit_admin"].id,
                                                          tenant_a.users["district_officer"].id}
        # It shows in the district's inbox, with its history.
        district = bearer("unit_admin")
        listed = client.get("/api/v1/tips?overdue=false", headers=district).get_json()["items"]
        assert tip_id in [item["id"] for item in listed]
        detail = client.get(f"/api/v1/tips/{tip_id}", headers=district).get_json()
        assert detail["escalations"][0]["to_unit_id"] == tenant_a.units["district"].id
        actions = [h.action for h in rows(tenant_a, TipHistory, TipHistory.tip_id == tip_id)]
        assert actions.count("escalate") == 1


def test_nothing_happens_before_the_deadline_or_after_an_answer(make_tip, tip_of, tenant_a, client, bearer):
    tip_id, _ = make_tip("commune")
    with tenant_scope(tenant_a.tenant_id):
        due = as_utc(tip_of(tip_id).ack_due_at)
    with time_machine.travel(due - timedelta(minutes=1), tick=False):
        assert sweep() == 0
    client.patch(f"/api/v1/tips/{tip_id}", headers=bearer("officer"), json={"status": "acknowledged"})
    with time_machine.travel(due + timedelta(hours=1), tick=False):
        check_deadlines(tenant_a.tenant_id, tip_id)
        assert sweep() == 0
    with tenant_scope(tenant_a.tenant_id):
        assert tip_of(tip_id).unit_id == tenant_a.units["commune"].id


def test_missed_resolve_deadline_escalates_too(make_tip, tip_of, tenant_a, client, bearer):
    tip_id, _ = make_tip("commune")
    client.patch(f"/api/v1/tips/{tip_id}", headers=bearer("officer"), json={"status": "acknowledged"})
    with tenant_scope(tenant_a.tenant_id):
        due = as_utc(tip_of(tip_id).resolve_due_at)
    with time_machine.travel(due + timedelta(seconds=1), tick=False):
        assert sweep() == 1
    [escalation] = rows(tenant_a, Escalation, Escalation.tip_id == tip_id)
    assert escalation.deadline_kind == "resolve"


def test_path_district_to_routed_department_to_hq_then_flagged_and_stays(make_tip, tip_of, tenant_a):
    tip_id, _ = make_tip("district", category="social_evil", description="Tụ điểm thanh niên tụ tập thâu đêm.")
    with tenant_scope(tenant_a.tenant_id):
        assert tip_of(tip_id).unit_id == tenant_a.units["district"].id
        db.session.add(RoutingRule(category="social_evil", keywords="", department_code="PC04"))
        db.session.commit()
    expected = [tenant_a.units["department"].id, tenant_a.units["root"].id, tenant_a.units["root"].id]
    for step, unit_id in enumerate(expected):
        with tenant_scope(tenant_a.tenant_id):
            due = as_utc(tip_of(tip_id).ack_due_at)
        with time_machine.travel(due + timedelta(minutes=1), tick=False):
            assert sweep() == 1
            assert sweep() == 0
            with tenant_scope(tenant_a.tenant_id):
                tip = tip_of(tip_id)
                assert tip.unit_id == unit_id, step
    assert tip.flagged_at_root and tip.overdue
    assert len(rows(tenant_a, Escalation, Escalation.tip_id == tip_id)) == 2
    assert metric_units(tenant_a, tip_id, "tips_overdue") == [tenant_a.units["district"].id,
                                                              tenant_a.units["department"].id,
                                                              tenant_a.units["root"].id]
    with time_machine.travel(utcnow() + timedelta(days=60), tick=False):
        assert sweep() == 0
    assert notified(tenant_a, tip_id, "overdue") == {tenant_a.users["director"].id}


def test_district_without_a_routed_department_escalates_to_the_hq(make_tip, tip_of, tenant_a):
    tip_id, _ = make_tip("district", category="complaint", description="Khiếu nại về việc xử phạt.")
    with tenant_scope(tenant_a.tenant_id):
        due = as_utc(tip_of(tip_id).ack_due_at)
    with time_machine.travel(due + timedelta(minutes=1), tick=False):
        sweep()
        with tenant_scope(tenant_a.tenant_id):
            assert tip_of(tip_id).unit_id == tenant_a.units["root"].id


def test_urgent_tip_alerts_district_and_province_at_once(make_tip, tenant_a):
    tip_id, _ = make_tip("commune", severity="urgent")
    assert notified(tenant_a, tip_id, "urgent") == {tenant_a.users["unit_admin"].id,
                                                    tenant_a.users["district_officer"].id,
                                                    tenant_a.users["director"].id}
    assert notified(tenant_a, tip_id, "new_tip") == {tenant_a.users["officer"].id,
                                                     tenant_a.users["commune_admin"].id}


def test_deadlines_follow_the_policy(make_tip, tip_of, tenant_a):
    tip_id, _ = make_tip("commune", category="crime_report", description="Bị trộm xe máy trước nhà.")
    with tenant_scope(tenant_a.tenant_id):
        tip = tip_of(tip_id)
        assert tip.resolve_due_at - tip.created_at == timedelta(days=20)  # CPC art. 147
        assert tip.ack_due_at - tip.created_at == timedelta(hours=24)


def test_sweep_command(app_ctx, make_tip, tip_of, tenant_a):
    tip_id, _ = make_tip("commune")
    with tenant_scope(tenant_a.tenant_id):
        due = as_utc(tip_of(tip_id).ack_due_at)
    runner = app_ctx.test_cli_runner()
    with time_machine.travel(due + timedelta(minutes=1), tick=False):
        first = runner.invoke(args=["inbox", "sweep"])
        second = runner.invoke(args=["inbox", "sweep"])
    assert first.exit_code == 0 and "1" in first.output
    assert second.exit_code == 0 and "0" in second.output
    assert len(rows(tenant_a, Escalation, Escalation.tip_id == tip_id)) == 1
