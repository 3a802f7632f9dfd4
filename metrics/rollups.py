"""Roll-ups of a unit's subtree over a local date range, read from the counter tables only.

Every function reads counters by the `unit_path` prefix, whole months from `metric_monthly` and edge days from
`metric_daily` (see `periods.read_plan`), in one grouped SQL statement: the cost grows with units × periods,
never with the number of events. A unit's children are told apart by the path segment that follows the unit's
own path, so a per-child breakdown is one GROUP BY, not a query per child.
"""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import case, func, literal, or_, select, union_all

from core.extensions import db
from core.tenancy import current_tenant_id
from core.timeutil import local_today
from hierarchy.models import Unit
from metrics.events import ALL_METRICS
from metrics.kpis import DERIVED_INPUTS, derive
from metrics.models import DailyCounter, MonthlyCounter
from metrics.periods import granularity_for, month_start, next_month, read_plan


@dataclass
class ChildTotals:
    unit: Unit
    totals: dict


@dataclass
class Rollup:
    unit: Unit
    day_from: object
    day_to: object
    totals: dict = field(default_factory=dict)
    own: dict = field(default_factory=dict)
    children: list = field(default_factory=list)  # [ChildTotals], in tree order


@dataclass
class RankedUnit:
    rank: int
    unit: Unit
    value: object  # an int, a float (a ratio or an average) or None when it cannot be computed
    totals: dict


def zero_totals(metrics=ALL_METRICS):
    return dict.fromkeys(metrics, 0)


def children_of(unit):
    statement = select(Unit).where(Unit.parent_id == unit.id).order_by(Unit.sort_order, Unit.code)
    return db.session.execute(statement).scalars().all()


def rollup(unit, day_from, day_to, metrics=ALL_METRICS, today=None):
    """Totals of the subtree, the unit's own figures and each child's subtree totals; every metric present."""
    children = children_of(unit)
    by_segment = defaultdict(lambda: zero_totals(metrics))
    for row in _aggregate(unit.path, day_from, day_to, metrics, ("segment",), today):
        by_segment[row.segment][row.metric] += int(row.value)
    result = Rollup(unit=unit, day_from=day_from, day_to=day_to, own=dict(by_segment[""]))
    result.children = [ChildTotals(child, dict(by_segment[child.code])) for child in children]
    result.totals = dict(result.own)
    for child in result.children:
        for metric, value in child.totals.items():
            result.totals[metric] += value
    return result


def totals(unit, day_from, day_to, metrics=ALL_METRICS, today=None):
    """{metric: n} of the unit's subtree over the range (one query), every metric present."""
    result = zero_totals(metrics)
    for row in _aggregate(unit.path, day_from, day_to, metrics, (), today):
        result[row.metric] += int(row.value)
    return result


def series(unit, day_from, day_to, metrics=ALL_METRICS, granularity=None, today=None):
    """[(period start, {metric: n})] for every day (or month) of the range, zeros included."""
    granularity = granularity or granularity_for(day_from, day_to)
    points = {period: zero_totals(metrics) for period in periods_of(day_from, day_to, granularity)}
    for row in _aggregate(unit.path, day_from, day_to, metrics, ("period",), today, granularity):
        points[_bucket(row.period, granularity)][row.metric] += int(row.value)
    return list(points.items())


def child_series(unit, day_from, day_to, metrics=ALL_METRICS, granularity=None, today=None):
    """{child unit id: [(period start, {metric: n})]} for each child's subtree, in one grouped query."""
    granularity = granularity or granularity_for(day_from, day_to)
    periods = periods_of(day_from, day_to, granularity)
    children = {child.code: child for child in children_of(unit)}
    points = {child.id: {period: zero_totals(metrics) for period in periods} for child in children.values()}
    rows = _aggregate(unit.path, day_from, day_to, metrics, ("segment", "period"), today, granularity)
    for row in rows:
        child = children.get(row.segment)
        if child is not None:
            points[child.id][_bucket(row.period, granularity)][row.metric] += int(row.value)
    return {child_id: list(by_period.items()) for child_id, by_period in points.items()}


