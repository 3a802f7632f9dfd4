"""`flask inbox sweep`, `flask inbox install-defaults SLUG`, `flask vault rotate`."""
import click
from flask.cli import AppGroup

from core.extensions import db
from core.tenancy import for_each_tenant, platform_scope, tenant_scope
from tenants.params import TenantSlug

inbox_cli = AppGroup("inbox", help="Tin báo: hạn xử lý, chuyển cấp, chính sách.")
vault_cli = AppGroup("vault", help="Kho danh tính người báo tin và các cột được mã hoá.")


@inbox_cli.command("sweep")
def sweep_command():
    """Escalate or flag every tip whose deadline passed; idempotent."""
    from inbox.sla import sweep

    click.echo(f"Đã xử lý {sweep()} tin báo quá hạn.")


@inbox_cli.command("install-defaults")
@click.argument("tenant", metavar="SLUG", type=TenantSlug())
def install_defaults_command(tenant):
    """Copy the default SLA, routing and canned replies into the tenant's tables, to edit them."""
    from inbox.policy import install_defaults

    with tenant_scope(tenant.id):
        install_defaults()
        db.session.commit()
    click.echo(f"Đã cài chính sách mặc định cho {tenant.slug}.")


@vault_cli.command("rotate")
def rotate_command():
    """`vault rotate` re-encrypts every encrypted column under the first key of IDENTITY_KEY.

    That is every column a model declared with `core.crypto.encrypted_columns` — reporter identities (with
    their blind indexes), users' TOTP secrets, the Zalo channel's secrets, tokens and pending data — and the
    tips' evidence files as well. Put the new key first, run this, then drop the old key."""
    from core.crypto import rotate_columns
    from inbox.evidence import rotate_evidence

    with platform_scope():
        counts = rotate_columns()
        db.session.commit()
    files = 0
    for _tenant_id in for_each_tenant():
        files += rotate_evidence()
        db.session.commit()
    done = ", ".join(f"{count} {label}" for label, count in counts.items())
    click.echo(f"Đã mã hoá lại {done} và {files} tệp chứng cứ.")
