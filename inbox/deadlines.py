"""Deadlines on a tip, the jobs that fire at them, and where an overdue tip goes next (README, "Inbox")."""
from core.extensions import db
from core.jobs import enqueue
from core.timeutil import as_utc
from core.transaction import after_commit
from hierarchy.models import Unit
from inbox.constants import OPEN_STATUSES
from inbox.policy import deadlines_for, route_department


def set_deadlines(tip, start):
    """Acknowledge and resolve deadlines counted from `start` (arrival at the current unit)."""
    durations = deadlines_for(tip.category, tip.severity)
    tip.ack_due_at = start + durations.ack
    tip.resolve_due_at = start + durations.resolve


def pending_deadline(tip):
    """(kind, deadline) of the deadline now in force, or (None, None) when none applies."""
    if tip.status == "new" and tip.ack_due_at is not None:
        return "ack", as_utc(tip.ack_due_at)
    if tip.status in OPEN_STATUSES and tip.resolve_due_at is not None:
        return "resolve", as_utc(tip.resolve_due_at)
    return None, None


def schedule_checks(tip):
    """After the commit, one job at the deadline now in force (the sweep covers a lost one). The job, finding
    that deadline met, re-arms itself at the next one, so a tip costs one scheduled job at a time. Enqueued by
    name: the job escalates through the services, which schedule through here."""
    kind, due = pending_deadline(tip)
    if kind is not None:
        after_commit(enqueue, "inbox.jobs.check_deadlines", tip.tenant_id, tip.id, at=due,
                     job_id=f"inbox-deadline-{tip.id}-{kind}-{int(due.timestamp())}")


def escalation_target(tip):
    """Commune (or any lower unit) → its parent; district → the department routed for the tip, else the HQ;
    department → the HQ; the root → None (the tip stays and is flagged)."""
    unit = tip.unit
    if unit.parent_id is None:
        return None
    root = db.session.execute(Unit.root_of(unit)).scalar_one()
    if unit.kind == "district":
        return route_department(tip.category, f"{tip.description}\n{tip.place}") or root
    if unit.kind == "department":
        return root
    return unit.parent

