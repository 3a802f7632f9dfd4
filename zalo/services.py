"""Configuring the channel: a tenant's Zalo app, and which unit each Official Account belongs to.

Services flush; the CLI command or request commits (and the jobs services queued follow the commit).
"""
import re

from flask import current_app
from sqlalchemy import select

from core import audit
from core.errors import Conflict, Invalid
from core.extensions import db
from core.tenancy import platform_scope
from core.timeutil import utcnow
from hierarchy.models import Unit
from zalo.client import ZaloClient
from zalo.models import OaConnection, ZaloApp

ID_RE = re.compile(r"^[0-9]{5,32}$")
OA_ID_RE = re.compile(r"^[0-9]{5,40}$")


def client():
    """A client for the configured Zalo hosts (the fake ones in tests and the demo)."""
    return ZaloClient(current_app.config["ZALO_API_BASE"], current_app.config["ZALO_OAUTH_BASE"])


def tenant_app():
    """The current tenant's Zalo app, or None."""
    return db.session.execute(select(ZaloApp)).scalar_one_or_none()


def verified_app(app_id):
    """The app (of any tenant) whose claim on this Zalo app id Zalo has confirmed, or None."""
    with platform_scope():
        return db.session.execute(select(ZaloApp).where(ZaloApp.app_id == str(app_id),
                                                        ZaloApp.verified_at.is_not(None))).scalar_one_or_none()


def apps_for_webhook(app_id):
    """The apps a delivery for this app id may belong to: the verified one; before any is, every tenant's
    claim (the delivery's signature then picks the claim whose OA secret key made it)."""
    verified = verified_app(app_id)
    if verified is not None:
        return [verified]
    with platform_scope():
        return db.session.execute(select(ZaloApp).where(ZaloApp.app_id == str(app_id)).order_by(ZaloApp.id)
                                  ).scalars().all()


def mark_verified(app):
    """Zalo accepted the app's secret (an OAuth code exchange): the app id is this tenant's from now on."""
    if app.verified_at is not None:
        return app
    owner = verified_app(app.app_id)
    if owner is not None and owner.id != app.id:
        raise Conflict("Ứng dụng Zalo này đã được xác minh cho một đơn vị khác.",
                       fields={"app_id": ["Đã được dùng trên nền tảng."]})
    app.verified_at = utcnow()
    db.session.flush()
    audit.record("zalo.app_verified", target=app, details={"app_id": app.app_id})
    return app


def configure_app(app_id, app_secret=None, oa_secret_key=None, verified=False):
    """Create or update the current tenant's app. Empty secrets keep the stored ones (the settings form
    never shows them back); a new app needs both. Audited without the secrets.

    A new app id is a claim until Zalo accepts its secret (`mark_verified`), except from an operator's command
    (`verified=True`); an app id another tenant has verified is refused."""
    app_id = (app_id or "").strip()
    app_secret, oa_secret_key = (app_secret or "").strip(), (oa_secret_key or "").strip()
    existing = tenant_app()
    fields = {}
    if not ID_RE.match(app_id):
        fields["app_id"] = ["Mã ứng dụng (App ID) là một dãy chữ số."]
    if existing is None and not app_secret:
        fields["app_secret"] = ["Bắt buộc khi cấu hình lần đầu."]
    if existing is None and not oa_secret_key:
        fields["oa_secret_key"] = ["Bắt buộc khi cấu hình lần đầu."]
    for name, value in (("app_secret", app_secret), ("oa_secret_key", oa_secret_key)):
        if value and not 8 <= len(value) <= 200:
            fields[name] = ["Độ dài không hợp lệ."]
    if fields:
        raise Invalid("Cấu hình Zalo không hợp lệ.", fields=fields)
    owner = verified_app(app_id)
    if owner is not None and (existing is None or owner.id != existing.id):
        raise Conflict("Ứng dụng Zalo này đã được một đơn vị khác sử dụng.",
                       fields={"app_id": ["Đã được dùng trên nền tảng."]})
    app = existing or ZaloApp(app_id=app_id)
    if app.app_id != app_id:
        app.verified_at = None  # another app: its own proof is needed
    changed = [name for name, value in (("app_id", app_id != app.app_id), ("app_secret", app_secret),
                                        ("oa_secret_key", oa_secret_key)) if value]
    app.app_id = app_id
    if app_secret:
        app.app_secret = app_secret
    if oa_secret_key:
        app.oa_secret_key = oa_secret_key
    app.updated_at = utcnow()
    if existing is None:
        db.session.add(app)
        changed = ["app_id", "app_secret", "oa_secret_key"]
    db.session.flush()
    audit.record("zalo.config", target=app, details={"app_id": app_id, "changed": changed})
    if verified:
        mark_verified(app)
    return app


def connection_for_unit(unit):
    return db.session.execute(select(OaConnection).where(OaConnection.unit_id == unit.id)).scalar_one_or_none()


def connection_for_oa(oa_id):
    if not oa_id:
        return None
    return db.session.execute(select(OaConnection).where(OaConnection.oa_id == str(oa_id))).scalar_one_or_none()


def unit_for_oa(oa_id):
    """The unit an Official Account is linked to in the current tenant, or None."""
    if not oa_id:
        return None
    return db.session.execute(select(Unit).where(Unit.zalo_oa_id == str(oa_id)).order_by(Unit.id)
                              ).scalars().first()


def linked_oa_ids():
    return db.session.execute(select(Unit.zalo_oa_id).where(Unit.zalo_oa_id.is_not(None))).scalars().all()


def link_unit(unit, oa_id):
    """Bind a unit to its Official Account (CLI `zalo link`, or the OAuth callback). An OA belongs to one unit;
    relinking a unit to another OA drops the old OA's tokens. Deliveries that waited for the link are
    queued again by the caller (`zalo.processing.requeue_unlinked`)."""
    oa_id = (oa_id or "").strip()
    if not OA_ID_RE.match(oa_id):
        raise Invalid("Mã OA không hợp lệ.", fields={"oa_id": ["Mã OA là một dãy chữ số."]})
    other = unit_for_oa(oa_id)
    if other is not None and other.id != unit.id:
        raise Conflict(f"OA {oa_id} đã được liên kết với {other.name}.", fields={"oa_id": ["Đã liên kết."]})
    stale = connection_for_oa(oa_id)
    if stale is not None and stale.unit_id != unit.id:
        # The other unit no longer names this OA (its link was edited away): its old tokens are void.
        stale.oa_id = stale.access_token_enc = stale.refresh_token_enc = stale.expires_at = None
        db.session.flush()
    connection = connection_for_unit(unit)
    if connection is None:
        connection = OaConnection(unit_id=unit.id, unit=unit)
        db.session.add(connection)
    previous = connection.oa_id
    if previous != oa_id:
        connection.oa_id = oa_id
        connection.access_token_enc = connection.refresh_token_enc = connection.expires_at = None
        connection.needs_reauth = False
    unit.zalo_oa_id = oa_id
    db.session.flush()
    audit.record("zalo.link", target=unit, unit_id=unit.id,
                 details={"unit": unit.code, "oa_id": oa_id, "previous_oa_id": previous})
    return connection


