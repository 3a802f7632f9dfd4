"""Carrying every row of one tenant into another (the 2025 reform carries a pre-reform province's tenant into
its new province's), read from the metadata: core names no feature's table.

A tenant-owned table is any table with a `tenant_id` column of a `TenantScoped` model. The audit log is the
exception: its records are hash-chained per tenant, so they stay in their own, closed, chain, which the new
tenant's chain names (`core.audit`). Runs in the platform scope: it spans two tenants by nature.
"""
from sqlalchemy import and_, func, select, true, update

from core.extensions import db
from core.tenancy import TenantScoped

KEPT = ("audit_log",)


def tenant_tables():
    """Every tenant-owned table, parents before children."""
    owned = {mapper.local_table.name for mapper in db.Model.registry.mappers if issubclass(mapper.class_,
                                                                                          TenantScoped)}
    return [table for table in db.metadata.sorted_tables if table.name in owned and "tenant_id" in table.c]


def collisions(old_id, new_id, skip=()):
    """[(table, columns, rows)] where a row of the old tenant would break a uniqueness that includes
    `tenant_id` once it belongs to the new tenant. `skip`: tables something else makes room in."""
    found = []
    for table in tenant_tables():
        if table.name in skip or table.name in KEPT:
            continue
        for constraint in table.constraints:
            names = [column.name for column in getattr(constraint, "columns", ())]
            if type(constraint).__name__ != "UniqueConstraint" or "tenant_id" not in names:
                continue
            others = [name for name in names if name != "tenant_id"]
            old, new = table.alias("old_rows"), table.alias("new_rows")
            joined = and_(*(old.c[name] == new.c[name] for name in others)) if others else true()
            statement = (select(func.count()).select_from(old.join(new, joined))
                         .where(old.c.tenant_id == old_id, new.c.tenant_id == new_id))
            rows = db.session.execute(statement).scalar_one()
            if rows:
                found.append((table.name, tuple(others), rows))
    return found


def move_rows(old_id, new_id):
    """Every row of the old tenant (but its audit records) belongs to the new one. Returns {table: rows}."""
    moved = {}
    for table in tenant_tables():
        if table.name in KEPT:
            continue
        result = db.session.execute(update(table).where(table.c.tenant_id == old_id).values(tenant_id=new_id))
        if result.rowcount:
            moved[table.name] = result.rowcount
    return moved


def rows_left(tenant_id):
    """{table: rows} of a tenant, audit records included: what a carried tenant still holds."""
    left = {}
    for table in tenant_tables():
        count = db.session.execute(select(func.count()).select_from(table).where(table.c.tenant_id == tenant_id)
                                   ).scalar_one()
        if count:
            left[table.name] = count
    return left

