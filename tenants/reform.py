"""The 2025 reform for a tenant: carry a tenant built on the map before 2025-07-01 into the tenant of its new
province (`flask reform plan|apply`, the platform admin's reform page).

`plan_reform` says exactly what will happen and changes nothing: where every unit goes (`hierarchy.reform`),
what cannot be placed without an operator's decision, the staff and where their scope ends up, how many rows
of each table move, and every reason the reform would be refused. `apply_reform` does it in one transaction:
1. the new tenant is created on today's map if it does not exist, its tree completed (idempotent import);
2. packages make room (`tenant_carrying`); units that continue as the new tenant's (same code) become them;
3. every row of the old tenant becomes the new tenant's (`core.carry`), its audit records excepted;
4. in the new tenant: old communes merge into their new communes (`unit_merged`: posts, tips, staff, events
   and OAs follow), districts and an old HQ retire under the new HQ with their own history, paths are rebuilt,
   and counters are rebuilt once (`units_moved`), so every figure of every period stays what it was;
5. the two audit chains are joined, and the old tenant remembers where it went (its addresses redirect).
A second `apply` finds the tenant carried and changes nothing. Services flush; the caller commits once.
"""
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import select, true

from core import audit, carry
from core.errors import Conflict, Invalid
from core.extensions import db
from core.tenancy import platform_scope, tenant_scope
from core.timeutil import utcnow
from hierarchy import reform
from hierarchy.correspondence import correspondence
from hierarchy.importer import short_name, unit_specs
from hierarchy.maps import CURRENT, PRE_REFORM, REFORM_DATE, current_map, pre_reform_map
from hierarchy.models import Unit
from hierarchy.services import import_province, tenant_departments
from hierarchy.signals import (
    collect,
    count_contents,
    gather,
    tenant_carry_check,
    tenant_carrying,
    unit_merged,
    units_moved,
)
from tenants.models import Membership, Tenant, User, tenant_by_slug
from tenants.services import SLUG_RE, create_tenant

OVERRIDES_KEY = "reform_overrides"


@dataclass
class StaffLine:
    email: str
    role: str
    unit: str  # code at the old tenant
    becomes: str  # where the membership ends up, in words


@dataclass
class ReformPlan:
    old: Tenant
    new_slug: str
    new: Tenant | None = None
    old_province: object = None
    new_province: object = None
    units: reform.UnitPlan = field(default_factory=reform.UnitPlan)
    staff: list = field(default_factory=list)
    counts: dict = field(default_factory=dict)
    rows: dict = field(default_factory=dict)
    refusals: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    overrides: dict = field(default_factory=dict)
    done: bool = False  # already carried into this tenant: applying again changes nothing

    @property
    def ready(self):
        return not self.done and not self.refusals and not self.units.unsettled

    @property
    def reasons(self):
        """Everything that stops `apply`, in words."""
        return self.refusals + [f"{u.code} {u.name}: {u.why}" for u in self.units.unsettled]


def stored_overrides(tenant):
    return dict((tenant.settings or {}).get(OVERRIDES_KEY) or {})


