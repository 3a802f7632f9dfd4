"""The tree's operations: import a province, list and search units in a user's scope, count subtrees."""
from sqlalchemy import func, insert, select

from core.extensions import db
from core.markdown import fold
from core.permissions import scope_clause
from hierarchy.departments import DEFAULT_DEPARTMENTS
from hierarchy.importer import unit_specs
from hierarchy.maps import map_named
from hierarchy.models import Unit


def tenant_departments(tenant):
    """The tenant's department list (editable in its settings), else the default ten."""
    configured = (tenant.settings or {}).get("departments")
    return tuple(tuple(item) for item in configured) if configured else DEFAULT_DEPARTMENTS


def formed_from(unit, tenant):
    """What a unit of today's map was formed from on 2025-07-01, by the official correspondence: {"whole": [old
    names], "part": [old names of communes divided between it and others]}; empty on the old map."""
    from hierarchy.correspondence import correspondence
    from hierarchy.maps import CURRENT, REFORM_DATE, pre_reform_names

    if tenant.admin_map != CURRENT or unit.kind not in ("province", "commune"):
        return {}
    data, names = correspondence(), pre_reform_names()
    if unit.kind == "province":
        whole, part = data.old_provinces_of(unit.code), []
    else:
        whole, part = data.formed_from(unit.code)
    if not whole and not part:
        return {}
    return {"date": REFORM_DATE, "whole": [names.get(code, code) for code in whole],
            "part": [names.get(code, code) for code in part]}


def merged_from(unit):
    """The units merged into `unit` whose history now lives here (a reform carried or a merge made them
    inactive): [{"name", "province": the old province's name, or "" within the tenant's own tree}], by name.
    The date is the reform's for units carried from another map."""
    from hierarchy.maps import REFORM_DATE

    sources = db.session.execute(select(Unit).where(Unit.merged_into_id == unit.id).order_by(Unit.name)
                                 ).scalars().all()
    if not sources:
        return {}
    top_codes = {codes[1] for source in sources if len(codes := source.path.strip("/").split("/")) > 2}
    provinces = dict(db.session.execute(select(Unit.code, Unit.name).where(
        Unit.code.in_(top_codes), Unit.kind == "province", Unit.active.is_(False))).all()) if top_codes else {}
    items = []
    for source in sources:
        codes = source.path.strip("/").split("/")
        old = provinces.get(codes[1], "") if len(codes) > 2 else ""
        items.append({"name": source.name, "province": old.removeprefix("Công an ").removeprefix("tỉnh ")
                      .removeprefix("thành phố ")})
    return {"units": items, "date": REFORM_DATE if any(item["province"] for item in items) else None}


def tenant_map(tenant):
    """The administrative map the tenant's tree is on (`hierarchy.maps`)."""
    return map_named(tenant.admin_map)


def import_province(tenant, province_code=None):
    """Insert every missing unit of the province (the tenant's own by default) into the tenant, from the map the
    tenant is on, level by level in bulk. Idempotent.

    Returns the number of units inserted. Existing units (matched by code) are left untouched.
    """
    specs = unit_specs(province_code or tenant.province_code, tenant_departments(tenant),
                       admin_map=tenant_map(tenant))
    ids = dict(db.session.execute(select(Unit.code, Unit.id).where(Unit.tenant_id == tenant.id)).all())
    inserted = 0
    for depth in sorted({spec.depth for spec in specs}):
        rows = [
            {
                "tenant_id": tenant.id, "code": spec.code, "name": spec.name, "search_name": spec.search_name,
                "kind": spec.kind, "path": spec.path, "depth": spec.depth, "sort_order": spec.sort_order,
                "parent_id": ids.get(spec.parent_code), "active": True,
            }
            for spec in specs if spec.depth == depth and spec.code not in ids
        ]
        if rows:
            db.session.execute(insert(Unit), rows)
            inserted += len(rows)
            codes = [row["code"] for row in rows]
            ids.update(db.session.execute(
                select(Unit.code, Unit.id).where(Unit.tenant_id == tenant.id, Unit.code.in_(codes))).all())
    db.session.flush()
    return inserted


def root_unit():
    return db.session.execute(select(Unit).where(Unit.parent_id.is_(None)).order_by(Unit.id)).scalars().first()


def unit_by_code(code):
    return db.session.execute(select(Unit).where(Unit.code == str(code))).scalar_one_or_none()


def units_in_scope(user, code=None, kind=None, parent_id=None, query=None, action="unit.view"):
    """SELECT of the units the user may see, with the API's filters; ordered as the tree is shown."""
    statement = select(Unit).where(scope_clause(user, action, Unit.path))
    if code:
        statement = statement.where(Unit.code == code)
    if kind:
        statement = statement.where(Unit.kind == kind)
    if parent_id is not None:
        statement = statement.where(Unit.parent_id == parent_id)
    if query:
        statement = statement.where(Unit.search_name.contains(fold(query), autoescape=True))
    return statement.order_by(Unit.depth, Unit.sort_order, Unit.code)


def subtree_sizes(units):
    """{unit id: number of units below it} for the given units, in one query over the tenant's paths."""
    paths = db.session.execute(select(Unit.path)).scalars().all()
    counts = {}
    for unit in units:
        counts[unit.id] = sum(1 for path in paths if path != unit.path and path.startswith(unit.path))
    return counts


def count_units():
    return db.session.execute(select(func.count(Unit.id))).scalar_one()

