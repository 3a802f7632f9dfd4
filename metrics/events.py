"""`record()`: the one way any package counts something.

An event row and the matching daily, monthly and subtree counters are written in the caller's transaction (flush,
never commit), so a count exists exactly when the change it counts does. Each metric is counted once, at the
one unit the public API names, so a subtree's figure is a plain sum of its units' counters.
"""
from collections import defaultdict

from sqlalchemy import Date, bindparam, insert, select, text

from core.extensions import db
from core.tenancy import TenantScopeMissing, current_tenant_id
from core.timeutil import as_utc, local_day, utcnow
from hierarchy.models import Unit
from metrics.models import DailyCounter, Event, MonthlyCounter, SubtreeMonthlyCounter

METRICS = (
    "posts_published", "post_views", "followers_gained", "followers_lost", "messages_in", "messages_out",
    "tips_received", "tips_acknowledged", "tips_resolved", "tips_escalated", "tips_overdue", "sla_met",
    "sla_missed", "first_response_seconds_sum", "first_response_count",
)
# First-response buckets (upper bounds in seconds), counted alongside the sum and count so a dashboard can
# estimate a median without reading events.
FIRST_RESPONSE_BUCKETS = ((3600, "first_response_le_1h"), (4 * 3600, "first_response_le_4h"),
                          (24 * 3600, "first_response_le_24h"), (72 * 3600, "first_response_le_72h"),
                          (None, "first_response_gt_72h"))
ALL_METRICS = METRICS + tuple(name for _limit, name in FIRST_RESPONSE_BUCKETS)


def record(metric, unit, value=1, at=None, subject=None):
    """Count `value` of `metric` at `unit` (a Unit or its id) at time `at` (default now)."""
    _check_metric(metric)
    at = at or utcnow()
    unit_id, unit_path = _unit_key(unit)
    event = Event(tenant_id=_tenant_id(), unit_id=unit_id, metric=metric, value=value, at=at, day=local_day(at),
                  subject_type=type(subject).__name__.lower() if subject is not None else "",
                  subject_id=getattr(subject, "id", None))
    db.session.add(event)
    db.session.flush()  # the event is written now, inside the scope it was counted in
    bump_counter(unit_id, unit_path, event.day, metric, value)
    return event


def record_first_response(unit, seconds, at=None, subject=None):
    """Time to first response: its sum, its count and its bucket."""
    record("first_response_seconds_sum", unit, int(seconds), at, subject)
    record("first_response_count", unit, 1, at, subject)
    record(first_response_bucket(seconds), unit, 1, at, subject)


def first_response_bucket(seconds):
    """The bucket metric a first response of `seconds` is counted in."""
    for limit, name in FIRST_RESPONSE_BUCKETS:
        if limit is None or seconds <= limit:
            return name
    raise AssertionError("the last bucket is open-ended")


def record_many(entries):
    """Bulk `record()` for imports, demo data and benchmarks: one multi-row insert of events and one upsert
    per counter table, in the caller's transaction.

    `entries`: dicts with `metric`, `unit_id`, `value` (default 1), `at` (default now) and optionally
    `subject_type`, `subject_id`. Returns the number of events written.
    """
    entries = list(entries)
    if not entries:
        return 0
    unit_ids = {int(entry["unit_id"]) for entry in entries}
    paths = dict(db.session.execute(select(Unit.id, Unit.path).where(Unit.id.in_(unit_ids))).all())
    tenant_id = _tenant_id()
    events, daily = [], defaultdict(int)
    for entry in entries:
        _check_metric(entry["metric"])
        at = as_utc(entry.get("at")) or utcnow()
        unit_id, value = int(entry["unit_id"]), int(entry.get("value", 1))
        if unit_id not in paths:
            raise ValueError(f"unknown unit {unit_id}")
        events.append({"tenant_id": tenant_id, "unit_id": unit_id, "metric": entry["metric"], "value": value,
                       "at": at, "day": local_day(at), "subject_type": entry.get("subject_type", ""),
                       "subject_id": entry.get("subject_id")})
        daily[(unit_id, events[-1]["day"], entry["metric"])] += value
    db.session.execute(insert(Event), events)
    monthly, subtree = defaultdict(int), defaultdict(int)
    for (unit_id, day, metric), value in daily.items():
        monthly[(unit_id, day.replace(day=1), metric)] += value
    for (unit_id, month, metric), value in monthly.items():
        for unit_path, parent_path in subtrees_above(paths[unit_id]):
            subtree[(unit_path, parent_path, month, metric)] += value
    _upsert(DAILY_UPSERT, "day", tenant_id, paths, daily)
    _upsert(MONTHLY_UPSERT, "month", tenant_id, paths, monthly)
    if subtree:
        db.session.execute(SUBTREE_UPSERT, [
            {"tenant_id": tenant_id, "unit_path": unit_path, "parent_path": parent_path, "month": month,
             "metric": metric, "value": value} for (unit_path, parent_path, month, metric), value in subtree.items()])
    return len(events)


