"""Re-organisation of the unit tree: move a unit, merge two units, abolish a tier (the 2025 reform).

Paths hold codes, so moving a subtree rewrites one prefix of `path` in one UPDATE. History stays with the unit
that made it: events keep their unit ids and the counters are rebuilt from them over the new tree
(`metrics.services.rebuild_counters`), so a move or an abolition never changes a province's totals. A merged or
abolished unit is not deleted: it stays in the tree, inactive, with whatever it keeps.

Services flush, never commit; the page or CLI command commits once.
"""
from dataclasses import asdict, dataclass
from importlib import import_module

from sqlalchemy import delete, exists, func, literal, select, update
from sqlalchemy.orm import aliased

from core import audit
from core.errors import Conflict, Invalid
from core.extensions import db
from core.tenancy import current_tenant_id
from hierarchy.models import Unit
from hierarchy.services import root_unit

# Which kinds a unit of each kind may sit under. A commune may sit directly under the HQ once districts are gone.
PARENT_KINDS = {"commune": ("district", "province"), "district": ("province",), "department": ("province",)}
# Kinds that have somewhere else to go (a district or department can only sit under the HQ, where it already is).
MOVABLE_KINDS = tuple(kind for kind, parents in PARENT_KINDS.items() if len(parents) > 1)
KIND_LABELS = {"province": "Công an tỉnh", "department": "phòng nghiệp vụ", "district": "Công an cấp huyện",
               "commune": "Công an cấp xã"}
ABOLISHABLE_TIERS = ("district",)
OPEN_TIP_STATUSES = ("new", "acknowledged", "in_progress")
# Rows that follow a merged unit to the unit it merged into. Tip history, escalations, `tips.first_unit_id` and
# exports are facts about the past and keep naming the unit they happened at.
FOLLOWING_REFERENCES = (
    ("content.models", "Post"), ("content.models", "Media"), ("inbox.models", "Tip"),
    ("inbox.policy", "CannedReply"), ("metrics.models", "Event"),
)


@dataclass(frozen=True)
class Contents:
    """What a unit's subtree holds: what moves with it, for the confirmation page and the audit record."""

    units: int
    tips: int
    open_tips: int
    posts: int
    staff: int


def _model(module, name):
    return getattr(import_module(module), name)


def subtree_contents(unit):
    """Counts of the units below the unit, and of the tips, posts and staff of its whole subtree."""
    Tip, Post = _model("inbox.models", "Tip"), _model("content.models", "Post")
    Membership = _model("tenants.models", "Membership")
    in_subtree = Unit.path.startswith(unit.path, autoescape=True)

    def count(model, what, *conditions):
        statement = select(func.count(what)).join(Unit, Unit.id == model.unit_id).where(in_subtree, *conditions)
        return db.session.execute(statement).scalar_one()

    units_below = db.session.execute(select(func.count(Unit.id)).where(in_subtree, Unit.id != unit.id)).scalar_one()
    return Contents(units=units_below, tips=count(Tip, Tip.id),
                    open_tips=count(Tip, Tip.id, Tip.status.in_(OPEN_TIP_STATUSES)), posts=count(Post, Post.id),
                    staff=count(Membership, func.distinct(Membership.user_id)))


def move_unit(unit, new_parent):
    """Put the unit (and its whole subtree) under `new_parent`. Returns False when it is already there."""
    _lock_tree(unit, new_parent)
    check_move(unit, new_parent)
    if unit.parent_id == new_parent.id:
        return False
    old_parent_code = unit.parent.code
    moved = _rewrite_paths(unit.path, f"{new_parent.path}{unit.code}/", new_parent.depth + 1 - unit.depth)
    unit.parent = new_parent
    _rebuild_counters()
    audit.record("unit.move", target=unit, unit_id=unit.id,
                 details={"unit": unit.code, "from": old_parent_code, "to": new_parent.code, "units": moved})
    return True


def check_move(unit, new_parent):
    """Raise `Invalid` naming the field when the unit cannot go under `new_parent` (the page asks before it
    shows a confirmation)."""
    if new_parent is None:
        raise Invalid(fields={"parent_id": ["Không có đơn vị này."]})
    if unit.parent_id is None:
        raise Invalid(fields={"unit_id": ["Không thể chuyển đơn vị cao nhất."]})
    if not unit.active:
        raise Invalid(fields={"unit_id": ["Đơn vị đã ngừng hoạt động."]})
    if new_parent.is_within(unit):
        raise Invalid(fields={"parent_id": ["Không thể chuyển một đơn vị vào chính nó hay cấp dưới của nó."]})
    allowed = PARENT_KINDS.get(unit.kind, ())
    if new_parent.kind not in allowed:
        labels = " hoặc ".join(KIND_LABELS[kind] for kind in allowed)
        raise Invalid(fields={"parent_id": [f"{KIND_LABELS[unit.kind].capitalize()} chỉ trực thuộc {labels}."]})
    if not new_parent.active:
        raise Invalid(fields={"parent_id": ["Đơn vị cấp trên này đã ngừng hoạt động."]})


