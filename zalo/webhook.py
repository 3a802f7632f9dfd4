"""`POST /webhooks/zalo`: verify, store, enqueue, answer 200 — well inside Zalo's 2 s, with no outbound call.

Order of checks: size (413), JSON (400), app id (404), signature over the raw bytes (401, nothing stored).
A known app whose OA is not linked yet, or an event we do not handle, is still stored and answered 200:
Zalo may disable a webhook that refuses deliveries. The unique de-duplication key makes a retried delivery
an `INSERT .. ON CONFLICT DO NOTHING` that inserts nothing, so a duplicate answers 200 and changes nothing.

Each process keeps the apps' OA secret keys it has read (decrypted) for `KEY_TTL` seconds, so a delivery costs
no lookup: a signature that fails under a kept key is checked again under the stored one (a key just changed
by `flask zalo config` or the settings page works at once), a write to an app in this process forgets its key,
and other processes stop accepting a replaced key within `KEY_TTL`.
"""
import json
import logging
import time
from typing import NamedTuple

from flask import Blueprint, current_app, has_app_context, request
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite

from core.crypto import encrypt
from core.errors import AppError, NotFound, TooLarge
from core.extensions import db
from core.jobs import enqueue
from core.security import csrf_exempt
from core.tenancy import set_request_tenant
from core.timeutil import utcnow
from zalo import events
from zalo.models import WebhookDelivery, ZaloApp
from zalo.services import app_by_app_id
from zalo.signature import SIGNATURE_HEADER, verify_signature

MAX_BODY_BYTES = 1024 * 1024
KEY_TTL = 60.0

log = logging.getLogger(__name__)
bp = csrf_exempt(Blueprint("zalo_webhook", __name__, url_prefix="/webhooks"))


class Unauthorized(AppError):
    status = 401


def read_body():
    """The raw body, refusing more than 1 MB whether or not a Content-Length was sent."""
    if (request.content_length or 0) > MAX_BODY_BYTES:
        raise TooLarge("Nội dung vượt quá 1 MB.")
    raw = request.stream.read(MAX_BODY_BYTES + 1)
    if len(raw) > MAX_BODY_BYTES:
        raise TooLarge("Nội dung vượt quá 1 MB.")
    return raw


@bp.post("/zalo")
def receive():
    raw = read_body()
    try:
        payload = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        payload = None
    if not isinstance(payload, dict):
        raise AppError("Nội dung không phải JSON hợp lệ.", status=400)
    app = verified_app(events.as_id(payload.get("app_id")), raw, request.headers.get(SIGNATURE_HEADER))
    set_request_tenant(app.tenant_id)
    event_name = str(payload.get("event_name") or "unknown")[:64]
    delivery_id = store_delivery(app.tenant_id, app.app_id, event_name, payload, raw)
    if delivery_id is not None:
        from zalo.processing import process_delivery

        enqueue(process_delivery, app.tenant_id, delivery_id)
    return {"status": "ok", "duplicate": delivery_id is None}


class WebhookKey(NamedTuple):
    tenant_id: int
    app_id: str
    oa_secret_key: str
    read_at: float


def verified_app(app_id, raw, signature):
    """The key of the app that signed this body: 404 for an unknown app, 401 for a bad or missing signature."""
    key = webhook_key(app_id) if app_id else None
    if key is not None and not _signed_by(key, raw, signature):
        key = webhook_key(app_id, fresh=True)
        if key is not None and not _signed_by(key, raw, signature):
            log.warning("zalo webhook: bad or missing signature for app %s", key.app_id)
            raise Unauthorized("Chữ ký không hợp lệ.")
    if key is None:
        raise NotFound("Không có ứng dụng Zalo này.")
    return key


def _signed_by(key, raw, signature):
    return verify_signature(raw, signature, app_id=key.app_id, oa_secret_key=key.oa_secret_key)


def webhook_key(app_id, fresh=False):
    """The app's key as this process keeps it (read again when `fresh` or older than KEY_TTL), or None."""
    keys = _keys()
    key = keys.get(app_id)
    if key is None or fresh or time.monotonic() - key.read_at >= KEY_TTL:
        app = app_by_app_id(app_id)
        if app is None:
            keys.pop(app_id, None)
            return None
        key = keys[app_id] = WebhookKey(app.tenant_id, app.app_id, app.oa_secret_key, time.monotonic())
    return key


def _keys():
    return current_app.extensions.setdefault("zalo_webhook_keys", {})


@event.listens_for(ZaloApp, "after_insert")
@event.listens_for(ZaloApp, "after_update")
@event.listens_for(ZaloApp, "after_delete")
def _forget_key(_mapper, _connection, _app):
    """A configured, re-keyed, renamed or removed app: this process reads its key again."""
    if has_app_context():
        _keys().clear()


def store_delivery(tenant_id, app_id, event_name, payload, raw):
    """Insert the delivery and commit; the new row's id, or None when its key was already stored."""
    db.session.commit()  # end the lookups' read transaction, so the insert starts a fresh one (SQLite)
    insert = postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(WebhookDelivery.__table__).values(
        tenant_id=tenant_id, app_id=app_id, event_name=event_name,
        dedup_key=events.dedup_key(app_id, event_name, payload, raw), received_at=utcnow(),
        body_enc=encrypt(raw), attempts=0,
    ).on_conflict_do_nothing(index_elements=["dedup_key"]).returning(WebhookDelivery.__table__.c.id)
    delivery_id = db.session.execute(statement).scalar_one_or_none()
    db.session.commit()
    return delivery_id
