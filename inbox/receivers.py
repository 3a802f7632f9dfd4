"""What the inbox does when the tree is re-organised (`hierarchy.signals`)."""
from sqlalchemy import func, select, tuple_

from core.extensions import db
from hierarchy.models import Unit
from hierarchy.signals import count_contents, follow, tenant_carry_check, tenant_carrying, unit_abolished, unit_merged
from inbox.constants import OPEN_STATUSES
from inbox.models import Tip
from inbox.policy import CannedReply, SlaPolicy
from inbox.services import forward
from inbox.vault import ReporterIdentity, draw_alias


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


def _shared_aliases(old_tenant_id, new_tenant_id):
    """Pseudonym numbers both tenants use: (tenant_id, alias) is unique, so the old tenant's are drawn anew."""
    theirs = select(ReporterIdentity.alias).where(ReporterIdentity.tenant_id == new_tenant_id)
    return db.session.execute(select(ReporterIdentity).where(ReporterIdentity.tenant_id == old_tenant_id,
                                                             ReporterIdentity.alias.in_(theirs))).scalars().all()


def _shared_sla(old_tenant_id, new_tenant_id):
    """The old tenant's SLA rows for a (category, severity) the new tenant has set too: the new tenant's stand."""
    theirs = select(SlaPolicy.category, SlaPolicy.severity).where(SlaPolicy.tenant_id == new_tenant_id)
    return db.session.execute(select(SlaPolicy).where(SlaPolicy.tenant_id == old_tenant_id,
                                                      tuple_(SlaPolicy.category, SlaPolicy.severity).in_(theirs))
                              ).scalars().all()


@tenant_carry_check.connect
def _check_carry(_sender, old_tenant_id, new_tenant_id=None, **_kwargs):
    notes = []
    if new_tenant_id is not None:
        aliases, sla = _shared_aliases(old_tenant_id, new_tenant_id), _shared_sla(old_tenant_id, new_tenant_id)
        if aliases:
            # Per tip, not per person: a public tip has a record of its own (nothing links them but the reveal).
            notes.append(f"{len(aliases)} bí danh người báo tin được rút số mới (số cũ đã có ở tỉnh mới).")
        if sla:
            notes.append(f"Thời hạn xử lý: {len(sla)} mức của tỉnh mới được giữ thay cho mức của tỉnh cũ; tin báo "
                         "đang mở giữ nguyên thời hạn đã ghi.")
    return {"notes": notes, "handles": [ReporterIdentity.__tablename__, SlaPolicy.__tablename__]}


@tenant_carrying.connect
def _make_room(_sender, old_tenant_id, new_tenant_id, **_kwargs):
    """A carried record whose pseudonym number the new tenant uses draws a fresh random one. Records are never
    merged, even of one phone or Zalo user in both provinces: each public tip keeps a record of its own, and the
    blind indexes link them for the audited reveal only (`inbox.vault`)."""
    for identity in _shared_aliases(old_tenant_id, new_tenant_id):
        taken = set(db.session.execute(select(ReporterIdentity.alias).where(
            ReporterIdentity.tenant_id.in_((old_tenant_id, new_tenant_id)))).scalars())
        while identity.alias in taken:
            draw_alias(identity, attempt=3)
        db.session.flush()
    for policy in _shared_sla(old_tenant_id, new_tenant_id):
        db.session.delete(policy)
    db.session.flush()
