"""The demo month of tips: every state, escalations and overdue tips, consistent counts; idempotent."""
from sqlalchemy import func, select

from core.extensions import db
from core.tenancy import tenant_scope
from inbox.demo import seed
from inbox.models import Escalation, Tip
from metrics.models import Event


def test_demo_tips_cover_every_state_and_are_seeded_once(app_ctx, tenant_a):
    with tenant_scope(tenant_a.tenant_id):
        created = seed(app_ctx, tenant_id=tenant_a.tenant_id)
        assert created >= 300
        statuses = dict(db.session.execute(select(Tip.status, func.count()).group_by(Tip.status)).all())
        assert set(statuses) == {"new", "acknowledged", "in_progress", "resolved", "closed"}
        assert db.session.execute(select(func.count()).select_from(Escalation)).scalar_one() > 5
        assert db.session.execute(select(func.count(Tip.id)).where(Tip.flagged_at_root.is_(True))).scalar_one() > 0
        received = db.session.execute(select(func.count(Event.id)).where(Event.metric == "tips_received")
                                      ).scalar_one()
        assert received == created
        resolved = db.session.execute(select(func.count(Tip.id)).where(Tip.resolved_at.isnot(None))).scalar_one()
        assert db.session.execute(select(func.count(Event.id)).where(Event.metric == "tips_resolved")
                                  ).scalar_one() == resolved
        assert seed(app_ctx, tenant_id=tenant_a.tenant_id) == 0
