"""Counter maintenance (rebuilding a tenant's counters from its events) and which unit a metrics view is about."""
from sqlalchemy import Date, cast, delete, func, insert, select

from core.errors import Forbidden, NotFound
from core.extensions import db
from core.permissions import ROLE_ACTIONS, memberships_of, require
from core.tenancy import current_tenant_id, load
from hierarchy.models import Unit
from metrics.models import DailyCounter, Event, MonthlyCounter, SubtreeMonthlyCounter


def rebuild_counters():
    """Recompute the current tenant's counters from its events, in SQL: delete, then INSERT … SELECT … GROUP BY.

    Unit paths are taken from the tree as it is now, so a rebuild also repairs counters of a unit that moved.
    Returns (daily rows, monthly rows); subtree rows are rebuilt too. The caller commits.
    """
    tenant_id = current_tenant_id()
    if tenant_id is None:
        raise RuntimeError("rebuild_counters runs inside one tenant's scope")
    db.session.execute(delete(SubtreeMonthlyCounter).where(SubtreeMonthlyCounter.tenant_id == tenant_id))
    db.session.execute(delete(MonthlyCounter).where(MonthlyCounter.tenant_id == tenant_id))
    db.session.execute(delete(DailyCounter).where(DailyCounter.tenant_id == tenant_id))

    columns = ("tenant_id", "unit_id", "unit_path", "day", "metric", "value")
    from_events = (
        select(Event.tenant_id, Event.unit_id, Unit.path, Event.day, Event.metric, func.sum(Event.value))
        .join(Unit, Unit.id == Event.unit_id)
        .where(Event.tenant_id == tenant_id, Unit.tenant_id == tenant_id)
        .group_by(Event.tenant_id, Event.unit_id, Unit.path, Event.day, Event.metric)
    )
    db.session.execute(insert(DailyCounter).from_select(columns, from_events))

    month = month_start_sql(DailyCounter.day)
    from_daily = (
        select(DailyCounter.tenant_id, DailyCounter.unit_id, DailyCounter.unit_path, month, DailyCounter.metric,
               func.sum(DailyCounter.value))
        .where(DailyCounter.tenant_id == tenant_id)
        .group_by(DailyCounter.tenant_id, DailyCounter.unit_id, DailyCounter.unit_path, month, DailyCounter.metric)
    )
    db.session.execute(insert(MonthlyCounter).from_select(columns[:3] + ("month",) + columns[4:], from_daily))
    db.session.execute(insert(SubtreeMonthlyCounter).from_select(
        ("tenant_id", "unit_path", "parent_path", "month", "metric", "value"), _subtree_sums(tenant_id)))
    db.session.flush()
    return (_count(DailyCounter, tenant_id), _count(MonthlyCounter, tenant_id))


def _subtree_sums(tenant_id):
    """SELECT of every subtree's monthly sums (the root's excepted), from the monthly counters and the tree.

    A recursive CTE pairs each unit with itself and each ancestor below the root; joining the monthly counters
    on it is a hash join, where matching paths by prefix would compare every counter with every unit.
    """
    units, monthly = Unit.__table__, MonthlyCounter.__table__
    pairs = (select(units.c.id.label("member_id"), units.c.id.label("ancestor_id"))
             .where(units.c.tenant_id == tenant_id, units.c.parent_id.is_not(None))
             .cte("subtree_members", recursive=True))
    step, step_parent = units.alias("step"), units.alias("step_parent")
    pairs = pairs.union_all(
        select(pairs.c.member_id, step.c.parent_id)
        .join(step, step.c.id == pairs.c.ancestor_id)
        .join(step_parent, step_parent.c.id == step.c.parent_id)
        .where(step_parent.c.parent_id.is_not(None)))
    ancestor, parent = units.alias("ancestor"), units.alias("parent")
    return (select(monthly.c.tenant_id, ancestor.c.path, parent.c.path, monthly.c.month, monthly.c.metric,
                   func.sum(monthly.c.value))
            .join(pairs, pairs.c.member_id == monthly.c.unit_id)
            .join(ancestor, ancestor.c.id == pairs.c.ancestor_id)
            .join(parent, parent.c.id == ancestor.c.parent_id)
            .where(monthly.c.tenant_id == tenant_id)
            .group_by(monthly.c.tenant_id, ancestor.c.path, parent.c.path, monthly.c.month, monthly.c.metric))


def month_start_sql(day_column):
    """SQL for the first day of the month of a DATE column."""
    if db.session.get_bind().dialect.name == "postgresql":
        return cast(func.date_trunc("month", day_column), Date)
    return func.date(day_column, "start of month")


def _count(model, tenant_id):
    return db.session.execute(select(func.count()).select_from(model).where(model.tenant_id == tenant_id)
                              ).scalar_one()


def top_unit(user, action="metrics.view"):
    """The highest unit where the user may `action` (a director's province, an officer's commune), or None."""
    anchors = sorted((anchor for role, anchor in memberships_of(user)
                      if anchor and action in ROLE_ACTIONS.get(role, ())), key=lambda path: (len(path), path))
    if not anchors:
        return None
    return db.session.execute(select(Unit).where(Unit.path == anchors[0])).scalar_one_or_none()


def unit_for_metrics(user, unit_id=None):
    """The unit a metrics request is about: `unit_id` (404 outside the user's scope, 403 without the right),
    else the user's top unit."""
    if unit_id is None:
        unit = top_unit(user)
        if unit is None:
            raise Forbidden()
        return unit
    unit = load(Unit, unit_id)
    if unit is None:
        raise NotFound()
    return require(user, "metrics.view", unit)
