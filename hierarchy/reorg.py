"""Re-organisation of the unit tree: move a unit, merge two units, abolish a tier (the 2025 reform).

Paths hold codes, so moving a subtree rewrites one prefix of `path` in one UPDATE. History stays with the unit
that made it: events keep their unit ids and the counters are rebuilt from them over the new tree, so a move or
an abolition never changes a province's totals. A merged or abolished unit is not deleted: it stays in the tree,
inactive, with whatever it keeps.

The tree knows no posts, tips or numbers: what follows a merged unit, what an abolished unit hands over and what
is rebuilt afterwards is each package's business, told through the signals of `hierarchy.signals`.

Services flush, never commit; the page or CLI command commits once.
"""
from flask import current_app
from sqlalchemy import exists, func, literal, select, update

from core import audit
from core.errors import Conflict, Invalid
from core.extensions import db
from core.tenancy import current_tenant_id
from hierarchy.models import Unit
from hierarchy.services import root_unit
from hierarchy.signals import collect, count_contents, unit_abolished, unit_merged, unit_merging, units_moved

# Which kinds a unit of each kind may sit under. A commune may sit directly under the HQ once districts are gone.
PARENT_KINDS = {"commune": ("district", "province"), "district": ("province",), "department": ("province",),
                "area": ("commune",)}
# Kinds that have somewhere else to go (a district or department can only sit under the HQ, where it already is).
MOVABLE_KINDS = tuple(kind for kind, parents in PARENT_KINDS.items() if len(parents) > 1)
KIND_LABELS = {"province": "Công an tỉnh", "department": "phòng nghiệp vụ", "district": "Công an cấp huyện",
               "commune": "Công an cấp xã", "area": "khu phố, ấp"}

ABOLISHABLE_TIERS = ("district",)
ABOLISH_REASON = "Bỏ cấp huyện"


def subtree_contents(unit):
    """What moves with the unit, for the confirmation page and the audit record: the units below it, and what
    the packages hold in its whole subtree (tips, open tips, posts, staff; see `count_contents`)."""
    in_subtree = Unit.in_subtree(unit.path)
    units_below = db.session.execute(select(func.count(Unit.id)).where(in_subtree, Unit.id != unit.id)).scalar_one()
    return {"units": units_below, **contents_of(in_subtree)}


def contents_of(where):
    """The packages' counts of their rows at the units `where` chooses."""
    return collect(count_contents.send(_app(), where=where))


def _app():
    return current_app._get_current_object()


def move_unit(unit, new_parent):
    """Put the unit (and its whole subtree) under `new_parent`. Returns False when it is already there."""
    lock_tree(unit, new_parent)
    check_move(unit, new_parent)
    if unit.parent_id == new_parent.id:
        return False
    old_parent_code = unit.parent.code
    moved = _rewrite_paths(unit.path, f"{new_parent.path}{unit.code}/", new_parent.depth + 1 - unit.depth)
    unit.parent = new_parent
    _tree_changed(unit)
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
    """Fold `source` into `target`: its children go under the target, and whatever follows a merged unit (posts,
    media, tips, canned replies, staff, metric events, Zalo OA: `unit_merged`) goes to the target; the source
    stays in the tree, inactive, remembering the target.

    Returns False when the source was already merged into this target (a re-run changes nothing). Every refusal
    is raised before anything changes.
    """
    lock_tree(source, target)
    if check_merge(source, target):
        return False
    contents = subtree_contents(source)
    _reparent_children(source, target)
    source.active, source.merged_into_id = False, target.id
    db.session.flush()
    unit_merged.send(_app(), pairs=[(source, target)])
    _tree_changed(target)
    audit.record("unit.merge", target=source, unit_id=target.id,
                 details={"source": source.code, "target": target.code, **contents})
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
    unit_merging.send(_app(), pairs=[(source, target)])
    return False


def abolish_tier(tier, user=None):
    """The 2025 reform: every unit of `tier` hands its children to the HQ and becomes inactive, staying under
    the HQ with its own history. What is still open at it goes to the HQ (`unit_abolished`: the inbox forwards
    its open tips, recorded in each tip's history); its staff keep their memberships there (now without a
    subtree) until the director reassigns them.

    Returns a summary, or None when nothing was left to do (a re-run changes nothing).
    """
    lock_tree()
    pending = units_to_abolish(tier)
    if not pending:
        return None
    root = root_unit()
    summary = {"tier": tier, "units": 0, "children": 0}
    for unit in pending:  # by PARENT_KINDS a district already sits under the HQ, where it stays
        summary["children"] += _reparent_children(unit, root)
        unit.active = False
        summary["units"] += 1
    db.session.flush()
    handed_over = collect(unit_abolished.send(_app(), pairs=[(unit, root) for unit in pending], user=user,
                                              reason=ABOLISH_REASON))
    summary.update(handed_over)
    _tree_changed(root)
    audit.record("unit.abolish_tier", target=root, unit_id=root.id, details=summary)
    return summary


def units_to_abolish(tier):
    """The units of `tier` that still have something to hand over (all of them, the first time)."""
    if tier not in ABOLISHABLE_TIERS:
        raise Invalid(fields={"tier": ["Chỉ có thể bỏ cấp huyện (district)."]})
    units = db.session.execute(select(Unit).where(Unit.kind == tier).order_by(Unit.path)).scalars().all()
    return [unit for unit in units if unit.active or _has_children(unit) or _open_work(unit)]


def abolition_preview(tier):
    """What `abolish_tier` would do: units retired, units going up to the HQ, open work handed over (tips),
    staff kept."""
    units = units_to_abolish(tier)
    ids = [unit.id for unit in units]
    children = db.session.execute(select(func.count(Unit.id)).where(Unit.parent_id.in_(ids))).scalar_one()
    return {"units": len(units), "children": children, **contents_of(Unit.id.in_(ids))}


def _has_children(unit):
    return db.session.execute(select(exists().where(Unit.parent_id == unit.id))).scalar()


def _open_work(unit):
    """Whether a package still has work in progress at the unit (an open tip), which an abolition hands over."""
    return any(number for key, number in contents_of(Unit.id == unit.id).items() if key.startswith("open_"))


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
    statement = (update(Unit).where(Unit.in_subtree(old_prefix))
                 .values(path=literal(new_prefix) + func.substr(Unit.path, len(old_prefix) + 1),
                         depth=Unit.depth + depth_shift)
                 .execution_options(synchronize_session="fetch"))
    if below_only:
        statement = statement.where(Unit.path != old_prefix)
    return db.session.execute(statement).rowcount


def lock_tree(*units):
    """Re-organisations of one tenant run one at a time: each takes its tenant's row lock (PostgreSQL; SQLite
    lets one writer in at a time anyway), then re-reads the units it was handed, which one just before it may
    have moved or merged."""
    from tenants.models import Tenant

    db.session.execute(select(Tenant.id).where(Tenant.id == current_tenant_id()).with_for_update())
    for unit in units:
        if unit is not None:
            db.session.refresh(unit)


def _tree_changed(*units):
    """The operation's last step: what packages derive from the tree (counters carry unit paths) is recomputed
    over the tree as it now is, once."""
    db.session.flush()
    units_moved.send(_app(), tenant_id=current_tenant_id(), unit_ids=[unit.id for unit in units])
