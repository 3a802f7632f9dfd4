"""The tree's half of the 2025 reform: where each unit of a pre-reform tenant goes on today's map.

`place_units` decides, without changing anything, what becomes of every unit (`flask reform plan` prints it):
- a unit whose code today's tenant has (the HQ 91 that Kiên Giang hands to An Giang, a department PC02, a
  commune whose code the official list gives a new commune) *continues* as that unit under its new name;
- every other old commune *merges* into the new commune that took it (the correspondence's, or an operator's
  override); a divided commune goes to the part that takes its identity, the other parts are named;
- districts and an old HQ that does not continue *retire*: inactive units under the new HQ, keeping their
  own history (their public pages lead to the new HQ);
- a department the new HQ does not have, and anything below a commune, *moves* across as it is.
What the data cannot place is *unsettled*, and the reform refuses until an operator settles it. Nothing is
guessed: an override is the only way a commune goes somewhere the official data does not send it.

The row-level half (`continue_units`, `recompute_paths`) works on the tree alone; the packages move their own
rows through `hierarchy.signals`.
"""
from dataclasses import dataclass, field, replace

from sqlalchemy import case, delete, select, update

from core.extensions import db
from hierarchy.correspondence import correspondence
from hierarchy.models import Unit

CONTINUES, MERGES, RETIRES, MOVES = "continues", "merges", "retires", "moves"


@dataclass(frozen=True)
class Placement:
    code: str
    name: str
    kind: str
    fate: str
    target: str | None  # the new tenant's unit it continues as, merges into, or now sits under
    note: str = ""
    target_name: str = ""


@dataclass(frozen=True)
class Unsettled:
    code: str
    name: str
    why: str
    hints: tuple = ()  # codes of today's communes the data suggests


@dataclass
class UnitPlan:
    placements: list = field(default_factory=list)
    unsettled: list = field(default_factory=list)

    def of(self, fate):
        return [p for p in self.placements if p.fate == fate]

    @property
    def by_code(self):
        return {p.code: p for p in self.placements}


def place_units(units, new_province, new_units, overrides=None):
    """Where each of `units` (every unit of the old tenant) goes. `new_province` is today's `Division` of the
    new tenant's province, `new_units` {code: name} of the units the new tenant has (or will have on creation),
    `overrides` {old commune code: new commune code} settled by an operator."""
    overrides = overrides or {}
    communes = {ward.code: ward.name for ward in new_province.children}
    data = correspondence()
    plan, deferred = UnitPlan(), []
    for unit in sorted(units, key=lambda u: u.path):
        if unit.kind == "commune" and unit.merged_into_id is None:
            _place_commune(plan, unit, communes, new_units, data, overrides.get(unit.code))
        elif unit.code in new_units and unit.kind in ("province", "department"):
            plan.placements.append(Placement(unit.code, unit.name, unit.kind, CONTINUES, unit.code))
        elif unit.code in new_units:
            plan.unsettled.append(Unsettled(unit.code, unit.name, f"Mã {unit.code} đã thuộc {new_units[unit.code]}"
                                            " của tỉnh mới."))
        elif unit.kind in ("province", "district", "commune"):  # a commune here was merged before the reform
            plan.placements.append(Placement(unit.code, unit.name, unit.kind, RETIRES, new_province.code))
        elif unit.kind == "department":
            plan.placements.append(Placement(unit.code, unit.name, unit.kind, MOVES, new_province.code))
        else:
            deferred.append(unit)
    placed, codes = plan.by_code, {unit.id: unit.code for unit in units}
    for unit in deferred:  # below a commune: it goes where its parent goes
        parent = placed.get(codes.get(unit.parent_id))
        target = parent.target if parent and parent.fate in (CONTINUES, MERGES) else codes.get(unit.parent_id)
        plan.placements.append(Placement(unit.code, unit.name, unit.kind, MOVES, target))
    names = {**{unit.code: unit.name for unit in units}, **new_units}
    plan.placements = [replace(p, target_name=names.get(p.target, "")) for p in plan.placements]
    return plan