def merge_units(source, target):
    """Fold `source` into `target`: its children, posts, media, tips, canned replies, staff, metric events and
    Zalo OA go to the target; the source stays in the tree, inactive, remembering the target.

    Returns False when the source was already merged into this target (a re-run changes nothing). Every refusal
    is raised before anything changes.
    """
    _lock_tree(source, target)
    if check_merge(source, target):
        return False
    contents = subtree_contents(source)
    _reparent_children(source, target)
    for module, name in FOLLOWING_REFERENCES:
        model = _model(module, name)
        db.session.execute(update(model).where(model.unit_id == source.id).values(unit_id=target.id)
                           .execution_options(synchronize_session="fetch"))
    _move_memberships(source, target)
    _move_zalo(source, target)
    source.active, source.merged_into_id = False, target.id
    _rebuild_counters()
    audit.record("unit.merge", target=source, unit_id=target.id,
                 details={"source": source.code, "target": target.code, **asdict(contents)})
    return True


def check_merge(source, target):
    """Raise `Invalid`/`Conflict` when `source` cannot be merged into `target`; True when it already was."""
    if target is None:
        raise Invalid(fields={"target_id": ["Không có đơn vị này."]})
    if not source.active:
        if source.merged_into_id == target.id:
            return True
        raise Conflict("Đơn vị đã ngừng hoạt động.", fields={"unit_id": ["Đơn vị đã ngừng hoạt động."]})
    if source.id == target.id:
        raise Invalid(fields={"target_id": ["Không thể sáp nhập một đơn vị vào chính nó."]})
    if source.parent_id is None:
        raise Invalid(fields={"unit_id": ["Không thể sáp nhập đơn vị cao nhất."]})
    if source.kind != target.kind:
        raise Invalid(fields={"target_id": [f"Chỉ sáp nhập vào một đơn vị cùng cấp ({KIND_LABELS[source.kind]})."]})
    if not target.active:
        raise Invalid(fields={"target_id": ["Đơn vị nhận đã ngừng hoạt động."]})
    if target.is_within(source):
        raise Invalid(fields={"target_id": ["Không thể sáp nhập vào đơn vị cấp dưới của chính nó."]})
    if _has_zalo_oa(source) and _has_zalo_oa(target):
        message = f"Cả hai đơn vị đều có Zalo OA: hãy ngắt kết nối OA của {source.name} hoặc {target.name} trước."
        raise Conflict(message, fields={"target_id": [message]})
    return False


def _has_zalo_oa(unit):
    return bool(unit.zalo_oa_id) or _zalo_connection(unit) is not None


def _zalo_connection(unit):
    OaConnection = _model("zalo.models", "OaConnection")
    return db.session.execute(select(OaConnection).where(OaConnection.unit_id == unit.id)).scalar_one_or_none()


def _move_zalo(source, target):
    """The OA goes with the page it serves (`_check_merge` made sure the target has none)."""
    connection = _zalo_connection(source)
    if connection is not None:
        connection.unit_id, connection.unit = target.id, target
    if source.zalo_oa_id:
        target.zalo_oa_id, source.zalo_oa_id = source.zalo_oa_id, None


def _move_memberships(source, target):
    """Staff of the source work at the target. A role the person already holds at the target is dropped: it
    would grant nothing more, and (user, unit, role) is unique."""
    Membership = _model("tenants.models", "Membership")
    held = aliased(Membership)
    duplicate = exists().where(held.user_id == Membership.user_id, held.role == Membership.role,
                               held.unit_id == target.id)
    db.session.execute(delete(Membership).where(Membership.unit_id == source.id, duplicate)
                       .execution_options(synchronize_session="fetch"))
    db.session.execute(update(Membership).where(Membership.unit_id == source.id).values(unit_id=target.id)
                       .execution_options(synchronize_session="fetch"))