def path_prefixes(unit_path):
    """The paths of the unit and its ancestors, root first: '/84/842/29236/' → '/84/', '/84/842/', '/84/842/29236/'."""
    return Unit.ancestor_paths(unit_path)


def subtrees_above(unit_path):
    """[(subtree path, its parent's path)] of every subtree holding the unit at `unit_path`, but the root's:
    '/84/842/29236/' → [('/84/842/', '/84/'), ('/84/842/29236/', '/84/842/')]."""
    prefixes = path_prefixes(unit_path)
    return list(zip(prefixes[1:], prefixes[:-1], strict=False))


def _check_metric(metric):
    if metric not in ALL_METRICS:
        raise ValueError(f"unknown metric {metric!r}")


def _unit_key(unit):
    if isinstance(unit, Unit):
        return unit.id, unit.path
    path = db.session.execute(select(Unit.path).where(Unit.id == int(unit))).scalar_one()
    return int(unit), path


def _upsert_sql(table, period):
    return (f"INSERT INTO {table} (tenant_id, unit_id, unit_path, {period}, metric, value) "
            f"VALUES (:tenant_id, :unit_id, :unit_path, :{period}, :metric, :value) "
            f"ON CONFLICT (unit_id, {period}, metric) DO UPDATE SET value = {table}.value + excluded.value")


# The upserts are plain SQL, valid on SQLite and PostgreSQL alike: SQLAlchemy never caches the compiled form of
# its dialect-specific INSERT … ON CONFLICT constructs, and compiling one on every count cost more than the
# round trip itself. The tenant id is always bound explicitly.
_DAY, _MONTH = bindparam("day", type_=Date), bindparam("month", type_=Date)
DAILY_UPSERT = text(_upsert_sql(DailyCounter.__tablename__, "day")).bindparams(_DAY)
MONTHLY_UPSERT = text(_upsert_sql(MonthlyCounter.__tablename__, "month")).bindparams(_MONTH)
_SUBTREE_CONFLICT = (f"ON CONFLICT (tenant_id, unit_path, month, metric) "
                     f"DO UPDATE SET value = {SubtreeMonthlyCounter.__tablename__}.value + excluded.value")
SUBTREE_UPSERT = text(
    f"INSERT INTO {SubtreeMonthlyCounter.__tablename__} (tenant_id, unit_path, parent_path, month, metric, value) "
    f"VALUES (:tenant_id, :unit_path, :parent_path, :month, :metric, :value) {_SUBTREE_CONFLICT}").bindparams(_MONTH)
# PostgreSQL runs all three in one statement (data-modifying CTEs; the subtrees above the unit come as two
# arrays, zipped by unnest), so counting costs one round trip.
ALL_UPSERT = text(
    f"WITH bump_daily AS ({_upsert_sql(DailyCounter.__tablename__, 'day')}), "
    f"bump_monthly AS ({_upsert_sql(MonthlyCounter.__tablename__, 'month')}) "
    f"INSERT INTO {SubtreeMonthlyCounter.__tablename__} (tenant_id, unit_path, parent_path, month, metric, value) "
    f"SELECT :tenant_id, subtree.unit_path, subtree.parent_path, :month, :metric, :value "
    f"FROM unnest(CAST(:subtree_paths AS varchar[]), CAST(:parent_paths AS varchar[])) "
    f"AS subtree (unit_path, parent_path) {_SUBTREE_CONFLICT}").bindparams(_DAY, _MONTH)


def _tenant_id():
    tenant_id = current_tenant_id()
    if tenant_id is None:
        raise TenantScopeMissing("metrics are counted inside one tenant's scope")
    return tenant_id


def _upsert(statement, period_column, tenant_id, paths, deltas):
    rows = [{"tenant_id": tenant_id, "unit_id": unit_id, "unit_path": paths[unit_id], period_column: period,
             "metric": metric, "value": value} for (unit_id, period, metric), value in deltas.items()]
    db.session.execute(statement, rows)


def bump_counter(unit_id, unit_path, day, metric, value):
    """Add to one daily counter, its monthly counter and the subtree counters above the unit, in the caller's
    transaction (SQLite and PostgreSQL)."""
    params = {"tenant_id": _tenant_id(), "unit_id": unit_id, "unit_path": unit_path, "day": day,
              "month": day.replace(day=1), "metric": metric, "value": value}
    subtrees = subtrees_above(unit_path)
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(ALL_UPSERT, {**params, "subtree_paths": [path for path, _parent in subtrees],
                                        "parent_paths": [parent for _path, parent in subtrees]})
        return
    db.session.execute(DAILY_UPSERT, params)
    db.session.execute(MONTHLY_UPSERT, params)
    if subtrees:
        db.session.execute(SUBTREE_UPSERT, [{**params, "unit_path": path, "parent_path": parent}
                                            for path, parent in subtrees])
