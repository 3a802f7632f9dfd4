"""Operator commands: `flask tenants create`, `flask users create|token` (`flask demo` is in `tenants.demo`)."""
import sys

import click
from flask.cli import AppGroup

from core.cli import fail
from core.errors import AppError
from core.extensions import db
from core.tenancy import platform_scope, tenant_scope
from core.timeutil import as_utc
from tenants import services
from tenants.params import TenantSlug

tenants_cli = AppGroup("tenants", help="Tenants (one province's police each).")
users_cli = AppGroup("users", help="Staff accounts.")



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
    """Print a new API token as the last line of stdout (its expiry on the line before)."""
    user = services.user_by_email(email)
    if user is None:
        fail(f"không có tài khoản {email}.")
    scope = tenant_scope(user.tenant_id) if user.tenant_id else platform_scope()
    with scope:
        secret, token = services.create_token(user, name)
        db.session.commit()
        click.echo(f"hết hạn {as_utc(token.expires_at).isoformat(timespec='seconds')} "
                   f"(gia hạn trên trang Tài khoản)")
    click.echo(secret)


def init_cli(app):
    app.cli.add_command(tenants_cli)
    app.cli.add_command(users_cli)
    from tenants.demo import demo

    app.cli.add_command(demo)
