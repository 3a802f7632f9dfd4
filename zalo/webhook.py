"""`POST /webhooks/zalo`: verify, store, enqueue, answer 200 — well inside Zalo's 2 s, with no outbound call.

Order of checks: size (413), JSON nesting and syntax (400), then one answer, 401, for anything not proven to
come from Zalo for a configured app: an unknown app id, a bad or missing signature over the raw bytes, or a
signed timestamp outside `ZALO_WEBHOOK_MAX_AGE_SECONDS` of now (a recorded delivery replayed later). Nothing
is stored then, and the answer does not tell which app ids exist. Refused deliveries are rate limited per
client (`RATELIMIT_ZALO_WEBHOOK_REFUSED`), every delivery too (`RATELIMIT_ZALO_WEBHOOK`).
A known app whose OA is not linked yet, or an event we do not handle, is still stored and answered 200:
Zalo may disable a webhook that refuses deliveries. The unique de-duplication key makes a retried delivery
an `INSERT .. ON CONFLICT DO NOTHING` that inserts nothing, so a duplicate answers 200 and changes nothing.

Each process keeps the apps' OA secret keys it has read (decrypted) for `KEY_TTL` seconds, unknown app ids
included, so a delivery costs no lookup: a signature that fails under a kept key is checked again under the
stored one (a key just changed by `flask zalo config` or the settings page works at once) at most once per
`KEY_RETRY` seconds, so forged deliveries cannot make every request read the keys; a write to an app in this
process forgets its key, and other processes stop accepting a replaced key within `KEY_TTL`.
"""
import json
import logging
import time
from typing import NamedTuple

from flask import Blueprint, current_app, has_app_context, request
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite

from core.crypto import encrypt
from core.errors import AppError, TooLarge
from core.extensions import db, limiter
from core.jobs import enqueue
from core.security import csrf_exempt, json_too_deep
from core.tenancy import set_request_tenant
from core.timeutil import utcnow
from zalo import events
from zalo.models import WebhookDelivery, ZaloApp
from zalo.services import apps_for_webhook
from zalo.signature import SIGNATURE_HEADER, verify_signature

MAX_BODY_BYTES = 1024 * 1024
KEY_TTL = 60.0
KEY_RETRY = 5.0
KEPT_APP_IDS = 4096  # forged deliveries name random app ids: the negative cache must not grow without end

log = logging.getLogger(__name__)
bp = csrf_exempt(Blueprint("zalo_webhook", __name__, url_prefix="/webhooks"))


class Unauthorized(AppError):
    status = 401


NOT_FROM_ZALO = "Không xác thực được sự kiện."


def read_body():
    """The raw body, refusing more than 1 MB whether or not a Content-Length was sent."""
    if (request.content_length or 0) > MAX_BODY_BYTES:
        raise TooLarge("Nội dung vượt quá 1 MB.")
    raw = request.stream.read(MAX_BODY_BYTES + 1)
    if len(raw) > MAX_BODY_BYTES:
        raise TooLarge("Nội dung vượt quá 1 MB.")
    return raw


def _limit():
    return current_app.config["RATELIMIT_ZALO_WEBHOOK"]


def _refused_limit():
    return current_app.config["RATELIMIT_ZALO_WEBHOOK_REFUSED"]


@bp.post("/zalo")
@limiter.limit(_limit)
@limiter.limit(_refused_limit, deduct_when=lambda response: response.status_code in (400, 401))
def receive():
    raw = read_body()
    payload = None
    if not json_too_deep(raw):
        try:
            payload = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            payload = None
    if not isinstance(payload, dict):
        raise AppError("Nội dung không phải JSON hợp lệ.", status=400)
    app = verified_app(events.as_id(payload.get("app_id")), raw, request.headers.get(SIGNATURE_HEADER))
    check_fresh(payload)
    set_request_tenant(app.tenant_id)
    event_name = str(payload.get("event_name") or "unknown")[:64]
    delivery_id = store_delivery(app.tenant_id, app.app_id, event_name, payload, raw)
    if delivery_id is not None:
        from zalo.processing import process_delivery

        enqueue(process_delivery, app.tenant_id, delivery_id)
    return {"status": "ok", "duplicate": delivery_id is None}


def check_fresh(payload):
    """The signed `timestamp` (ms) lies within the window around now, else the same 401 as a forgery."""
    window = current_app.config["ZALO_WEBHOOK_MAX_AGE_SECONDS"]
    if not window:
        return
    sent_ms = events.event_ms(payload)
    if sent_ms is None or abs(time.time() * 1000 - sent_ms) > window * 1000:
        log.warning("zalo webhook: delivery dated outside the %s s window refused", window)
        raise Unauthorized(NOT_FROM_ZALO)


class WebhookKey(NamedTuple):
    tenant_id: int
    app_id: str
    oa_secret_key: str


class KeptKeys(NamedTuple):
    keys: tuple[WebhookKey, ...]
    read_at: float


def verified_app(app_id, raw, signature):
    """The key of the app that signed this body, or 401 (unknown app, bad or missing signature alike)."""
    if app_id:
        for fresh in (False, True):
            for key in webhook_keys(app_id, fresh=fresh):
                if verify_signature(raw, signature, app_id=key.app_id, oa_secret_key=key.oa_secret_key):
                    return key
    log.warning("zalo webhook: delivery not signed by a configured app refused")
    raise Unauthorized(NOT_FROM_ZALO)


def webhook_keys(app_id, fresh=False):
    """The keys a delivery for `app_id` may be signed with, as this process keeps them: read again when older
    than KEY_TTL, or when `fresh` and older than KEY_RETRY."""
    keys = _keys()
    kept = keys.get(app_id)
    age = time.monotonic() - kept.read_at if kept is not None else None
    if age is None or age >= KEY_TTL or (fresh and age >= KEY_RETRY):
        if len(keys) >= KEPT_APP_IDS:
            keys.clear()
        kept = keys[app_id] = KeptKeys(tuple(WebhookKey(app.tenant_id, app.app_id, app.oa_secret_key)
                                             for app in apps_for_webhook(app_id)), time.monotonic())
    return kept.keys


def _keys():
    return current_app.extensions.setdefault("zalo_webhook_keys", {})


@event.listens_for(ZaloApp, "after_insert")
@event.listens_for(ZaloApp, "after_update")
@event.listens_for(ZaloApp, "after_delete")
def _forget_key(_mapper, _connection, _app):
    """A configured, re-keyed, renamed, verified or removed app: this process reads its key again."""
    if has_app_context():
        forget_keys()


def forget_keys():
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
