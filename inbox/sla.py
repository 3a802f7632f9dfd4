"""Missed deadlines: escalate along the tree, or flag at the root. Idempotent by construction.

A tip is processed only while a deadline in force has passed and the tip is not already flagged; escalating
replaces the deadlines with new ones at the new unit, so running the job and the sweep again (or together)
finds nothing more to do. The tip row is locked while it is processed, and the unique constraint on
(tip, deadline kind, missed deadline) refuses a second escalation should two processes still race.
"""
import logging

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from core import audit
from core.extensions import db
from core.tenancy import for_each_tenant
from core.timeutil import utcnow
from inbox.constants import OPEN_STATUSES
from inbox.deadlines import escalation_target, pending_deadline, schedule_checks
from inbox.history import record_history
from inbox.models import Tip
from inbox.notify import notify_unit
from inbox.services import move_tip
from metrics.events import record as record_metric

log = logging.getLogger(__name__)
REASONS = {"ack": "Quá hạn tiếp nhận", "resolve": "Quá hạn giải quyết"}


def process_deadlines(tip_id, now=None):
    """Deal with the tip's missed deadline, if any: "escalated", "flagged" or None (nothing due; the timer is
    re-armed at the deadline now in force, e.g. resolve once the tip was acknowledged)."""
    now = now or utcnow()
    tip = db.session.execute(select(Tip).where(Tip.id == tip_id).with_for_update(of=Tip)
                             .execution_options(populate_existing=True)).scalar_one_or_none()
    if tip is None or tip.overdue:
        return None
    kind, due = pending_deadline(tip)
    if kind is None:
        return None
    if due > now:
        schedule_checks(tip)
        return None
    record_metric("tips_overdue", tip.unit, at=now, subject=tip)
    target = escalation_target(tip)
    if target is None:
        tip.overdue = tip.flagged_at_root = True
        tip.updated_at = now
        record_history(tip, "flagged", None, now, deadline=kind)
        audit.record("tip.flag_overdue", target=tip, details={"deadline": kind}, actor=(None, "system"))
        notify_unit(tip.unit, "overdue", tip, f"Tin báo {tip.tracking_code} quá hạn tại {tip.unit.name}", now)
        return "flagged"
    move_tip(tip, target, None, REASONS[kind], "escalate", at=now, deadline_kind=kind, missed_deadline=due)
    return "escalated"


def process_safely(tip_id, now=None):
    """`process_deadlines` in a savepoint: a lost race (unique constraint) undoes this tip only."""
    try:
        with db.session.begin_nested():
            return process_deadlines(tip_id, now)
    except IntegrityError:
        log.info("tip %s was escalated concurrently; nothing more to do", tip_id)
        return None


def due_tip_ids(now):
    statement = select(Tip.id).where(Tip.overdue.is_(False), or_(
        (Tip.status == "new") & (Tip.ack_due_at <= now),
        Tip.status.in_(OPEN_STATUSES) & (Tip.resolve_due_at <= now),
    )).order_by(Tip.id)
    return db.session.execute(statement).scalars().all()


def sweep_tenant(now=None):
    now = now or utcnow()
    results = [process_safely(tip_id, now) for tip_id in due_tip_ids(now)]
    return sum(1 for result in results if result)


def sweep(now=None):
    """Every tenant, each in its own scope and transaction. Returns the number of tips dealt with."""
    total = 0
    for _tenant_id in for_each_tenant():
        total += sweep_tenant(now)
        db.session.commit()
    return total
