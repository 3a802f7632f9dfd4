"""`flask demo`'s metrics: Trà Vinh's pages followed by over 33,000 people in the month, seeded once."""
from datetime import timedelta

from sqlalchemy import func, select

from core.extensions import db
from core.tenancy import load
from core.timeutil import local_today, utcnow
from hierarchy.models import Unit
from metrics import demo
from metrics.events import record
from metrics.models import Event
from metrics.rollups import rollup


def test_demo_followers_and_views_are_seeded_once_beside_what_others_counted(app_ctx, tenant_a, in_tenant):
    with in_tenant(tenant_a):
        # A follow counted by the Zalo webhook and a tip message counted by the inbox, before the seeding.
        record("followers_gained", tenant_a.units["commune"].id, 1, utcnow())
        record("messages_in", tenant_a.units["commune"].id, 5, utcnow())
        assert demo.seed_demo(app_ctx, tenant_id=tenant_a.tenant_id) > 1000
        root = load(Unit, tenant_a.units["root"].id)
        totals = rollup(root, local_today() - timedelta(days=29), local_today()).totals
        net = totals["followers_gained"] - totals["followers_lost"]
        assert 33_000 < net < 34_000
        assert totals["post_views"] == 33_400 * demo.VIEWS_PER_FOLLOWER
        assert totals["messages_in"] == 5 and totals["tips_received"] == 0  # counted by their own packages
        # Every page got followers, the province's the most.
        per_unit = dict(db.session.execute(select(Event.unit_id, func.sum(Event.value))
                                           .where(Event.metric == "followers_gained").group_by(Event.unit_id)).all())
        assert len(per_unit) == db.session.execute(select(func.count(Unit.id))).scalar_one()
        assert max(per_unit, key=per_unit.get) == root.id
        assert demo.seed_demo(app_ctx, tenant_id=tenant_a.tenant_id) == 0
