"""`flask open311 client-create SLUG NAME`: registers a client; its api_key is the last line printed."""
import click
from flask.cli import AppGroup

from core.audit import record
from core.extensions import db
from core.tenancy import tenant_scope
from tenants.params import TenantSlug

open311_cli = AppGroup("open311", help="Open311 GeoReport v2: ứng dụng bên ngoài gửi tin báo.")


@open311_cli.command("client-create")
@click.argument("tenant", metavar="SLUG", type=TenantSlug())
@click.argument("name")
def client_create_command(tenant, name):
    """Register an Open311 client of a tenant and print its api_key (once; only its hash is stored)."""
    from open311.services import create_client

    with tenant_scope(tenant.id):
        client, api_key = create_client(name)
        record("open311.client_create", client, details={"name": client.name, "prefix": client.prefix})
        db.session.commit()
        name = client.name  # read in the tenant's scope: outside it the row is not visible
    click.echo(f"Đã tạo ứng dụng Open311 '{name}' cho {tenant.slug}. Khoá API (chỉ hiện một lần):")
    click.echo(api_key)
