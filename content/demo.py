"""`flask demo`: posts on every active unit's page, dated over the window `flask demo` asks for (by default
the last 30 days; Trà Vinh reported 600+ posts in its first month, which the pre-reform demo spreads over
2021–2025).

Posts are built by `new_post` and `mark_published` (as the API's posts are) with explicit past timestamps and
counted with `record_many`, so revisions, the `posts_published` events and the counters agree with the pages.
Idempotent: a window that already holds posts of the tenant is left alone. Deterministic per tenant (seeded by
its slug).
"""
import random
from datetime import timedelta

from sqlalchemy import func, select

from content.demo_texts import TEMPLATES, fill
from content.lifecycle import mark_published
from content.models import Post
from content.services import new_post
from core.extensions import db
from core.signals import demo_window
from core.timeutil import utcnow
from metrics.events import record_many

PER_UNIT = {"province": 45, "department": 10, "district": 16, "commune": 3.3}
KIND_WEIGHTS = (("news", 45), ("warning", 25), ("procedure", 12), ("notice", 18))
SCALE = {"tra-vinh": 1.0}
DEFAULT_SCALE = 0.25


def seed_demo(sender, tenant_id=None, start=None, end=None, **_kwargs):
    """The `demo_seed` receiver; runs inside the tenant's scope (set by `flask demo`)."""
    from hierarchy.models import Unit
    from tenants.models import Membership, Tenant, User

    start, end = demo_window(start, end)
    if db.session.execute(select(func.count(Post.id)).where(Post.created_at >= start,
                                                             Post.created_at < end)).scalar_one():
        return 0
    tenant = db.session.get(Tenant, tenant_id)
    rng = random.Random(tenant.slug)
    window = _Window(start, end, live=end >= utcnow() - timedelta(days=1))
    units = db.session.execute(select(Unit).where(Unit.active.is_(True)).order_by(Unit.path)).scalars().all()
    memberships = db.session.execute(select(Membership).where(Membership.role.in_(("unit_admin", "director")))
                                     ).scalars().all()
    admins = {m.unit_id: db.session.get(User, m.user_id) for m in memberships}
    director = next((db.session.get(User, m.user_id) for m in memberships if m.role == "director"), None)
    posts = []
    for unit in units:
        wanted = PER_UNIT.get(unit.kind, 3) * SCALE.get(tenant.slug, DEFAULT_SCALE)
        number = int(wanted) + (1 if rng.random() < wanted - int(wanted) else 0)
        posts += [_seed_post(rng, unit, admins.get(unit.id) or director, director, window, index)
                  for index in range(number)]
    db.session.add_all(posts)
    db.session.flush()
    record_many({"metric": "posts_published", "unit_id": post.unit_id, "at": post.published_at,
                 "subject_type": "post", "subject_id": post.id} for post in posts if post.status == "published")
    db.session.flush()
    return len(posts)


class _Window:
    """[start, end) of the seeding; `live` when it ends now (only then are posts scheduled for the future)."""

    def __init__(self, start, end, live):
        self.start, self.end, self.live = start, end, live
        self.days = max(1, (end - start).days)

    def moment(self, rng):
        """7h–20h local time (UTC+7) on a day of the window, never at or after its end."""
        at = (self.start + timedelta(days=rng.randrange(self.days))).replace(hour=rng.randint(0, 13),
                                                                          minute=rng.randint(0, 59))
        while at >= self.end:
            at -= timedelta(days=1)
        return max(at, self.start)


def _fate(rng, index, live):
    """Most posts are published; a few wait for review, are scheduled (only in a window that ends now), or are
    still drafts."""
    roll = rng.random()
    if index == 0 and roll < 0.12:
        return "pinned"
    if 0.05 <= roll < 0.08 and not live:
        return "published"
    return "in_review" if roll < 0.05 else "scheduled" if roll < 0.08 else "draft" if roll < 0.10 else "published"


def _seed_post(rng, unit, author, approver, window, index):
    now = window.end
    kind = rng.choices([k for k, _w in KIND_WEIGHTS], weights=[w for _k, w in KIND_WEIGHTS])[0]
    fate = _fate(rng, index, window.live)
    published_at = window.moment(rng) if fate in ("published", "pinned") else None
    title, body = fill(rng.choice(TEMPLATES[kind]), unit, rng, published_at or now)
    if fate in ("published", "pinned"):
        created_at = published_at - timedelta(hours=rng.uniform(1, 20))
    elif fate == "scheduled":
        created_at = now - timedelta(hours=rng.uniform(2, 48))
    else:
        created_at = now - timedelta(hours=rng.uniform(1, 60))
    post = new_post(author, unit, {"title": title, "body": body, "kind": kind, "pinned": fate == "pinned"},
                    at=created_at)
    needs_review = unit.kind in ("commune", "district")
    if fate in ("published", "pinned", "scheduled", "in_review"):
        post.submitted_at = created_at + timedelta(minutes=rng.randint(5, 50))
        post.status = "in_review"
    if fate in ("published", "pinned", "scheduled") and needs_review:
        post.approved_by_id = getattr(approver, "id", None)
        post.approved_at = post.submitted_at + timedelta(minutes=rng.randint(10, 120))
    elif fate in ("published", "pinned", "scheduled"):  # approved by its own unit as it was sent out
        post.approved_by_id, post.approved_at = author.id, post.submitted_at
    if fate == "scheduled":
        post.status = "scheduled"
        post.publish_at = (now + timedelta(days=rng.randint(1, 7))).replace(hour=1, minute=0, second=0,
                                                                             microsecond=0)
    elif fate in ("published", "pinned"):
        mark_published(post, published_at, count=False)  # counted in bulk once the posts have ids
    post.updated_at = post.published_at or post.submitted_at or created_at
    return post