def abolish_tier(tier, user=None):
    """The 2025 reform: every unit of `tier` hands its children to the HQ and becomes inactive, staying under
    the HQ with its own history. Its open tips are forwarded to the HQ (recorded in each tip's history); its
    staff keep their memberships there (now without a subtree) until the director reassigns them.

    Returns a summary, or None when nothing was left to do (a re-run changes nothing).
    """
    _lock_tree()
    pending = units_to_abolish(tier)
    if not pending:
        return None
    root = root_unit()
    summary = {"tier": tier, "units": 0, "children": 0, "tips_forwarded": 0}
    for unit in pending:  # by PARENT_KINDS a district already sits under the HQ, where it stays
        summary["children"] += _reparent_children(unit, root)
        summary["tips_forwarded"] += _forward_open_tips(unit, root, user)
        unit.active = False
        summary["units"] += 1
    db.session.flush()
    _rebuild_counters()
    audit.record("unit.abolish_tier", target=root, unit_id=root.id, details=summary)
    return summary


def units_to_abolish(tier):
    """The units of `tier` that still have something to hand over (all of them, the first time)."""
    if tier not in ABOLISHABLE_TIERS:
        raise Invalid(fields={"tier": ["Chỉ có thể bỏ cấp huyện (district)."]})
    units = db.session.execute(select(Unit).where(Unit.kind == tier).order_by(Unit.path)).scalars().all()
    return [unit for unit in units if unit.active or _has_children(unit) or _open_tips(unit)]


def abolition_preview(tier):
    """What `abolish_tier` would do: units retired, units going up to the HQ, tips forwarded, staff kept."""
    Membership = _model("tenants.models", "Membership")
    units = units_to_abolish(tier)
    ids = [unit.id for unit in units]
    children = db.session.execute(select(func.count(Unit.id)).where(Unit.parent_id.in_(ids))).scalar_one()
    staff = db.session.execute(select(func.count(func.distinct(Membership.user_id)))
                               .where(Membership.unit_id.in_(ids))).scalar_one()
    return {"units": len(units), "children": children, "open_tips": sum(len(_open_tips(unit)) for unit in units),
            "staff": staff}


def _has_children(unit):
    return db.session.execute(select(exists().where(Unit.parent_id == unit.id))).scalar()


def _open_tips(unit):
    Tip = _model("inbox.models", "Tip")
    return db.session.execute(select(Tip).where(Tip.unit_id == unit.id, Tip.status.in_(OPEN_TIP_STATUSES))
                              .order_by(Tip.id)).scalars().all()


def _forward_open_tips(unit, to_unit, user):
    """Through the inbox's own forward: new deadlines at the HQ, its staff told, the tip's history written."""
    from inbox.services import forward

    tips = _open_tips(unit)
    for tip in tips:
        forward(tip, user, to_unit, f"Bỏ cấp huyện: {unit.name} giải thể, tin báo chuyển về {to_unit.name}.")
    return len(tips)


def _reparent_children(old_parent, new_parent):
    """Everything below `old_parent` goes below `new_parent`: one UPDATE of paths, one of parent ids."""
    moved = _rewrite_paths(old_parent.path, new_parent.path, new_parent.depth - old_parent.depth, below_only=True)
    db.session.execute(update(Unit).where(Unit.parent_id == old_parent.id).values(parent_id=new_parent.id)
                       .execution_options(synchronize_session="fetch"))
    return moved


def _rewrite_paths(old_prefix, new_prefix, depth_shift, below_only=False):
    """One UPDATE: every path starting with `old_prefix` starts with `new_prefix` instead, depth shifted.

    Codes are unique within a tenant, so the rewritten paths cannot collide with any other unit's.
    """
    statement = (update(Unit).where(Unit.path.startswith(old_prefix, autoescape=True))
                 .values(path=literal(new_prefix) + func.substr(Unit.path, len(old_prefix) + 1),
                         depth=Unit.depth + depth_shift)
                 .execution_options(synchronize_session="fetch"))
    if below_only:
        statement = statement.where(Unit.path != old_prefix)
    return db.session.execute(statement).rowcount


def _lock_tree(*units):
    """Re-organisations of one tenant run one at a time: each takes its tenant's row lock (PostgreSQL; SQLite
    lets one writer in at a time anyway), then re-reads the units it was handed, which one just before it may
    have moved or merged."""
    from tenants.models import Tenant

    db.session.execute(select(Tenant.id).where(Tenant.id == current_tenant_id()).with_for_update())
    for unit in units:
        if unit is not None:
            db.session.refresh(unit)


def _rebuild_counters():
    """Counters carry unit paths; they are recomputed from events over the tree as it now is."""
    from metrics.services import rebuild_counters

    db.session.flush()
    rebuild_counters()