def _place_commune(plan, unit, communes, new_units, data, override):
    successor = data.successor.get(unit.code)
    if unit.code in communes:  # today's list gives its code to a new commune: the old one continues as it
        related = successor is not None and unit.code in (successor.code, *successor.others)
        if related or override == unit.code:
            note = "" if successor is None or successor.code == unit.code else \
                "bị chia; giữ mã theo danh mục chính thức"
            plan.placements.append(Placement(unit.code, unit.name, "commune", CONTINUES, unit.code,
                                             "theo quyết định của người vận hành" if not related else note))
        else:
            plan.unsettled.append(Unsettled(
                unit.code, unit.name, f"Dữ liệu chuyển đổi đưa về {_label(successor, communes)}, nhưng mã {unit.code}"
                f" nay là của {communes[unit.code]}: chỉ có thể giữ mã (ghi đè {unit.code}).", (unit.code,)))
        return
    if override:
        if override not in communes:
            plan.unsettled.append(Unsettled(unit.code, unit.name, f"Mã ghi đè {override} không phải xã, phường "
                                                                  "của tỉnh mới."))
        else:
            plan.placements.append(Placement(unit.code, unit.name, "commune", MERGES, override,
                                             "theo quyết định của người vận hành"))
        return
    if successor is None:
        hints = tuple(code for code in data.unmapped.get(unit.code, ()) if code in communes)
        plan.unsettled.append(Unsettled(unit.code, unit.name, "Không có trong dữ liệu chuyển đổi chính thức.", hints))
    elif successor.code not in communes:
        plan.unsettled.append(Unsettled(unit.code, unit.name, f"Dữ liệu chuyển đổi đưa về mã {successor.code}, "
                                                              "không thuộc tỉnh mới."))
    else:
        note = ("bị chia; phần còn lại về " + ", ".join(successor.others)) if successor.others else ""
        plan.placements.append(Placement(unit.code, unit.name, "commune", MERGES, successor.code, note))


def _label(successor, communes):
    return "không đâu" if successor is None else f"{communes.get(successor.code, successor.code)} ({successor.code})"


def unit_reference_columns():
    """Every column of every table that points at `units.id` (read from the metadata: the tree names no
    feature's tables)."""
    columns = []
    for table in db.metadata.sorted_tables:
        for key in table.foreign_keys:
            if key.column.table.name == Unit.__tablename__ and key.column.name == "id":
                columns.append(key.parent)
    return columns


def continue_units(pairs):
    """Each old unit *is* its survivor from now on: every reference to it, in any table, points at the survivor
    (history included: it is the same unit), and the old row goes. `pairs`: [(old id, survivor id)]."""
    if not pairs:
        return
    mapping = dict(pairs)
    for column in unit_reference_columns():  # one UPDATE per column, whatever the number of units
        db.session.execute(update(column.table).where(column.in_(mapping))
                           .values({column.name: case(mapping, value=column)}))
    db.session.execute(delete(Unit.__table__).where(Unit.__table__.c.id.in_(mapping)))


def recompute_paths(tenant_id):
    """Paths and depths of one tenant's units from their parents, in one pass (after a reform moved many)."""
    table = Unit.__table__
    rows = db.session.execute(select(table.c.id, table.c.parent_id, table.c.code, table.c.path, table.c.depth)
                              .where(table.c.tenant_id == tenant_id)).all()
    by_id = {row.id: row for row in rows}
    paths = {}

    def path_of(unit_id):
        if unit_id not in paths:
            row = by_id[unit_id]
            paths[unit_id] = (f"{path_of(row.parent_id)}{row.code}/" if row.parent_id else f"/{row.code}/")
        return paths[unit_id]

    changed = []
    for row in rows:
        path = path_of(row.id)
        if path != row.path:
            changed.append({"unit_id": row.id, "path": path, "depth": path.count("/") - 2})
    if changed:
        from sqlalchemy import bindparam

        db.session.execute(update(table).where(table.c.id == bindparam("unit_id"))
                           .values(path=bindparam("path"), depth=bindparam("depth")), changed)
    return len(changed)
