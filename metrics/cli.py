"""`flask metrics rebuild [--tenant SLUG]`."""
import sys

import click
from flask.cli import AppGroup
from sqlalchemy import select

from core.extensions import db
from core.tenancy import platform_scope, tenant_scope
from metrics.services import rebuild_counters

metrics_cli = AppGroup("metrics", help="Metrics and their counters.")
COUNTER_TABLES = ("metric_daily", "metric_monthly", "metric_subtree_monthly")


@metrics_cli.command("rebuild")
@click.option("--tenant", "tenant_slug", default=None, help="Only this tenant (default: every tenant).")
def rebuild(tenant_slug):
    """Recompute daily, monthly and subtree counters from events, one tenant per transaction."""
    from tenants.models import Tenant

    with platform_scope():
        statement = select(Tenant.id, Tenant.slug).order_by(Tenant.id)
        if tenant_slug:
            statement = statement.where(Tenant.slug == tenant_slug)
        tenants = db.session.execute(statement).all()
    if tenant_slug and not tenants:
        click.echo(f"Lỗi: không có tenant '{tenant_slug}'.", err=True)
        sys.exit(1)
    for tenant_id, slug in tenants:
        with tenant_scope(tenant_id):
            daily, monthly = rebuild_counters()
            db.session.commit()
        click.echo(f"{slug}: {daily} bộ đếm ngày, {monthly} bộ đếm tháng")
    _vacuum_counters()


def _vacuum_counters():
    """A rebuild rewrites every counter row of a tenant. Until PostgreSQL vacuums the tables, the roll-ups'
    index-only scans visit the heap for each row and the planner's statistics are stale: the dashboard would
    be slow until autovacuum came by. So the command vacuums them itself (outside any transaction, as VACUUM
    must run)."""
    engine = db.engine.engine  # the Engine itself, also where the session is bound to one connection (tests)
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM (ANALYZE) " + ", ".join(COUNTER_TABLES))
