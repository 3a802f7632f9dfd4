"""Tenant scoping, enforced once for every query and every write.

Every tenant-owned model inherits `TenantScoped`. A session hook adds `tenant_id = <current tenant>` to every
ORM SELECT, UPDATE and DELETE that touches one (relationship loads included), and a flush hook stamps and
checks `tenant_id` on every new or changed row. Code that forgets about tenants is therefore still scoped.

The current scope lives on the application context (`flask.g`), so it ends with the request or job:
- a request gets its tenant from the signed-in user, the public URL or the Zalo app id;
- a job or CLI command that works on one tenant enters `tenant_scope(tenant_id)`, exactly like a request;
- `platform_scope()` is the one named opt-out, for work that spans tenants by nature (sign-in lookup of an
  e-mail, listing tenants, migrations, national benchmark data).
A tenant-owned query with no scope at all raises `TenantScopeMissing` instead of returning every tenant's rows.

Known holes of a loader filter, and how they are closed: `session.get()` may answer from the identity map, so
code loads by id with `load` (a SELECT); raw `text()` SQL is not ORM and is only used in migrations and
the benchmark's baselines; explicit joins are filtered too, because the criteria name the class, not a table.
"""
from contextlib import contextmanager

from flask import g, has_app_context
from sqlalchemy import ForeignKey, Table, event, select
from sqlalchemy.orm import Mapped, Session, declared_attr, mapped_column, with_loader_criteria
from sqlalchemy.sql import visitors

PLATFORM = "platform"


class TenantScopeMissing(RuntimeError):
    """A tenant-owned table was queried or written outside any tenant scope."""


class CrossTenantWrite(RuntimeError):
    """A row of one tenant was about to be written under another tenant's scope."""


class TenantScoped:
    """Mixin for every tenant-owned model."""

    @declared_attr
    def tenant_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True, nullable=False)


def current_scope():
    """The tenant id in force, `PLATFORM`, or None when nothing has been set."""
    return g.get("_tenant_scope") if has_app_context() else None


def current_tenant_id():
    scope = current_scope()
    return scope if isinstance(scope, int) else None


# Public URLs name their tenant themselves (slug, unit id, tracking code, Zalo app id): a signed-in user's own
# tenant never applies there, so staff of one province can read another province's public page.
PUBLIC_PREFIXES = ("/p/", "/api/v1/public/", "/tra-cuu", "/webhooks/", "/open311/")


def is_public_path(path):
    return path.startswith(PUBLIC_PREFIXES)


def set_request_tenant(tenant_id):
    """Called once per request by whoever identified the tenant (sign-in, public URL, webhook app id)."""
    g._tenant_scope = tenant_id


@contextmanager
def _scope(value):
    previous = g.get("_tenant_scope")
    g._tenant_scope = value
    try:
        yield value
    finally:
        g._tenant_scope = previous


def tenant_scope(tenant_id: int):
    """Run a block (a job, a CLI command) inside one tenant, as a request of that tenant would."""
    if not isinstance(tenant_id, int):
        raise TypeError("tenant_scope takes a tenant id")
    return _scope(tenant_id)


def platform_scope():
    """The named opt-out: queries see every tenant. Only for work that spans tenants by nature."""
    return _scope(PLATFORM)


def for_each_tenant(tenant_ids=None):
    """Each tenant's id, in id order, yielded inside that tenant's scope: the sweeps and operator commands that
    work through every tenant (each commits its own transaction). The ids are read in the platform scope, the
    only step that needs it; `tenant_ids` limits the walk (e.g. the tenants with a Zalo app)."""
    from core.extensions import db

    if tenant_ids is None:
        tenants = db.metadata.tables["tenants"]  # named by every tenant-owned row's foreign key, as above
        with platform_scope():
            tenant_ids = db.session.execute(select(tenants.c.id).order_by(tenants.c.id)).scalars().all()
    for tenant_id in tenant_ids:
        with tenant_scope(tenant_id):
            yield tenant_id


