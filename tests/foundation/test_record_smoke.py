from sqlalchemy import select

from core.extensions import db
from metrics.events import record
from metrics.models import DailyCounter


def test_record_bumps_one_counter(app_ctx, tenant_a, in_tenant):
    with in_tenant(tenant_a):
        record("tips_received", tenant_a.units["commune"].id)
        record("tips_received", tenant_a.units["commune"].id)
        rows = db.session.execute(select(DailyCounter)).scalars().all()
        assert [(r.metric, r.value) for r in rows] == [("tips_received", 2)]
