"""Scheduled publishing: the rq job at the set time and the periodic sweep, each publishing exactly once."""
from datetime import timedelta

import time_machine
from sqlalchemy import func, select

from core.extensions import db
from core.timeutil import utcnow


def _published_events(post_id):
    from metrics.models import Event

    return db.session.execute(select(func.count(Event.id)).where(
        Event.metric == "posts_published", Event.subject_id == post_id)).scalar_one()


def _status(in_tenant, tenant, post_id):
    from content.models import Post

    with in_tenant(tenant):
        db.session.expire_all()
        return db.session.execute(select(Post.status).where(Post.id == post_id)).scalar_one()


def _schedule(posts_api, at):
    post = posts_api.create(unit="department", user="director")
    response = posts_api.act(post["id"], "publish", "director", at=at.isoformat())
    assert response.get_json()["status"] == "scheduled"
    return post["id"]


def test_job_publishes_at_its_time_once(posts_api, app_ctx, in_tenant, tenant_a, run_jobs):
    from content.lifecycle import publish_scheduled, sweep_scheduled_posts

    at = utcnow() + timedelta(hours=1)
    post_id = _schedule(posts_api, at)
    if app_ctx.config["REDIS_URL"]:
        from rq.registry import ScheduledJobRegistry

        from core.jobs import queue

        job_ids = ScheduledJobRegistry(queue=queue("default")).get_job_ids()
        assert f"post-publish-{post_id}-{int(at.timestamp())}" in job_ids
    run_jobs()
    publish_scheduled(tenant_a.tenant_id, post_id)  # a job run early publishes nothing
    sweep_scheduled_posts()
    assert _status(in_tenant, tenant_a, post_id) == "scheduled"
    with time_machine.travel(at + timedelta(seconds=5), tick=False):
        publish_scheduled(tenant_a.tenant_id, post_id)
        publish_scheduled(tenant_a.tenant_id, post_id)  # a retried job changes nothing
        sweep_scheduled_posts()
    assert _status(in_tenant, tenant_a, post_id) == "published"
    with in_tenant(tenant_a):
        assert _published_events(post_id) == 1


def test_sweep_publishes_overdue_posts_when_the_job_was_lost(posts_api, app_ctx, in_tenant, tenant_a):
    from content.lifecycle import sweep_scheduled_posts
    from content.models import Post

    at = utcnow() + timedelta(minutes=30)
    post_id = _schedule(posts_api, at)
    with time_machine.travel(at + timedelta(minutes=3), tick=False):
        sweep_scheduled_posts()
        sweep_scheduled_posts()
    assert _status(in_tenant, tenant_a, post_id) == "published"
    with in_tenant(tenant_a):
        assert _published_events(post_id) == 1
        post = db.session.execute(select(Post).where(Post.id == post_id)).scalar_one()
        assert post.published_at is not None


def test_rescheduled_post_is_not_published_by_the_old_job(posts_api, app_ctx, in_tenant, tenant_a):
    from content.lifecycle import publish_scheduled

    first = utcnow() + timedelta(hours=1)
    post_id = _schedule(posts_api, first)
    later = first + timedelta(days=1)
    assert posts_api.act(post_id, "publish", "director", at=later.isoformat()).get_json()["status"] == "scheduled"
    with time_machine.travel(first + timedelta(minutes=1), tick=False):
        publish_scheduled(tenant_a.tenant_id, post_id)
    assert _status(in_tenant, tenant_a, post_id) == "scheduled"


def test_hidden_scheduled_post_is_never_published(posts_api, app_ctx, in_tenant, tenant_a):
    from content.lifecycle import sweep_scheduled_posts

    at = utcnow() + timedelta(minutes=10)
    post_id = _schedule(posts_api, at)
    assert posts_api.act(post_id, "hide", "director").get_json()["status"] == "hidden"
    with time_machine.travel(at + timedelta(minutes=1), tick=False):
        sweep_scheduled_posts()
    assert _status(in_tenant, tenant_a, post_id) == "hidden"
