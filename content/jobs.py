"""Scheduled publishing: an rq job at the post's time, and a sweep that publishes anything overdue.

The job and the sweep both go through `lifecycle.publish_due`, which only touches posts still `scheduled`
and due, so a job that runs twice, late, or after a reschedule publishes nothing twice.
"""
from sqlalchemy import select

from core.extensions import db
from core.jobs import enqueue, job, periodic
from core.tenancy import platform_scope, tenant_scope
from core.timeutil import as_utc
from inbox import effects


@job
def publish_scheduled(tenant_id, post_id):
    from content.lifecycle import publish_due

    with tenant_scope(tenant_id):
        publish_due(post_id=post_id)
        effects.commit()  # a post mirrored on Zalo queues its article job after this commit


@periodic(60)
@job
def sweep_scheduled_posts():
    """Every tenant's overdue scheduled posts, in case a job was lost (or never enqueued: embedded mode)."""
    from content.lifecycle import publish_due
    from tenants.models import Tenant

    with platform_scope():
        tenant_ids = db.session.execute(select(Tenant.id).order_by(Tenant.id)).scalars().all()
    for tenant_id in tenant_ids:
        with tenant_scope(tenant_id):
            publish_due()
            effects.commit()


def schedule_publication(post):
    """Call after the commit that scheduled `post`."""
    at = as_utc(post.publish_at)
    enqueue(publish_scheduled, post.tenant_id, post.id, at=at,
            job_id=f"post-publish-{post.id}-{int(at.timestamp())}")
