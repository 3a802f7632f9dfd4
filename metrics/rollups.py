"""Roll-ups of a unit's subtree over a local date range, read from the counter tables only.

Every function reads counters in one grouped SQL statement (see `periods.read_plan`): whole months from the
unit's own `metric_monthly` rows and its children's `metric_subtree_monthly` rows, edge days from `metric_daily`
by the `unit_path` prefix. The cost grows with children × months plus units × edge days, never with the number
of events. A unit's children are told apart by the path segment that follows the unit's own path, so a
per-child breakdown is one GROUP BY, not a query per child.
"""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache

from sqlalchemy import Date, bindparam, select, text
from sqlalchemy.orm import lazyload

from core.extensions import db
from core.tenancy import current_tenant_id
from core.timeutil import local_today
from hierarchy.models import Unit
from metrics.events import ALL_METRICS, path_prefixes
from metrics.kpis import DERIVED_INPUTS, derive
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


_NO_PARENT_JOIN = lazyload(Unit.parent)  # built once: building the option cost as much as a tenth of a roll-up


def children_of(unit):
    """The unit's children in tree order. Their `parent` is `unit` itself, already loaded: no join for it."""
    statement = (select(Unit).where(Unit.parent_id == unit.id).options(_NO_PARENT_JOIN)
                 .order_by(Unit.sort_order, Unit.code))
    return db.session.execute(statement).scalars().all()


def rollup(unit, day_from, day_to, metrics=ALL_METRICS, today=None):
    """Totals of the subtree, the unit's own figures and each child's subtree totals; every metric present."""
    children = children_of(unit)
    by_segment = defaultdict(dict)  # only the figures present: the sum below adds those, not every zero
    for segment, metric, value in _aggregate(unit, day_from, day_to, metrics, ("segment",), today):
        by_segment[segment][metric] = value
    zeros = zero_totals(metrics)
    result = Rollup(unit=unit, day_from=day_from, day_to=day_to, own={**zeros, **by_segment[""]})
    result.children = [ChildTotals(child, {**zeros, **by_segment[child.code]}) for child in children]
    result.totals = dict(zeros)
    for figures in [by_segment[""]] + [by_segment[child.code] for child in children]:
        for metric, value in figures.items():
            result.totals[metric] += value
    return result


def totals(unit, day_from, day_to, metrics=ALL_METRICS, today=None):
    """{metric: n} of the unit's subtree over the range (one query), every metric present."""
    result = zero_totals(metrics)
    for row in _aggregate(unit, day_from, day_to, metrics, (), today):
        result[row.metric] += int(row.value)
    return result


def series(unit, day_from, day_to, metrics=ALL_METRICS, granularity=None, today=None):
    """[(period start, {metric: n})] for every day (or month) of the range, zeros included."""
    granularity = granularity or granularity_for(day_from, day_to)
    points = {period: zero_totals(metrics) for period in periods_of(day_from, day_to, granularity)}
    for row in _aggregate(unit, day_from, day_to, metrics, ("period",), today, granularity):
        points[_bucket(row.period, granularity)][row.metric] += int(row.value)
    return list(points.items())


def child_series(unit, day_from, day_to, metrics=ALL_METRICS, granularity=None, today=None):
    """{child unit id: [(period start, {metric: n})]} for each child's subtree, in one grouped query."""
    granularity = granularity or granularity_for(day_from, day_to)
    periods = periods_of(day_from, day_to, granularity)
    children = {child.code: child for child in children_of(unit)}
    points = {child.id: {period: zero_totals(metrics) for period in periods} for child in children.values()}
    rows = _aggregate(unit, day_from, day_to, metrics, ("segment", "period"), today, granularity)
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
    for row in _aggregate(unit, day_from, day_to, metrics, ("unit_path",), today):
        own[row.unit_path][row.metric] += int(row.value)
    subtree = {member.path: zero_totals(metrics) for member in units}
    for path, totals in own.items():
        for prefix in path_prefixes(path):
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


def _aggregate(unit, day_from, day_to, metrics, group, today=None, granularity=None):
    """Rows of (group columns…, metric, value) summed over the unit's subtree and the range, in one statement.

    `group` names what to keep apart besides the metric: "segment" (the child's code, '' for the unit itself),
    "period" (the counter's day or month), "unit_path". Day-grained series read daily counters only; everything
    else uses the month plan, whole months coming from the unit's own monthly counters and its children's subtree
    counters (per-unit monthly counters when each unit is asked for). The tenant is bound explicitly.
    """
    if day_from > day_to:
        raise ValueError("day_from is after day_to")
    plan = read_plan(day_from, day_to, today or local_today(), use_months=granularity != "day")
    params = {"tenant_id": current_tenant_id(), "unit_id": unit.id, "path": unit.path,
              "path_end": unit.path[:-1] + chr(ord(unit.path[-1]) + 1), "code_start": len(unit.path) + 1}
    filtered = set(metrics) != _EVERY_METRIC  # the common case needs no list for the server to plan and check
    if filtered:
        params["metrics"] = list(metrics)
    counts = []
    for kind, ranges in zip(_RANGE_KINDS, (plan.months, plan.plus_days, plan.minus_days), strict=False):
        for index, (low, high) in enumerate(ranges):
            params[f"{kind}{index}_from"], params[f"{kind}{index}_to"] = low, high
        counts.append(len(ranges))
    dialect = db.session.get_bind().dialect.name
    statement = _statement(dialect, tuple(group), *counts, filtered)
    return db.session.connection().execute(statement, params).all()