def plan_reform(old_slug, new_slug, overrides=None):
    """What carrying OLD_SLUG into NEW_SLUG would do. Raises `Invalid` only when OLD_SLUG names no tenant."""
    with platform_scope():
        old, new = tenant_by_slug(old_slug), tenant_by_slug(new_slug)
    if old is None:
        raise Invalid(f"Không có tenant '{old_slug}'.", {"old": [f"Không có tenant '{old_slug}'."]})
    plan = ReformPlan(old=old, new_slug=new_slug, new=new)
    if old.carried_into_id is not None:
        if new is not None and old.carried_into_id == new.id:
            plan.done = True
        else:
            plan.refusals.append(f"{old_slug} đã được chuyển sang tỉnh khác.")
        return plan
    if old.admin_map != PRE_REFORM:
        plan.refusals.append(f"{old_slug} đã theo bản đồ hiện hành: không có gì để chuyển.")
        return plan
    plan.old_province = pre_reform_map().province(old.province_code)
    plan.new_province = current_map().province(correspondence().province_into[old.province_code])
    _check_new_tenant(plan)
    if plan.refusals:
        return plan
    plan.overrides = {**stored_overrides(old), **(overrides or {})}
    with tenant_scope(old.id):
        old_units = db.session.execute(select(Unit)).scalars().all()
        plan.counts = collect(count_contents.send(current_app._get_current_object(), where=true()))
    new_units, continuing_new = _new_units(plan)
    plan.units = reform.place_units(old_units, plan.new_province, new_units, plan.overrides)
    by_code = {unit.code: unit for unit in old_units}
    continuing = [(by_code[p.code], continuing_new[p.target]) for p in plan.units.of(reform.CONTINUES)
                  if p.target in continuing_new]
    plan.staff = _staff(plan, old)
    with platform_scope():
        plan.rows = carry.rows_left(old.id)
        checked = gather(tenant_carry_check.send(current_app._get_current_object(), old_tenant_id=old.id,
                                                 new_tenant_id=new.id if new else None, continuing=continuing))
        plan.refusals += checked.get("refusals", [])
        plan.notes += checked.get("notes", [])
        if new is not None:
            handled = {"units", *checked.get("handles", [])}
            plan.refusals += [f"{rows} dòng của bảng {table} trùng ({', '.join(columns)}) với {new_slug}."
                              for table, columns, rows in carry.collisions(old.id, new.id, skip=handled)]
    return plan


def _check_new_tenant(plan):
    old, new, target = plan.old, plan.new, plan.new_province
    going = (f"{old.province_code} {short_name(plan.old_province.name)} sáp nhập vào {target.code} "
             f"{short_name(target.name)}")
    if new is None:
        if not SLUG_RE.match(plan.new_slug or ""):
            plan.refusals.append("Mã tenant mới không hợp lệ (chữ thường, số, dấu gạch ngang).")
        else:
            plan.notes.append(f"{going}: tenant {plan.new_slug} sẽ được tạo theo bản đồ hiện hành.")
        return
    if new.admin_map != CURRENT:
        plan.refusals.append(f"{new.slug} theo bản đồ trước {REFORM_DATE:%d/%m/%Y}: chỉ chuyển vào một tenant theo "
                             "bản đồ hiện hành.")
    elif new.carried_into_id is not None or new.id == old.id:
        plan.refusals.append(f"{new.slug} không thể nhận.")
    elif new.province_code != target.code:
        plan.refusals.append(f"{going}, còn {new.slug} là tỉnh {new.province_code}: không chuyển được đúng.")
    else:
        plan.notes.append(f"{going}: vào tenant {new.slug}.")


def _new_units(plan):
    """{code: name} of the units the new tenant has or will have after its (idempotent) import, and its existing
    units by code."""
    departments = tenant_departments(plan.new) if plan.new else tenant_departments(plan.old)
    names = {spec.code: spec.name for spec in unit_specs(plan.new_province.code, departments,
                                                         admin_map=current_map())}
    existing = {}
    if plan.new is not None:
        with tenant_scope(plan.new.id):
            existing = {unit.code: unit for unit in db.session.execute(select(Unit)).scalars()}
        names.update({code: unit.name for code, unit in existing.items()})
    return names, existing


FATE_WORDS = {
    reform.CONTINUES: "giữ nguyên tại {target} (đơn vị tiếp tục với tên mới)",
    reform.MERGES: "chuyển về {target} (xã, phường mới)",
    reform.RETIRES: "giữ tại {unit} đã ngừng hoạt động, không mở rộng phạm vi, chờ lãnh đạo phân công lại",
    reform.MOVES: "giữ tại {unit}",
}


def _staff(plan, old):
    placed = plan.units.by_code
    with tenant_scope(old.id):
        rows = db.session.execute(select(User.email, Membership.role, Unit.code).join(Membership.user)
                                  .join(Unit, Unit.id == Membership.unit_id).order_by(Unit.path, User.email)).all()
    lines = []
    for email, role, code in rows:
        placement = placed.get(code)
        fate = placement.fate if placement else reform.MOVES
        lines.append(StaffLine(email, role, code, FATE_WORDS[fate].format(target=placement.target if placement
                                                                          else code, unit=code)))
    return lines


