"""Redis stopped during tip intake: every tip is saved and answered 201; once Redis is back, the periodic
sweep deals with the deadlines whose timers were lost, and schedules the new ones."""
from datetime import timedelta

import pytest
import time_machine
from rq import Queue
from rq.registry import ScheduledJobRegistry
from sqlalchemy import select

from core.extensions import db
from core.tenancy import tenant_scope
from tests.faults.conftest import SERVICES_ONLY

pytestmark = [pytest.mark.services, SERVICES_ONLY]


def scheduled_jobs(app):
    connection = app.extensions["ketnoi_redis"]
    return ScheduledJobRegistry(queue=Queue("default", connection=connection)).get_job_ids()


def test_tips_are_saved_without_redis_and_the_sweep_catches_up(own_redis, app_using, tenant_a, caplog):
    from inbox.jobs import sweep_deadlines
    from inbox.models import Tip

    app = app_using(REDIS_URL=own_redis.url)
    client = app.test_client()
    commune = tenant_a.units["commune"]
    own_redis.stop()
    assert client.get("/healthz").status_code == 503
    codes = []
    for number in range(3):
        response = client.post(f"/api/v1/public/units/{commune.id}/tips", json={
            "category": "security_report", "description": f"Nhóm thanh niên tụ tập gây rối lần {number + 1}."})
        assert response.status_code == 201, response.get_data(as_text=True)
        codes.append(response.get_json()["tracking_code"])
    with tenant_scope(tenant_a.tenant_id):
        saved = db.session.execute(select(Tip).where(Tip.tracking_code.in_(codes))).scalars().all()
        assert {tip.tracking_code for tip in saved} == set(codes)
        assert all(tip.unit_id == commune.id and tip.ack_due_at is not None for tip in saved)
        ack_due = max(tip.ack_due_at for tip in saved)

    own_redis.start()  # the same port, an empty Redis: every timer of those tips is lost
    assert client.get("/healthz").status_code == 200
    assert scheduled_jobs(app) == []
    with time_machine.travel(ack_due + timedelta(minutes=1), tick=False), app.app_context():
        assert sweep_deadlines() >= 3
    with tenant_scope(tenant_a.tenant_id):
        db.session.expire_all()
        moved = db.session.execute(select(Tip).where(Tip.tracking_code.in_(codes))).scalars().all()
        assert {tip.unit_id for tip in moved} == {tenant_a.units["district"].id}
        assert all(tip.escalated for tip in moved)
    jobs = scheduled_jobs(app)
    assert len([job for job in jobs if job.startswith("inbox-deadline-")]) >= 3  # the new deadlines' timers
