"""What tenants does when the tree is re-organised (`hierarchy.signals`)."""
from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.orm import aliased

from core.extensions import db
from hierarchy.models import Unit
from hierarchy.signals import count_contents, unit_merged
from tenants.models import Membership


@unit_merged.connect
def _move_memberships(_sender, pairs, **_kwargs):
    """Staff of a merged unit work at its target. A role the person already holds at the target is dropped: it
    would grant nothing more, and (user, unit, role) is unique."""
    held = aliased(Membership)
    for source, target in pairs:
        duplicate = exists().where(held.user_id == Membership.user_id, held.role == Membership.role,
                                   held.unit_id == target.id)
        db.session.execute(delete(Membership).where(Membership.unit_id == source.id, duplicate)
                           .execution_options(synchronize_session="fetch"))
        db.session.execute(update(Membership).where(Membership.unit_id == source.id).values(unit_id=target.id)
                           .execution_options(synchronize_session="fetch"))


@count_contents.connect
def _count_staff(_sender, where, **_kwargs):
    statement = (select(func.count(func.distinct(Membership.user_id)))
                 .join(Unit, Unit.id == Membership.unit_id).where(where))
    return {"staff": db.session.execute(statement).scalar_one()}
