"""`flask hierarchy …`: (re)import a province's tree into a tenant (idempotent), and re-organise it: move a
unit, merge two units, abolish the district tier; create and rename units."""
import click
from flask.cli import AppGroup

from core.cli import fail
from core.errors import AppError, Invalid
from core.extensions import db
from core.tenancy import tenant_scope
from hierarchy import lifecycle, reorg
from hierarchy.importer import province_or_invalid
from hierarchy.maps import map_for
from hierarchy.services import import_province, tenant_map, unit_by_code
from tenants.params import TenantSlug

hierarchy_cli = AppGroup("hierarchy", help="The unit tree.")


@hierarchy_cli.command("import-province")
@click.argument("tenant", metavar="SLUG", type=TenantSlug())
@click.argument("code")
@click.option("--as-of", "as_of", default=None, metavar="YYYY-MM-DD",
              help="The map in force that day; it must be the map the tenant is on.")
def import_province_command(tenant, code, as_of):
    """(Re)import the province CODE into the tenant from the map it is on. Idempotent: keeps edits."""
    slug, on_map = tenant.slug, tenant_map(tenant)
    try:
        if as_of and map_for(as_of) is not on_map:
            raise Invalid(f"{slug} dùng {on_map.label}; cây của một tenant chỉ theo một bản đồ (sang bản đồ hiện "
                          f"hành: flask reform plan|apply).", {"as_of": [f"{slug} dùng {on_map.label}."]})
        province = province_or_invalid(code, on_map.in_force_on)
    except (AppError, ValueError) as error:
        fail(getattr(error, "message", "ngày không hợp lệ."), getattr(error, "fields", {"as_of": ["YYYY-MM-DD"]}))
    with tenant_scope(tenant.id):
        inserted = import_province(tenant, province.code)
        db.session.commit()
    click.echo(f"Đã nhập tỉnh {province.code} vào {slug} ({on_map.label}): thêm {inserted} đơn vị.")


def _reorganise(tenant, operation):
    """Run one re-organisation in the tenant's scope: commit and print its outcome, or exit 1 with the reason."""
    with tenant_scope(tenant.id):
        try:
            message = operation()
        except AppError as error:
            db.session.rollback()
            fail(error.message or "không thực hiện được.", error.fields)
        db.session.commit()
    click.echo(message)


def _unit_or_fail(code, field):
    unit = unit_by_code(code)
    if unit is None:
        fail(f"không có đơn vị mã {code}.", {field: ["Không có đơn vị này."]})
    return unit


@hierarchy_cli.command("move")
@click.argument("tenant", metavar="SLUG", type=TenantSlug())
@click.argument("code")
@click.argument("new_parent_code")
def move_command(tenant, code, new_parent_code):
    """Move the unit CODE (with its subtree) under NEW_PARENT_CODE."""
    def operation():
        unit, parent = _unit_or_fail(code, "unit"), _unit_or_fail(new_parent_code, "parent")
        if reorg.move_unit(unit, parent):
            return f"Đã chuyển {unit.name} ({unit.code}) về {parent.name} ({parent.code})."
        return f"{unit.name} đã trực thuộc {parent.name}: không có gì thay đổi."

    _reorganise(tenant, operation)


@hierarchy_cli.command("merge")
@click.argument("tenant", metavar="SLUG", type=TenantSlug())
@click.argument("source_code")
@click.argument("target_code")
def merge_command(tenant, source_code, target_code):
    """Merge SOURCE_CODE into TARGET_CODE (same kind): its posts, tips, staff and history follow."""
    def operation():
        source, target = _unit_or_fail(source_code, "source"), _unit_or_fail(target_code, "target")
        if reorg.merge_units(source, target):
            return f"Đã sáp nhập {source.name} ({source.code}) vào {target.name} ({target.code})."
        return f"{source.name} đã được sáp nhập vào {target.name} trước đó: không có gì thay đổi."

    _reorganise(tenant, operation)


@hierarchy_cli.command("abolish-tier")
@click.argument("tenant", metavar="SLUG", type=TenantSlug())
@click.argument("tier")
def abolish_tier_command(tenant, tier):
    """Abolish a tier (only `district`): its communes go under the HQ, its units become inactive."""
    def operation():
        summary = reorg.abolish_tier(tier)
        if summary is None:
            return "Cấp huyện đã được bỏ trước đó: không có gì thay đổi."
        return (f"Đã bỏ cấp huyện: {summary['units']} đơn vị giải thể, {summary['children']} đơn vị chuyển về "
                f"Công an tỉnh, {summary['tips_forwarded']} tin báo được chuyển tiếp.")

    _reorganise(tenant, operation)


@hierarchy_cli.command("create-unit")
@click.argument("tenant", metavar="SLUG", type=TenantSlug())
@click.argument("code")
@click.option("--name", required=True, help="The unit's name, e.g. \"Công an phường Trà Vinh\".")
@click.option("--kind", required=True, type=click.Choice(sorted(lifecycle.PARENT_KINDS)))
@click.option("--parent", "parent_code", required=True, help="Code of the unit it sits under.")
def create_unit_command(tenant, code, name, kind, parent_code):
    """A unit born: a new commune, department or area under PARENT_CODE (audited)."""
    def operation():
        unit = lifecycle.create_unit(code, name, kind, unit_by_code(parent_code))
        return f"Đã tạo {unit.name} ({unit.code}) trực thuộc {unit.parent.name}."

    _reorganise(tenant, operation)


@hierarchy_cli.command("rename-unit")
@click.argument("tenant", metavar="SLUG", type=TenantSlug())
@click.argument("code")
@click.argument("name")
def rename_unit_command(tenant, code, name):
    """A new name for the unit CODE (audited); its code and public address stay."""
    def operation():
        unit = _unit_or_fail(code, "unit")
        before = unit.name
        if lifecycle.rename_unit(unit, name):
            return f"Đã đổi tên {before} ({unit.code}) thành {unit.name}."
        return f"{unit.name} đã mang tên này: không có gì thay đổi."

    _reorganise(tenant, operation)
