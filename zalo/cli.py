"""`flask zalo config|link|simulate|rotate`: set up a tenant's Zalo app, bind units to OAs, deliver a test event."""
import json
import sys
import urllib.error
import urllib.request
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from core.cli import fail
from core.errors import AppError
from core.extensions import db
from core.tenancy import platform_scope, tenant_scope
from hierarchy.services import unit_by_code
from tenants.params import TenantSlug
from zalo import services
from zalo.models import ZaloApp
from zalo.processing import requeue_unlinked
from zalo.signature import SIGNATURE_HEADER
from zalo.simulate import build_body, signed

zalo_cli = AppGroup("zalo", help="Kênh Zalo OA.")


def _explain(error):
    details = "; ".join(f"{field}: {' '.join(map(str, why))}" for field, why in error.fields.items())
    fail(f"{error.message} {details}".strip())


@zalo_cli.command("config")
@click.argument("tenant", metavar="SLUG", type=TenantSlug())
@click.option("--app-id", required=True)
@click.option("--app-secret", required=True)
@click.option("--oa-secret-key", required=True)
def config(tenant, app_id, app_secret, oa_secret_key):
    """Store a tenant's Zalo app (secrets encrypted)."""
    with tenant_scope(tenant.id):
        try:
            # The operator of the deployment vouches for the app: verified at once.
            app = services.configure_app(app_id, app_secret, oa_secret_key, verified=True)
        except AppError as error:
            db.session.rollback()
            _explain(error)
        db.session.commit()
        click.echo(f"Đã lưu ứng dụng Zalo {app.app_id} cho {tenant.slug} (App Secret …{app.app_secret_last4}, "
                   f"OA Secret Key …{app.oa_secret_key_last4}).")
        click.echo(f"Webhook URL: {current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/webhooks/zalo")


@zalo_cli.command("link")
@click.argument("unit_code")
@click.option("--tenant", "tenant", type=TenantSlug(), required=True)
@click.option("--oa-id", required=True)
def link(unit_code, tenant, oa_id):
    """Bind a unit to its Official Account."""
    with tenant_scope(tenant.id):
        unit = unit_by_code(unit_code)
        if unit is None:
            fail(f"không có đơn vị mã '{unit_code}' trong {tenant.slug}.")
        try:
            services.link_unit(unit, oa_id)
        except AppError as error:
            db.session.rollback()
            _explain(error)
        waiting = requeue_unlinked()
        db.session.commit()
        click.echo(f"Đã liên kết {unit.name} ({unit.code}) với OA {oa_id}."
                   + (f" Xử lý lại {len(waiting)} sự kiện đang chờ." if waiting else ""))


@zalo_cli.command("simulate")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--unit", "unit_code", required=True, help="Mã đơn vị có OA nhận sự kiện.")
@click.option("--tenant", "tenant", type=TenantSlug(), default=None,
              help="Mặc định: tenant duy nhất đã cấu hình Zalo.")
@click.option("--url", default=None, help="Gửi tới máy chủ đang chạy (…/webhooks/zalo) thay vì trong tiến trình.")
@click.option("--fresh", is_flag=True, help="msg_id và thời điểm mới, để gửi lại cùng một tệp.")
@click.option("--sender", default=None, help="Mã Zalo của người dân (thay cho mã trong tệp).")
def simulate(file, unit_code, tenant, url, fresh, sender):
    """Sign an event file with the tenant's keys, dated now, and post it to the webhook."""
    tenant_id = tenant.id if tenant else _only_zalo_tenant()
    with tenant_scope(tenant_id):
        app = services.tenant_app()
        unit = unit_by_code(unit_code)
        if app is None:
            fail("tenant chưa cấu hình ứng dụng Zalo (flask zalo config).")
        if unit is None or not unit.zalo_oa_id:
            fail(f"đơn vị '{unit_code}' không có hoặc chưa liên kết OA (flask zalo link).")
        try:
            body = build_body(file.read_bytes(), app.app_id, unit.zalo_oa_id, fresh=fresh, citizen=sender,
                              dated_now=True)
        except ValueError:
            fail(f"{file} không phải một sự kiện JSON.")
        body, signature = signed(body, app)
        db.session.commit()
    headers = {SIGNATURE_HEADER: signature, "Content-Type": "application/json"}
    status, reply = _post(url, body, headers) if url else _post_in_process(body, headers)
    click.echo(f"{status} {reply}")
    if status != 200:
        sys.exit(1)


@zalo_cli.command("rotate")
def rotate():
    """Re-encrypt the channel's secrets, tokens and pending data under the newest IDENTITY_KEY."""
    from core.crypto import ENCRYPTED, rotate_columns

    with platform_scope():
        counts = rotate_columns([model for model in ENCRYPTED if model.__module__ == "zalo.models"])
        db.session.commit()
    click.echo(f"Đã mã hoá lại {sum(counts.values())} bản ghi Zalo bằng khóa mới nhất.")


def _only_zalo_tenant():
    from sqlalchemy import select

    with platform_scope():
        tenant_ids = db.session.execute(select(ZaloApp.tenant_id)).scalars().all()
    if len(tenant_ids) != 1:
        fail("cần --tenant: " + ("chưa tenant nào cấu hình Zalo." if not tenant_ids else "có nhiều tenant."))
    return tenant_ids[0]


def _post_in_process(body, headers):
    response = current_app.test_client().post("/webhooks/zalo", data=body, headers=headers)
    return response.status_code, response.get_data(as_text=True).strip()


def _post(url, body, headers):
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode(errors="replace").strip()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace").strip()
    except OSError as error:
        return 0, json.dumps({"error": str(error)})
