"""`flask demo`: the followers and page views that make the dashboard look like a province on Zalo — Trà Vinh
reported over 33,000 people following its pages after its first month.

The window is the one `flask demo` asks for (by default the last 30 days, one event per unit and day); a longer
window (the pre-reform history of 2021–2025, the months since the reform) gets one event per unit and month, at
a random moment of it, and a year's worth of followers for every year it spans. Only a tenant's first window
has the launch curve: the months after the reform continue the history carried into them.

Posts, tips and tip messages are counted by the packages that create them (content, inbox, zalo); this adds
only what no demo object stands for. Everything goes through `record_many`, so events and counters agree.
Idempotent (each figure is seeded once per window, marked `subject_type="demo"`), independent of the order in which the
packages' demo receivers run, and deterministic per tenant (seeded by its slug).
"""
import math
import random
from datetime import datetime, time, timedelta

from sqlalchemy import select

from core.extensions import db
from core.signals import demo_window
from core.timeutil import LOCAL_TZ, local_day
from hierarchy.models import Unit
from metrics.events import record_many
from metrics.models import Event

DAILY_MAX_DAYS = 92  # longer windows get one event per unit and month
FOLLOWERS = {"84": 33_400, "86": 33_400}  # net followers after the first month (then each year), by province
DEFAULT_FOLLOWERS = 15_000
LOST_SHARE = 0.04
VIEWS_PER_FOLLOWER = 4
# Share of a tenant's audience by the kind of page, split between the pages of that kind.
KIND_SHARE = {"province": 0.28, "department": 0.10, "district": 0.30, "commune": 0.32}
DEMO_SUBJECT = "demo"


def seed_demo(sender, tenant_id=None, start=None, end=None, **_kwargs):
    """The `demo_seed` receiver, run inside the tenant's scope. Returns the number of events written."""
    from tenants.models import Tenant

    start, end = demo_window(start, end)
    tenant = db.session.get(Tenant, tenant_id)
    rng = random.Random(f"metrics-{tenant.slug}")
    units = db.session.execute(select(Unit).where(Unit.active.is_(True)).order_by(Unit.path)).scalars().all()
    window = _Window(start, end)
    target = round(FOLLOWERS.get(tenant.province_code, DEFAULT_FOLLOWERS) * max(1, window.days / 365))
    shares = _unit_shares(units, rng)
    launch = not _seeded_before(window.start)
    entries = []
    if not _seeded("followers_gained", window):
        gained = round(target / (1 - LOST_SHARE))
        for unit, count in _largest_remainder(gained, shares).items():
            entries += _spread(rng, unit, "followers_gained", count, window, launch=launch)
            entries += _spread(rng, unit, "followers_lost", round(count * LOST_SHARE), window, launch=False)
    if not _seeded("post_views", window):
        for unit, count in _largest_remainder(target * VIEWS_PER_FOLLOWER, shares).items():
            entries += _spread(rng, unit, "post_views", count, window, launch=launch)
    record_many(entries)
    return len(entries)


class _Window:
    """[start, end) split into buckets of local days: one per day up to DAILY_MAX_DAYS, else one per month."""

    def __init__(self, start, end):
        self.start, self.end = start, end
        first, last = local_day(start), local_day(end - timedelta(seconds=1))
        self.days = (last - first).days + 1
        if self.days <= DAILY_MAX_DAYS:
            # As many days as the window is long, ending with the day it ends on (the last 30 days by default).
            count = max(1, round((end - start).total_seconds() / 86400))
            self.buckets = [(last - timedelta(days=offset),) * 2 for offset in range(count - 1, -1, -1)]
        else:
            self.buckets = []
            month = first.replace(day=1)
            while month <= last:
                following = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
                self.buckets.append((max(month, first), min(following - timedelta(days=1), last)))
                month = following

    def moment(self, rng, bucket):
        """A time between 07:00 and 21:59 local on a day of the bucket, inside the window."""
        first, last = bucket
        day = first + timedelta(days=rng.randint(0, (last - first).days))
        at = datetime.combine(day, time(rng.randint(7, 21), rng.randint(0, 59)), tzinfo=LOCAL_TZ)
        return min(max(at, self.start), self.end - timedelta(minutes=1))


def _seeded(metric, window):
    # An entity SELECT (not `exists()`), so the tenant scope applies to it.
    statement = select(Event.id).where(Event.metric == metric, Event.subject_type == DEMO_SUBJECT,
                                       Event.at >= window.start, Event.at < window.end).limit(1)
    return db.session.execute(statement).first() is not None


def _seeded_before(start):
    statement = select(Event.id).where(Event.subject_type == DEMO_SUBJECT, Event.at < start).limit(1)
    return db.session.execute(statement).first() is not None


def _unit_shares(units, rng):
    """{unit: weight} summing to 1: each kind's share split between its pages, ±40 % at random."""
    by_kind = {}
    for unit in units:
        by_kind.setdefault(unit.kind, []).append(unit)
    weights = {}
    for kind, members in by_kind.items():
        raw = {unit: rng.uniform(0.6, 1.4) for unit in members}
        scale = KIND_SHARE.get(kind, 0.05) / sum(raw.values())
        weights.update({unit: value * scale for unit, value in raw.items()})
    total = sum(weights.values())
    return {unit: weight / total for unit, weight in weights.items()}


def _largest_remainder(total, shares):
    """Split an integer total by shares so the parts add up to it exactly."""
    exact = {key: total * share for key, share in shares.items()}
    parts = {key: math.floor(value) for key, value in exact.items()}
    leftover = total - sum(parts.values())
    for key in sorted(exact, key=lambda key: exact[key] - parts[key], reverse=True)[:leftover]:
        parts[key] += 1
    return parts


def _spread(rng, unit, metric, count, window, launch):
    """One event per bucket carrying its count; a launch curve front-loads the first buckets."""
    if count <= 0:
        return []
    weights = {bucket: (1 + 3 * math.exp(-index / 6) if launch else 1) * rng.uniform(0.7, 1.3)
               for index, bucket in enumerate(window.buckets)}
    total = sum(weights.values())
    per_bucket = _largest_remainder(count, {bucket: weight / total for bucket, weight in weights.items()})
    return [{"metric": metric, "unit_id": unit.id, "value": value, "at": window.moment(rng, bucket),
             "subject_type": DEMO_SUBJECT} for bucket, value in per_bucket.items() if value]