def _touches_tenant_data(orm_execute_state):
    """Whether a statement reads a tenant-owned table anywhere: as an entity, in a FROM, in a subquery."""
    if any(issubclass(mapper.class_, TenantScoped) for mapper in orm_execute_state.all_mappers):
        return True
    tenant_tables = _tenant_tables()
    return any(isinstance(element, Table) and element in tenant_tables
               for element in visitors.iterate(orm_execute_state.statement))


def _tenant_tables():
    from core.extensions import db

    return {mapper.local_table for mapper in db.Model.registry.mappers if issubclass(mapper.class_, TenantScoped)}


@event.listens_for(Session, "do_orm_execute")
def _scope_statement(orm_execute_state):
    if not (orm_execute_state.is_select or orm_execute_state.is_update or orm_execute_state.is_delete):
        return
    if orm_execute_state.is_column_load:
        return
    scope = current_scope()
    if isinstance(scope, int):
        # Added to every statement, not only those whose columns name an entity: a count over a subquery or
        # `select(func.count()).select_from(Model)` is filtered too (the criteria reach every entity compiled).
        orm_execute_state.statement = orm_execute_state.statement.options(
            with_loader_criteria(TenantScoped, lambda cls: cls.tenant_id == scope, include_aliases=True))
    elif scope is None and _touches_tenant_data(orm_execute_state):
        raise TenantScopeMissing("tenant-owned data queried outside a tenant scope")


@event.listens_for(Session, "before_flush")
def _stamp_and_check_writes(session, flush_context, instances):
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        if not isinstance(obj, TenantScoped):
            continue
        scope = current_scope()
        if scope is None:
            raise TenantScopeMissing(f"{type(obj).__name__} written outside a tenant scope")
        if scope == PLATFORM:
            if obj.tenant_id is None and not getattr(obj, "__tenant_optional__", False):
                raise TenantScopeMissing(f"{type(obj).__name__} written in platform scope without a tenant_id")
            continue
        if obj.tenant_id is None and obj in session.new:
            obj.tenant_id = scope
        elif obj.tenant_id != scope:
            raise CrossTenantWrite(f"{type(obj).__name__} of tenant {obj.tenant_id} written in tenant {scope}")


def load(model, object_id, **filters):
    """One tenant-scoped object by id (through a SELECT, so the identity map cannot leak it), or None."""
    from core.extensions import db

    try:
        object_id = int(object_id)
    except (TypeError, ValueError):
        return None
    if not 1 <= object_id <= 2**31 - 1:
        return None  # no row can have it, and PostgreSQL would refuse the comparison
    statement = select(model).where(model.id == object_id).filter_by(**filters)
    return db.session.execute(statement).scalar_one_or_none()


# --- ids in URLs ------------------------------------------------------------------------------------------
# URL parameters that name a tenant-owned object (`tip_id` → Tip). Each package registers its own on the app
# (`core.registry`). Before any view runs (and before a request body is validated), every such id is loaded in
# the request's tenant scope: an id of another tenant, or of nothing, answers 404 the same way. Views take the
# loaded object from here.
def register_path_model(app, param, model):
    from core.registry import registry

    registry("path_models", app)[param] = model


def load_path_objects():
    """before_request: 404 for any registered id in the URL that does not exist in the caller's tenant."""
    from flask import request

    from core.errors import NotFound
    from core.registry import registry

    if not request.view_args or not isinstance(current_scope(), int):
        return
    path_models, loaded = registry("path_models"), {}
    for param, value in request.view_args.items():
        model = path_models.get(param)
        if model is None:
            continue
        obj = load(model, value)
        if obj is None:
            raise NotFound()
        loaded[param] = obj
    g.path_objects = loaded


def path_object(param):
    """The object `load_path_objects` loaded for a URL parameter."""
    return g.get("path_objects", {}).get(param)
