"""The tip's own history: one row per action, staff views included."""
from core.extensions import db
from core.timeutil import utcnow
from inbox.models import TipHistory


def record_history(tip, action, actor=None, at=None, from_unit=None, to_unit=None, **details):
    """`details` are small facts (status names, counts), never identity or citizen text."""
    entry = TipHistory(tip_id=tip.id, action=action, at=at or utcnow(),
                       actor_id=getattr(actor, "id", None),
                       from_unit_id=getattr(from_unit, "id", None), to_unit_id=getattr(to_unit, "id", None),
                       details=details)
    db.session.add(entry)
    return entry
