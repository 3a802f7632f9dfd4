"""The post lifecycle: submit, approve, reject, publish (now or scheduled), hide.

    draft ──submit──▶ in_review ──approve──▶ approved ──publish──▶ published (or scheduled ──▶ published)
      ▲                  │  │                    │                     │
      └──────reject──────┘  └────────reject──────┘        hide: approved/scheduled/published ──▶ hidden
    draft/hidden ──publish──▶ published, only where the review policy exempts the unit
    hidden ──submit──▶ in_review; editing a hidden post makes it a draft again

`approve` never publishes. A wrong transition is a 409. Publishing is counted (`posts_published`) at the
moment the post becomes public, by the request or by the scheduled job, exactly once.

Scheduled publishing: an rq job at the post's time (queued when the schedule commits), and a sweep that publishes
anything overdue. Both go through `publish_due`, which only touches posts still `scheduled` and due, so a job that
runs twice, late, or after a reschedule publishes nothing twice.

Publishing and hiding are announced (`content.signals`): the Zalo channel mirrors a post marked `zalo_publish`
as an article of its unit's OA and removes it when the post is hidden, with jobs enqueued once the caller
commits (its sweep picks up anything missed within a minute).
"""
from sqlalchemy import select

from content.models import Post
from content.policy import may_approve, needs_review, review_policy
from content.signals import post_hidden, post_published
from core import audit
from core.errors import Conflict, Forbidden, Invalid
from core.extensions import db
from core.jobs import enqueue, job
from core.permissions import require
from core.tenancy import for_each_tenant, tenant_scope
from core.timeutil import as_utc, utcnow
from core.transaction import after_commit

ALLOWED_FROM = {
    "submit": {"draft", "hidden"},
    "approve": {"in_review"},
    "reject": {"in_review", "approved"},
    "publish": {"approved", "scheduled"},
    "hide": {"approved", "scheduled", "published"},
}
DIRECT_PUBLISH_FROM = {"draft", "hidden"}


def _conflict(post, action):
    raise Conflict(f"Không thể thực hiện '{action}' khi bài đang ở trạng thái '{post.status}'.",
                   {"status": [post.status]})


def allowed_actions(user, post):
    """The lifecycle actions `user` may take on `post` now (for the buttons of the edit page)."""
    from core.permissions import can

    policy = review_policy(post.tenant_id)
    actions = []
    if can(user, "post.edit", post) and post.status in ALLOWED_FROM["submit"]:
        actions.append("submit")
    if can(user, "post.approve", post) and may_approve(user, post, policy):
        actions += [action for action in ("approve", "reject") if post.status in ALLOWED_FROM[action]]
    direct = post.status in DIRECT_PUBLISH_FROM and not needs_review(post.unit, policy)
    if can(user, "post.publish", post) and (post.status in ALLOWED_FROM["publish"] or direct):
        actions.append("publish")
    if can(user, "post.edit", post) and post.status in ALLOWED_FROM["hide"]:
        actions.append("hide")
    if can(user, "post.edit", post) and post.status == "draft":
        actions.append("delete")
    return actions


def submit(user, post):
    require(user, "post.edit", post)
    if post.status not in ALLOWED_FROM["submit"]:
        _conflict(post, "submit")
    post.status, post.submitted_at, post.reject_reason = "in_review", utcnow(), ""
    return _done(post, "post.submit")


def _require_approver(user, post):
    require(user, "post.approve", post)
    if not may_approve(user, post):
        raise Forbidden("Bài của đơn vị này phải do lãnh đạo hoặc quản trị đơn vị cấp trên duyệt.")


def approve(user, post):
    _require_approver(user, post)
    if post.status not in ALLOWED_FROM["approve"]:
        _conflict(post, "approve")
    post.status, post.approved_by_id, post.approved_at = "approved", user.id, utcnow()
    return _done(post, "post.approve")


def reject(user, post, reason):
    _require_approver(user, post)
    if post.status not in ALLOWED_FROM["reject"]:
        _conflict(post, "reject")
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("Cần nêu lý do trả lại.", {"reason": ["Bắt buộc."]})
    post.status, post.reject_reason = "draft", reason[:1000]
    post.approved_by_id = post.approved_at = None
    return _done(post, "post.reject")


def publish(user, post, at=None):
    """Publish now, or schedule for `at` (aware datetime, must be in the future: 422 naming `at`)."""
    require(user, "post.publish", post)
    direct = post.status in DIRECT_PUBLISH_FROM
    if direct and needs_review(post.unit):
        raise Conflict("Bài của đơn vị này cần được duyệt trước khi đăng.", {"status": [post.status]})
    if not direct and post.status not in ALLOWED_FROM["publish"]:
        _conflict(post, "publish")
    now = utcnow()
    if at is not None:
        at = as_utc(at)
        if at <= now:
            raise Invalid("Thời điểm đăng đã qua.", {"at": ["Phải là một thời điểm trong tương lai."]})
    if direct and post.approved_at is None:
        # A unit that needs no review approves by publishing: the register's "Duyệt lúc" is never blank for a
        # post that goes out.
        post.approved_by_id, post.approved_at = user.id, now
    if at is not None:
        post.status, post.publish_at = "scheduled", at
        after_commit(enqueue, publish_scheduled, post.tenant_id, post.id, at=at,
                     job_id=f"post-publish-{post.id}-{int(at.timestamp())}")
        return _done(post, "post.schedule", {"publish_at": at.isoformat()})
    post.publish_at = None
    mark_published(post, now)
    return _done(post, "post.publish")


def hide(user, post):
    require(user, "post.edit", post)
    if post.status not in ALLOWED_FROM["hide"]:
        _conflict(post, "hide")
    post.status = "hidden"
    post_hidden.send(post)
    return _done(post, "post.hide")


def _done(post, action, details=None):
    post.updated_at = utcnow()
    audit.record(action, target=post, details={"status": post.status, **(details or {})})
    db.session.flush()
    return post


def mark_published(post, at, count=True):
    """The one place a post becomes public, so the count happens once (request, scheduled job or sweep).
    `count=False` is for bulk loads that count with `metrics.events.record_many` themselves."""
    from metrics.events import record

    post.status, post.published_at = "published", at
    if count:
        record("posts_published", post.unit, at=at, subject=post)
    post_published.send(post)


def publish_due(now=None, post_id=None):
    """Publish the current tenant's scheduled posts whose time has come (or only `post_id`). Idempotent:
    rows are locked and re-checked, so a job and a sweep racing each other publish a post once."""
    now = now or utcnow()
    statement = select(Post).where(Post.status == "scheduled", Post.publish_at <= now)
    if post_id is not None:
        statement = statement.where(Post.id == post_id)
    due = db.session.execute(statement.with_for_update(of=Post, skip_locked=True)).scalars().all()
    for post in due:
        mark_published(post, now)
        post.updated_at = now
        audit.record("post.publish", target=post, details={"status": "published", "scheduled": True},
                     actor=(None, "system"))
    db.session.flush()
    return len(due)


@job
def publish_scheduled(tenant_id, post_id):
    with tenant_scope(tenant_id):
        publish_due(post_id=post_id)
        db.session.commit()


@job
def sweep_scheduled_posts():
    """Every tenant's overdue scheduled posts, in case a job was lost (or never enqueued: embedded mode)."""
    for _tenant_id in for_each_tenant():
        publish_due()
        db.session.commit()
