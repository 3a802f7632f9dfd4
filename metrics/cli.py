"""`flask metrics rebuild [--tenant SLUG]`."""
import click
from flask import current_app
from flask.cli import AppGroup

from core import rls
from core.extensions import db
from core.tenancy import for_each_tenant
from metrics.services import rebuild_counters
from tenants.models import tenant_slug
from tenants.params import TenantSlug

metrics_cli = AppGroup("metrics", help="Metrics and their counters.")
COUNTER_TABLES = ("metric_daily", "metric_monthly", "metric_subtree_monthly")


@metrics_cli.command("rebuild")
@click.option("--tenant", "tenant", type=TenantSlug(), default=None, help="Only this tenant (default: every tenant).")
def rebuild(tenant):
    """Recompute daily, monthly and subtree counters from events, one tenant per transaction."""
    for tenant_id in for_each_tenant([tenant.id] if tenant else None):
        daily, monthly = rebuild_counters()
        db.session.commit()
        click.echo(f"{tenant_slug(tenant_id)}: {daily} bộ đếm ngày, {monthly} bộ đếm tháng")
    _vacuum_counters()


def _vacuum_counters():
    """A rebuild rewrites every counter row of a tenant. Until PostgreSQL vacuums the tables, the roll-ups'
    index-only scans visit the heap for each row and the planner's statistics are stale: the dashboard would
    be slow until autovacuum came by. So the command vacuums them itself (outside any transaction, as VACUUM
    must run) — as the tables' owner where the app's own role may not (`DATABASE_OWNER_URL`, core/rls.py)."""
    engine = db.engine.engine  # the Engine itself, also where the session is bound to one connection (tests)
    if engine.dialect.name != "postgresql":
        return
    engine = rls.owner_engine(current_app.config) or engine
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM (ANALYZE) " + ", ".join(COUNTER_TABLES))
