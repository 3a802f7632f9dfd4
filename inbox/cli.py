"""`flask inbox sweep`, `flask inbox install-defaults SLUG`, `flask vault rotate`."""
import click
from flask.cli import AppGroup

from core.extensions import db
from core.tenancy import platform_scope, tenant_scope

inbox_cli = AppGroup("inbox", help="Tin báo: hạn xử lý, chuyển cấp, chính sách.")
vault_cli = AppGroup("vault", help="Kho danh tính người báo tin và các cột được mã hoá.")


@inbox_cli.command("sweep")
def sweep_command():
    """Escalate or flag every tip whose deadline passed; idempotent."""
    from inbox.sla import sweep

    click.echo(f"Đã xử lý {sweep()} tin báo quá hạn.")


def _tenant_or_fail(slug):
    from tenants.cli import fail
    from tenants.services import tenant_by_slug

    with platform_scope():
        tenant = tenant_by_slug(slug)
    if tenant is None:
        fail(f"không có tenant '{slug}'.")
    return tenant


@inbox_cli.command("install-defaults")
@click.argument("slug")
def install_defaults_command(slug):
    """Copy the default SLA, routing and canned replies into the tenant's tables, to edit them."""
    from inbox.policy import install_defaults

    tenant = _tenant_or_fail(slug)
    with tenant_scope(tenant.id):
        install_defaults()
        db.session.commit()
    click.echo(f"Đã cài chính sách mặc định cho {slug}.")


@vault_cli.command("rotate")
def rotate_command():
    """`vault rotate` re-encrypts every encrypted column under the first key of IDENTITY_KEY.

    That is reporter identities (with their blind indexes), users' TOTP secrets and the Zalo channel's
    secrets, tokens and pending data; and the tips' evidence files as well. Put the new key first, run
    this, then drop the old key."""
    from sqlalchemy import select

    from core.extensions import db
    from inbox.evidence import rotate_evidence
    from inbox.vault import rotate_vault
    from tenants.models import Tenant
    from zalo.services import rotate_secrets

    with platform_scope():
        tenant_ids = db.session.execute(select(Tenant.id)).scalars().all()
    identities = files = 0
    for tenant_id in tenant_ids:
        with tenant_scope(tenant_id):
            identities += rotate_vault()
            files += rotate_evidence()
            db.session.commit()
    with platform_scope():
        totp = _rotate_totp_secrets()
        zalo = rotate_secrets()
        db.session.commit()
    click.echo(f"Đã mã hoá lại {identities} danh tính, {totp} mã TOTP, {zalo} bản ghi Zalo và {files} tệp "
               "chứng cứ.")


def _rotate_totp_secrets():
    """Every user's TOTP secret, platform administrators' included (the caller holds the platform scope)."""
    from sqlalchemy import select

    from core.crypto import rotate
    from core.extensions import db
    from tenants.models import User

    users = db.session.execute(select(User).where(User.totp_secret.is_not(None))).scalars().all()
    for user in users:
        user.totp_secret = rotate(user.totp_secret)
    db.session.flush()
    return len(users)
