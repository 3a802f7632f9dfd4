"""Lists of tips in a user's scope, with the inbox filters, and a tip loaded for a staff member."""
from sqlalchemy import and_, false, func, not_, or_, select
from sqlalchemy.orm import selectinload

from core.errors import NotFound
from core.extensions import db
from core.permissions import require, scope_clause
from core.tenancy import load
from core.timeutil import utcnow
from hierarchy.models import Unit
from inbox.constants import OPEN_STATUSES
from inbox.models import Tip


def overdue_clause(now):
    """Flagged, or a deadline in force has passed (the sweep may not have run yet)."""
    return or_(Tip.overdue.is_(True),
               and_(Tip.status == "new", Tip.ack_due_at < now),
               and_(Tip.status.in_(OPEN_STATUSES), Tip.resolve_due_at < now))


def tips_in_scope(user, status=None, unit_id=None, overdue=None, category=None, severity=None, assignee_id=None,
                  channel=None, now=None):
    """SELECT of the tips the user may see, filtered; `unit_id` selects that unit's whole subtree."""
    statement = (select(Tip).join(Unit, Tip.unit_id == Unit.id)
                 .where(scope_clause(user, "tip.view", Unit.path))
                 .options(selectinload(Tip.reporter)))
    if unit_id is not None:
        unit = load(Unit, unit_id)
        if unit is None:
            return statement.where(false())
        statement = statement.where(Unit.in_subtree(unit.path))
    for name, value in (("status", status), ("category", category), ("severity", severity),
                        ("assignee_id", assignee_id), ("channel", channel)):
        if value is not None:
            statement = statement.where(getattr(Tip, name) == value)
    if overdue is not None:
        clause = overdue_clause(now or utcnow())
        statement = statement.where(clause if overdue else not_(clause))
    return statement.order_by(Tip.created_at.desc(), Tip.id.desc())


def status_counts(user, **filters):
    """{status: n} over the same filters, status aside."""
    filters.pop("status", None)
    inner = tips_in_scope(user, **filters).order_by(None).subquery()
    rows = db.session.execute(select(inner.c.status, func.count()).group_by(inner.c.status)).all()
    return dict(rows)


def tip_for(user, tip_id, action="tip.view"):
    """The tip, or 404 outside the user's scope (or tenant), 403 inside it without the right."""
    tip = load(Tip, tip_id)
    if tip is None:
        raise NotFound()
    return require(user, action, tip)
