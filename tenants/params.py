"""`TenantSlug`: the click parameter type of every command that names a tenant by its slug."""
import click
from flask import current_app
from flask.cli import ScriptInfo

from core.cli import fail
from tenants.models import tenant_by_slug


class TenantSlug(click.ParamType):
    """Converts a slug to its `Tenant`; an unknown slug stops the command (`Lỗi: …`, exit code 1)."""

    name = "slug"

    def convert(self, value, param, ctx):
        if value is None or not isinstance(value, str):
            return value
        if not current_app and ctx is not None:
            # `flask` pushes the app context before parsing; a command invoked on its own (a test runner) gets
            # it here, as Flask's `with_appcontext` would give it to the callback.
            ctx.with_resource(ctx.ensure_object(ScriptInfo).load_app().app_context())
        tenant = tenant_by_slug(value)
        if tenant is None:
            fail(f"không có tenant '{value}'.")
        return tenant