def apply_reform(old_slug, new_slug, overrides=None):
    """Carry OLD_SLUG into NEW_SLUG (see the module). Returns (plan, summary); summary is None when it was done
    before. Raises `Conflict` naming every reason before anything changes."""
    plan = plan_reform(old_slug, new_slug, overrides)
    if plan.done:
        return plan, None
    if not plan.ready:
        raise Conflict("Không thể chuyển: " + " ".join(plan.reasons), {"reform": plan.reasons})
    app = current_app._get_current_object()
    old = plan.old
    with platform_scope():
        db.session.execute(select(Tenant.id).where(Tenant.id == old.id).with_for_update())
        new = plan.new or create_tenant(new_slug, "", plan.new_province.code)
        db.session.execute(select(Tenant.id).where(Tenant.id == new.id).with_for_update())
    with tenant_scope(new.id):
        import_province(new)
        new_ids = dict(db.session.execute(select(Unit.code, Unit.id)).all())
    with tenant_scope(old.id):
        old_ids = dict(db.session.execute(select(Unit.code, Unit.id)).all())
    with platform_scope():
        if overrides:
            old.settings = {**(old.settings or {}), OVERRIDES_KEY: plan.overrides}
        tenant_carrying.send(app, old_tenant_id=old.id, new_tenant_id=new.id)
        reform.continue_units([(old_ids[p.code], new_ids[p.target]) for p in plan.units.of(reform.CONTINUES)])
        left = carry.collisions(old.id, new.id, skip=("units",))
        if left:
            raise Conflict("Không thể chuyển: dữ liệu trùng " + ", ".join(table for table, _c, _r in left))
        moved = carry.move_rows(old.id, new.id)
    with tenant_scope(new.id):
        summary = _settle_tree(app, plan, new, old_ids, new_ids)
    summary.update({"rows": moved, "from": old.slug, "into": new.slug, "overrides": plan.overrides})
    with platform_scope():
        old.carried_into_id, old.carried_at = new.id, utcnow()
        audit.join_chains(old.id, new.id, {"from": old.slug, "from_tenant_id": old.id, "into": new.slug,
                                           "into_tenant_id": new.id, **{k: v for k, v in summary.items()
                                                                        if k != "rows"}})
        db.session.flush()
    return plan, summary


def _settle_tree(app, plan, new, old_ids, new_ids):
    """In the new tenant, now holding the old units: merges, retirements, moves; paths; counters."""
    root = db.session.execute(select(Unit).where(Unit.id == new_ids[new.province_code])).scalar_one()
    units = {unit.id: unit for unit in db.session.execute(select(Unit)).scalars()}
    by_code = {unit.code: unit for unit in units.values()}
    pairs = []
    for placement in plan.units.placements:
        if placement.fate == reform.CONTINUES:
            continue
        unit = units[old_ids[placement.code]]
        if placement.fate == reform.MERGES:
            target = units[new_ids[placement.target]]
            for child in [u for u in units.values() if u.parent_id == unit.id]:
                child.parent_id = target.id
            unit.active, unit.merged_into_id = False, target.id
            pairs.append((unit, target))
        elif placement.fate == reform.RETIRES:
            if unit.active:
                unit.active, unit.merged_into_id = False, root.id
            if unit.parent_id is None:
                unit.parent_id = root.id
        elif placement.target in by_code and by_code[placement.target].id != unit.id:
            unit.parent_id = by_code[placement.target].id  # a department under the new HQ, an area with its commune
    db.session.flush()
    if pairs:
        unit_merged.send(app, pairs=pairs)
    reform.recompute_paths(new.id)
    db.session.flush()
    db.session.expire_all()
    units_moved.send(app, tenant_id=new.id, unit_ids=sorted({target.id for _s, target in pairs} | {root.id}))
    return {fate: len(plan.units.of(fate)) for fate in (reform.CONTINUES, reform.MERGES, reform.RETIRES,
                                                       reform.MOVES)}
