"""`flask demo`: the followers and page views that make the dashboard look like a province's first month on
Zalo — Trà Vinh reported over 33,000 people following its pages.

Posts, tips and tip messages are counted by the packages that create them (content, inbox, zalo); this adds
only what no demo object stands for. Everything goes through `record_many`, so events and counters agree.
Idempotent (each figure is seeded once, marked `subject_type="demo"`), independent of the order in which the
packages' demo receivers run, and deterministic per tenant (seeded by its slug).
"""
import math
import random
from datetime import datetime, time, timedelta

from sqlalchemy import select

from core.extensions import db
from core.timeutil import LOCAL_TZ, local_today, utcnow
from hierarchy.models import Unit
from metrics.events import record_many
from metrics.models import Event

DAYS = 30
FOLLOWERS = {"84": 33_400}  # net followers after the first month, by province code
DEFAULT_FOLLOWERS = 15_000
LOST_SHARE = 0.04
VIEWS_PER_FOLLOWER = 4
# Share of a tenant's audience by the kind of page, split between the pages of that kind.
KIND_SHARE = {"province": 0.28, "department": 0.10, "district": 0.30, "commune": 0.32}
DEMO_SUBJECT = "demo"


def seed_demo(sender, tenant_id=None, **_kwargs):
    """The `demo_seed` receiver, run inside the tenant's scope. Returns the number of events written."""
    from tenants.models import Tenant

    tenant = db.session.get(Tenant, tenant_id)
    rng = random.Random(f"metrics-{tenant.slug}")
    units = db.session.execute(select(Unit).where(Unit.active.is_(True)).order_by(Unit.path)).scalars().all()
    days = [local_today() - timedelta(days=offset) for offset in range(DAYS - 1, -1, -1)]
    target = FOLLOWERS.get(tenant.province_code, DEFAULT_FOLLOWERS)
    shares = _unit_shares(units, rng)
    entries = []
    if not _seeded("followers_gained"):
        gained = round(target / (1 - LOST_SHARE))
        for unit, count in _largest_remainder(gained, shares).items():
            entries += _spread(rng, unit, "followers_gained", count, days, launch=True)
            entries += _spread(rng, unit, "followers_lost", round(count * LOST_SHARE), days, launch=False)
    if not _seeded("post_views"):
        for unit, count in _largest_remainder(target * VIEWS_PER_FOLLOWER, shares).items():
            entries += _spread(rng, unit, "post_views", count, days, launch=True)
    record_many(entries)
    return len(entries)


def _seeded(metric):
    # An entity SELECT (not `exists()`), so the tenant scope applies to it.
    statement = select(Event.id).where(Event.metric == metric, Event.subject_type == DEMO_SUBJECT).limit(1)
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


def _spread(rng, unit, metric, count, days, launch):
    """One event per day carrying that day's count; a launch curve front-loads the first week."""
    if count <= 0:
        return []
    weights = {day: (1 + 3 * math.exp(-index / 6) if launch else 1) * rng.uniform(0.7, 1.3)
               for index, day in enumerate(days)}
    total = sum(weights.values())
    per_day = _largest_remainder(count, {day: weight / total for day, weight in weights.items()})
    return [{"metric": metric, "unit_id": unit.id, "value": value, "at": _moment(rng, day),
             "subject_type": DEMO_SUBJECT} for day, value in per_day.items() if value]


def _moment(rng, day):
    """A time between 07:00 and 21:59 local on `day`, never in the future."""
    at = datetime.combine(day, time(rng.randint(7, 21), rng.randint(0, 59)), tzinfo=LOCAL_TZ)
    return min(at, utcnow())