_EVERY_METRIC = frozenset(ALL_METRICS)  # `record()` counts no other name
_RANGE_KINDS = ("month", "plus", "minus")


@lru_cache(maxsize=256)
def _statement(dialect, group, months, plus_days, minus_days, filtered):
    """The roll-up statement of one shape (what it groups, how many ranges of each kind), written once.

    Plain SQL text: building and compiling a Core statement of a dozen parts on every roll-up cost more than
    the database spent answering it. Each period range is its own part of the UNION ALL, so each is one
    index-only range scan on PostgreSQL.
    """
    parts = []
    for index in range(months):
        if "unit_path" in group:
            parts.append(_part(dialect, group, "metric_monthly", "month", f"month{index}", _in_subtree(dialect)))
        else:
            parts.append(_part(dialect, group, "metric_monthly", "month", f"month{index}", "unit_id = :unit_id",
                               segment="''"))
            parts.append(_part(dialect, group, "metric_subtree_monthly", "month", f"month{index}",
                               "parent_path = :path", segment="substr(unit_path, :code_start, "
                                                              "length(unit_path) - :code_start)"))
    for kind, count in (("plus", plus_days), ("minus", minus_days)):
        for index in range(count):
            parts.append(_part(dialect, group, "metric_daily", "day", f"{kind}{index}", _in_subtree(dialect),
                               value="value" if kind == "plus" else "-value"))
    if filtered:
        parts = [f"{part} AND metric IN :metrics" for part in parts]
    keys = ", ".join(group + ("metric",))
    # BIGINT, not the NUMERIC PostgreSQL sums a BIGINT into: the driver hands back ints, not Decimals.
    sql = (f"SELECT {keys}, CAST(sum(value) AS BIGINT) AS value FROM ({' UNION ALL '.join(parts)}) AS counters "
           f"GROUP BY {keys}")
    dates = [bindparam(f"{kind}{index}_{end}", type_=Date)
             for kind, count in zip(_RANGE_KINDS, (months, plus_days, minus_days), strict=False)
             for index in range(count) for end in ("from", "to")]
    statement = text(sql).bindparams(*dates)
    if filtered:
        statement = statement.bindparams(bindparam("metrics", expanding=True))
    return statement.columns(period=Date) if "period" in group else statement


def _part(dialect, group, table, period, range_name, condition, segment=None, value="value"):
    """One SELECT of the union: (group columns…, metric, value) of `table` over one period range. `segment` is
    the child's code, by default cut from a descendant's path (the unit's own rows give '')."""
    segment = segment or ("CASE WHEN unit_path = :path THEN '' ELSE " + _first_code(dialect) + " END")
    named = {"segment": segment, "period": period, "unit_path": "unit_path"}
    columns = ", ".join([f"{named[name]} AS {name}" for name in group] + ["metric", f"{value} AS value"])
    return (f"SELECT {columns} FROM {table} WHERE tenant_id = :tenant_id AND {condition} "
            f"AND {period} BETWEEN :{range_name}_from AND :{range_name}_to")


def _in_subtree(dialect):
    """SQL: the row's unit is in the subtree, as the range of paths [path, path_end) ('/84/' → '/840').

    A range of bound values, not `LIKE :prefix`: PostgreSQL can plan it once for any unit (a prepared statement's
    generic plan still scans the index range), where a LIKE pattern is only an index range once its value is
    known, so every execution was planned afresh. `~>=~`/`~<~` are the operators of the text_pattern_ops index.
    """
    if dialect == "postgresql":
        return "unit_path ~>=~ :path AND unit_path ~<~ :path_end"
    return "unit_path >= :path AND unit_path < :path_end"


def _first_code(dialect):
    """SQL: the first code of a descendant's path after the unit's own ('/84/842/29236/' under '/84/' → '842')."""
    if dialect == "postgresql":
        return "split_part(substr(unit_path, :code_start), '/', 1)"
    return "substr(unit_path, :code_start, instr(substr(unit_path, :code_start), '/') - 1)"
