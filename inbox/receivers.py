"""What the inbox does when the tree is re-organised (`hierarchy.signals`)."""
from sqlalchemy import func, select

from core.extensions import db
from hierarchy.models import Unit
from hierarchy.signals import count_contents, follow, unit_abolished, unit_merged
from inbox.constants import OPEN_STATUSES
from inbox.models import Tip
from inbox.policy import CannedReply
from inbox.services import forward


@unit_merged.connect
def _follow_merged_units(_sender, pairs, **_kwargs):
    """A merged unit's tips (open or not) and its canned replies are the target's now. A tip's history, its
    escalations and the unit that first received it are facts about the past and keep the source."""
    follow(Tip, pairs)
    follow(CannedReply, pairs)


@unit_abolished.connect
def _forward_open_tips(_sender, pairs, user=None, reason="", **_kwargs):
    """Through the inbox's own forward: new deadlines at the successor, its staff told, the history written."""
    forwarded = 0
    for unit, successor in pairs:
        tips = db.session.execute(select(Tip).where(Tip.unit_id == unit.id, Tip.status.in_(OPEN_STATUSES))
                                  .order_by(Tip.id)).scalars().all()
        for tip in tips:
            forward(tip, user, successor, f"{reason}: {unit.name} giải thể, tin báo chuyển về {successor.name}.")
        forwarded += len(tips)
    return {"tips_forwarded": forwarded}


@count_contents.connect
def _count_tips(_sender, where, **_kwargs):
    at_units = select(func.count(Tip.id)).join(Unit, Unit.id == Tip.unit_id).where(where)
    return {"tips": db.session.execute(at_units).scalar_one(),
            "open_tips": db.session.execute(at_units.where(Tip.status.in_(OPEN_STATUSES))).scalar_one()}
