"""`flask metrics rebuild [--tenant SLUG]`."""
import sys

import click
from flask.cli import AppGroup
from sqlalchemy import select

from core.extensions import db
from core.tenancy import platform_scope, tenant_scope
from metrics.services import rebuild_counters

metrics_cli = AppGroup("metrics", help="Metrics and their counters.")


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
