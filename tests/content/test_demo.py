"""The demo month: enough posts of every kind and status, counted consistently, and idempotent.

How fast it is belongs to the benchmarks, not here: a timed assertion fails on a loaded machine."""
from sqlalchemy import func, select

from core.extensions import db


def test_demo_month_of_posts(app_ctx, in_tenant, tenant_a, tenant_b):
    from content.demo import seed_demo
    from content.models import Post
    from metrics.models import Event

    with in_tenant(tenant_a):
        created = seed_demo(app_ctx, tenant_id=tenant_a.tenant_id)
    with in_tenant(tenant_b):
        created_b = seed_demo(app_ctx, tenant_id=tenant_b.tenant_id)
    assert created >= 600 and 100 <= created_b < created
    with in_tenant(tenant_a):
        by_status = dict(db.session.execute(select(Post.status, func.count(Post.id)).group_by(Post.status)).all())
        kinds = set(db.session.execute(select(Post.kind).distinct()).scalars())
        pinned = db.session.execute(select(func.count(Post.id)).where(Post.pinned.is_(True))).scalar_one()
        events = db.session.execute(select(func.count(Event.id)).where(
            Event.metric == "posts_published")).scalar_one()
        assert seed_demo(app_ctx, tenant_id=tenant_a.tenant_id) == 0
    assert by_status["published"] >= 500 and by_status["in_review"] and by_status["scheduled"]
    assert kinds == {"news", "warning", "procedure", "notice"} and pinned >= 3
    assert events == by_status["published"]