def subtree_table(unit, day_from, day_to, metrics=ALL_METRICS, today=None):
    """[(Unit, own totals, subtree totals)] for every unit of the subtree, in path order (one counter query).

    Meant for reports: each unit's own figures and its subtree's, summed in Python from per-unit rows.
    """
    units = db.session.execute(Unit.subtree_of(unit).order_by(Unit.path)).scalars().all()
    own = defaultdict(lambda: zero_totals(metrics))
    for row in _aggregate(unit.path, day_from, day_to, metrics, ("unit_path",), today):
        own[row.unit_path][row.metric] += int(row.value)
    subtree = {member.path: zero_totals(metrics) for member in units}
    for path, totals in own.items():
        for prefix in _prefixes(path):
            if prefix in subtree:
                for metric, value in totals.items():
                    subtree[prefix][metric] += value
    return [(member, dict(own[member.path]), subtree[member.path]) for member in units]


def ranking(unit, day_from, day_to, metric, kind=None, descending=True, today=None):
    """Units ranked by `metric` (a counter or a derived figure, see `kpis.DERIVED`): the unit's children, or
    with `kind` every descendant of that kind, each by its subtree total. Units with no value come last."""
    inputs = DERIVED_INPUTS.get(metric, (metric,))
    if kind is None:
        candidates = [(child.unit, child.totals) for child in rollup(unit, day_from, day_to, inputs, today).children]
    else:
        candidates = [(member, totals) for member, _own, totals in subtree_table(unit, day_from, day_to, inputs, today)
                      if member.kind == kind and member.id != unit.id]
    scored = [(derive(totals).get(metric, totals.get(metric)), member, totals) for member, totals in candidates]
    present = sorted((item for item in scored if item[0] is not None),
                     key=lambda item: ((-item[0] if descending else item[0]), item[1].name))
    missing = sorted((item for item in scored if item[0] is None), key=lambda item: item[1].name)
    return [RankedUnit(rank, member, value, totals)
            for rank, (value, member, totals) in enumerate(present + missing, start=1)]


def periods_of(day_from, day_to, granularity):
    """The period starts of a range: every day, or the first day of every month it touches."""
    if granularity == "day":
        return [day_from + timedelta(days=offset) for offset in range((day_to - day_from).days + 1)]
    months, month = [], month_start(day_from)
    while month <= day_to:
        months.append(month)
        month = next_month(month)
    return months


def _bucket(period, granularity):
    return period if granularity == "day" else month_start(period)


def _prefixes(path):
    """'/84/842/29236/' → '/84/', '/84/842/', '/84/842/29236/'."""
    parts = path.strip("/").split("/")
    return ["/" + "/".join(parts[:depth]) + "/" for depth in range(1, len(parts) + 1)]


def _segment(path_column, prefix):
    """SQL: the code of the child of `prefix` that a descendant's path goes through ('' for the unit itself)."""
    rest = func.substr(path_column, len(prefix) + 1)
    if db.session.get_bind().dialect.name == "postgresql":
        code = func.split_part(rest, "/", 1)
    else:
        code = func.substr(rest, 1, func.instr(rest, "/") - 1)
    return case((path_column == prefix, literal("")), else_=code)


def _aggregate(path, day_from, day_to, metrics, group, today=None, granularity=None):
    """Rows of (group columns…, metric, value) summed over the subtree at `path` and the range.

    `group` names what to keep apart besides the metric: "segment" (the child), "period" (the counter's day or
    month), "unit_path". Day-grained series read daily counters only; everything else uses the month plan.
    """
    if day_from > day_to:
        raise ValueError("day_from is after day_to")
    plan = read_plan(day_from, day_to, today or local_today(), use_months=granularity != "day")
    tenant_id = current_tenant_id()
    parts = []
    for model, period, ranges, sign in ((MonthlyCounter, MonthlyCounter.month, plan.months, 1),
                                        (DailyCounter, DailyCounter.day, plan.plus_days, 1),
                                        (DailyCounter, DailyCounter.day, plan.minus_days, -1)):
        if not ranges:
            continue
        columns = [model.metric.label("metric"), (model.value if sign > 0 else -model.value).label("value")]
        if "segment" in group:
            columns.append(_segment(model.unit_path, path).label("segment"))
        if "period" in group:
            columns.append(period.label("period"))
        if "unit_path" in group:
            columns.append(model.unit_path.label("unit_path"))
        parts.append(select(*columns).where(
            model.tenant_id == tenant_id, model.unit_path.like(path + "%"),
            or_(*[period.between(low, high) for low, high in ranges]), model.metric.in_(metrics)))
    combined = (parts[0] if len(parts) == 1 else union_all(*parts)).subquery("counters")
    keys = [combined.c[name] for name in group] + [combined.c.metric]
    statement = select(*keys, func.sum(combined.c.value).label("value")).group_by(*keys)
    return db.session.execute(statement).all()
