"""Operator commands: `flask tenants create`, `flask users create|token`, `flask demo`."""
import sys

import click
from flask import current_app
from flask.cli import AppGroup

from core.cli import fail
from core.errors import AppError
from core.extensions import db
from core.signals import demo_seed
from core.tenancy import platform_scope, tenant_scope
from hierarchy.services import import_province, root_unit
from tenants import services
from tenants.models import tenant_by_slug
from tenants.params import TenantSlug

tenants_cli = AppGroup("tenants", help="Tenants (one province's police each).")
users_cli = AppGroup("users", help="Staff accounts.")

DEMO_TENANTS = (("tra-vinh", "Công an tỉnh Trà Vinh", "84"), ("kien-giang", "Công an tỉnh Kiên Giang", "91"))
# The last day of the map before the 2025 reform: what `--as-of` names to build a tenant's old tree.
PRE_REFORM_AS_OF = "2025-06-30"
DEMO_PASSWORD = "ketnoi-demo-2026"


@tenants_cli.command("create")
@click.argument("slug")
@click.option("--name", default="", help="Display name (default: Công an <province>).")
@click.option("--province", "province_code", required=True, help="Province code, e.g. 86 for Vĩnh Long.")
@click.option("--as-of", "as_of", default=None, metavar="YYYY-MM-DD",
              help="Build the map in force that day (before 2025-07-01: the old map, with districts).")
def create_tenant(slug, name, province_code, as_of):
    """A new tenant with its real unit tree imported: today's map (34 provinces, two tiers) unless --as-of."""
    with platform_scope():
        try:
            tenant = services.create_tenant(slug, name, province_code, as_of)
        except AppError as error:
            fail(error.message, error.fields)
        db.session.commit()
    with tenant_scope(tenant.id):
        from hierarchy.services import count_units

        click.echo(f"Đã tạo tenant {tenant.slug} ({tenant.name}) với {count_units()} đơn vị.")


@users_cli.command("create")
@click.argument("email")
@click.option("--tenant", "tenant", type=TenantSlug(), default=None)
@click.option("--role", required=True)
@click.option("--unit", "unit_code", default=None, help="Unit code the role is anchored at (e.g. 84, PC02, 842).")
@click.option("--name", default="")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_user(email, tenant, role, unit_code, name, password_stdin):
    """A staff account. The password is read from stdin (never from the command line)."""
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin or not sys.stdin.isatty() else click.prompt(
        "Mật khẩu", hide_input=True, confirmation_prompt=True)
    try:
        if role == "platform_admin":
            if tenant or unit_code:
                fail("platform_admin không nhận --tenant hay --unit.")
            services.create_user(email, password, role, name=name)
            db.session.commit()
        else:
            if tenant is None:
                fail("cần --tenant.", {"tenant": ["bắt buộc với vai trò này"]})
            with tenant_scope(tenant.id):
                services.create_user(email, password, role, tenant=tenant, unit_code=unit_code, name=name)
                db.session.commit()
    except AppError as error:
        fail(error.message, error.fields)
    click.echo(f"Đã tạo tài khoản {services.normalise_email(email)} ({role}).")


@users_cli.command("token")
@click.argument("email")
@click.option("--name", default="cli")
def create_token(email, name):
    """Print a new API token as the last line of stdout."""
    user = services.user_by_email(email)
    if user is None:
        fail(f"không có tài khoản {email}.")
    scope = tenant_scope(user.tenant_id) if user.tenant_id else platform_scope()
    with scope:
        secret, _token = services.create_token(user, name)
        db.session.commit()
    click.echo(secret)


@click.command("demo")
def demo():
    """Idempotent demo data: two provinces, a user per role, then every package's own demo data."""
    for slug, name, code in DEMO_TENANTS:
        with platform_scope():
            tenant = tenant_by_slug(slug) or services.create_tenant(slug, name, code, PRE_REFORM_AS_OF)
            db.session.commit()
        with tenant_scope(tenant.id):
            import_province(tenant, code)
            _ensure_demo_users(tenant)
            db.session.commit()
            demo_seed.send(current_app._get_current_object(), tenant_id=tenant.id)
            db.session.commit()
    if services.user_by_email("platform@ketnoi.local") is None:
        services.create_user("platform@ketnoi.local", DEMO_PASSWORD, "platform_admin", name="Quản trị nền tảng")
        db.session.commit()
    _print_credentials()


def _demo_accounts(tenant):
    """(e-mail, role, unit code, name) per role; commune and district picked from the real tree."""
    from sqlalchemy import select

    from hierarchy.models import Unit

    root = root_unit()
    district = db.session.execute(select(Unit).where(Unit.kind == "district").order_by(Unit.code)).scalars().first()
    commune = db.session.execute(select(Unit).where(Unit.parent_id == district.id).order_by(Unit.code)
                                 ).scalars().first()
    prefix = tenant.slug
    return [
        (f"giamdoc@{prefix}.ketnoi.local", "director", root.code, "Lãnh đạo " + root.name),
        (f"quantri.huyen@{prefix}.ketnoi.local", "unit_admin", district.code, "Quản trị " + district.name),
        (f"quantri.xa@{prefix}.ketnoi.local", "unit_admin", commune.code, "Quản trị " + commune.name),
        (f"canbo.xa@{prefix}.ketnoi.local", "officer", commune.code, "Cán bộ " + commune.name),
        (f"canbo.huyen@{prefix}.ketnoi.local", "officer", district.code, "Cán bộ " + district.name),
        (f"thanhtra@{prefix}.ketnoi.local", "auditor", root.code, "Thanh tra " + root.name),
    ]


def _ensure_demo_users(tenant):
    for email, role, unit_code, name in _demo_accounts(tenant):
        if services.user_by_email(email) is None:
            services.create_user(email, DEMO_PASSWORD, role, tenant=tenant, unit_code=unit_code, name=name)


def _print_credentials():
    click.echo(f"Tài khoản demo (mật khẩu chung: {DEMO_PASSWORD}):")
    for slug, _name, _code in DEMO_TENANTS:
        tenant = tenant_by_slug(slug)
        with tenant_scope(tenant.id):
            for email, role, unit_code, _label in _demo_accounts(tenant):
                click.echo(f"  {role:<11} {email:<40} đơn vị {unit_code}")
    click.echo(f"  {'platform_admin':<11} platform@ketnoi.local")


def init_cli(app):
    app.cli.add_command(tenants_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(demo)
