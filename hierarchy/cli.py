"""`flask hierarchy import-province SLUG CODE`: (re)import a province's tree into a tenant; idempotent."""
import click
from flask.cli import AppGroup

from core.extensions import db
from core.tenancy import platform_scope, tenant_scope
from hierarchy.importer import UnknownProvince, normalise_code, unit_specs
from hierarchy.services import import_province

hierarchy_cli = AppGroup("hierarchy", help="The unit tree.")


@hierarchy_cli.command("import-province")
@click.argument("slug")
@click.argument("code")
def import_province_command(slug, code):
    from tenants.cli import fail
    from tenants.services import tenant_by_slug

    with platform_scope():
        tenant = tenant_by_slug(slug)
    if tenant is None:
        fail(f"không có tenant '{slug}'.")
    try:
        unit_specs(code)
    except UnknownProvince:
        fail(f"không có tỉnh mã {code}.")
    with tenant_scope(tenant.id):
        inserted = import_province(tenant, normalise_code(code))
        db.session.commit()
    click.echo(f"Đã nhập tỉnh {normalise_code(code)} vào {slug}: thêm {inserted} đơn vị.")
