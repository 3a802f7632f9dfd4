"""Messages to citizens on Zalo: queued as outbox rows in the transaction that wrote them, sent by a job.

The message itself is never touched except for its delivery state, so nothing a staff member wrote is lost
whatever Zalo answers: outside the 7-day window it is kept as `undeliverable` (and sent again when the citizen
writes), on rate limits and outages it is retried with backoff, on a dead token it waits for a reconnection.
A row is claimed with an UPDATE before the network call, so a job and a sweep never send it twice; each
accepted part is committed at once, so a retry never repeats it.
"""
import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.crypto import decrypt_text, encrypt
from core.extensions import db
from core.jobs import enqueue, job
from core.tenancy import load, tenant_scope
from core.timeutil import utcnow
from core.transaction import after_commit
from inbox.history import record_history
from inbox.models import Tip, TipMessage
from inbox.services import add_system_message, set_delivery_state
from zalo import tokens
from zalo.client import split_text
from zalo.errors import InvalidAccessToken, RateLimited, RecipientUnreachable, SetupRequired, ZaloError, ZaloUnavailable
from zalo.models import MessageRef, Outbox
from zalo.services import client, connection_for_oa
from zalo.transactions import CLAIM, begin_writing, claim_due, due

log = logging.getLogger(__name__)

UNDELIVERABLE_NOTE = "Không thể gửi qua Zalo cho đến khi người dân nhắn lại"
RETRY_DELAYS = (30, 120, 600, 1800, 3600, 3 * 3600, 6 * 3600)
MAX_ATTEMPTS = 12
WAIT_FOR_RECONNECT = timedelta(hours=6)
# Delivery states in the order they may only move forward; a receipt proves delivery of any of them.
RANK = {"pending": 0, "failed": 0, "undeliverable": 0, "sent": 1, "delivered": 2, "seen": 3}


def error_code(error):
    if getattr(error, "code", None) is not None:
        return str(error.code)
    if getattr(error, "http_status", None):
        return f"http_{error.http_status}"
    return type(error).__name__.lower()[:40]


def queue_message(tip, message, text=None):
    """An outbox row for an outgoing message of a Zalo tip; sent after the caller commits."""
    row = Outbox(message_id=message.id, tip_id=tip.id, text_enc=encrypt(text) if text else None, sent_ids=[])
    db.session.add(row)
    db.session.flush()
    after_commit(enqueue, send_outbox, tip.tenant_id, row.id)
    return row


def on_staff_reply(tip, message=None, **_kwargs):
    """`inbox.signals.staff_reply_added`: a reply written in our app goes out through the tip's OA. An echo of
    one typed in Zalo's OA manager arrives with its Zalo id already set and is not sent again."""
    if tip.channel != "zalo" or message is None or message.internal or message.external_id:
        return
    queue_message(tip, message)


def auto_reply_text(tip, secret, unit):
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return (f"{unit.name} đã tiếp nhận tin báo của anh/chị.\n"
            f"Mã tin báo: {tip.tracking_code}\nMã bí mật: {secret}\n"
            f"Tra cứu tiến độ và gửi thêm thông tin tại: {base}/tra-cuu\n"
            "Vui lòng giữ kín mã bí mật, không chia sẻ cho người khác.")


def queue_auto_reply(tip, secret, unit):
    """The automatic reply to a new Zalo tip. The thread keeps it without the secret (stored only as a hash);
    the outbox carries the full text, encrypted, until it is sent."""
    text = auto_reply_text(tip, secret, unit)
    shown = text.replace(f"Mã bí mật: {secret}", "Mã bí mật: (chỉ gửi qua Zalo, không lưu trên hệ thống)")
    # a millisecond after the tip, so it follows the citizen's first message in the thread
    message = add_system_message(tip, shown, delivery_state="pending",
                                 at=tip.created_at + timedelta(milliseconds=1))
    return queue_message(tip, message, text)


def requeue_undeliverable(tip):
    """The citizen wrote again: what could not be delivered before goes out now."""
    rows = db.session.execute(select(Outbox).where(Outbox.tip_id == tip.id, Outbox.state == "undeliverable",
                                                   Outbox.last_error != "no_recipient")).scalars().all()
    for row in rows:
        row.state, row.next_attempt_at = "pending", None
        set_delivery_state(row.message, "pending")
        after_commit(enqueue, send_outbox, tip.tenant_id, row.id)
    return len(rows)


def release_waiting(oa_id):
    """The OA was (re)connected: replies waiting for tokens go out now."""
    rows = db.session.execute(select(Outbox).join(Tip, Tip.id == Outbox.tip_id).where(
        Tip.zalo_oa_id == oa_id, Outbox.state == "pending",
        Outbox.last_error.in_(("not_connected", "needs_reauth")))).scalars().all()
    for row in rows:
        row.next_attempt_at = None
        after_commit(enqueue, send_outbox, row.tenant_id, row.id)
    return len(rows)


def open_tip_of(reporter, oa_id):
    return db.session.execute(select(Tip).where(
        Tip.reporter_id == reporter.id, Tip.channel == "zalo", Tip.zalo_oa_id == oa_id, Tip.status != "closed")
        .order_by(Tip.id.desc())).scalars().first()


def is_ours(msg_id):
    return db.session.execute(select(MessageRef.id).where(
        MessageRef.msg_id == msg_id, MessageRef.tip_message_id.is_not(None))).first() is not None


def apply_receipt(msg_id, state):
    """Zalo says one of our messages was delivered or seen. A receipt that comes before we recorded the id
    is kept on a placeholder and applied when the send records it."""
    ref = db.session.execute(select(MessageRef).where(MessageRef.msg_id == msg_id)).scalar_one_or_none()
    if ref is None:
        ref = _insert_ref(msg_id, None, state)
    if ref.tip_message_id is None:
        if RANK.get(state, 0) > RANK.get(ref.state or "pending", 0):
            ref.state = state
        return
    advance(load(TipMessage, ref.tip_message_id), state)


def advance(message, state, external_id=None):
    if message is not None and RANK.get(state, 0) > RANK.get(message.delivery_state or "pending", 0):
        set_delivery_state(message, state, external_id=external_id)


def _insert_ref(msg_id, tip_message_id, state):
    try:
        with db.session.begin_nested():
            ref = MessageRef(msg_id=msg_id, tip_message_id=tip_message_id, state=state)
            db.session.add(ref)
    except IntegrityError:  # recorded meanwhile by the send or by another receipt
        ref = db.session.execute(select(MessageRef).where(MessageRef.msg_id == msg_id)).scalar_one()
    return ref


def _record_sent(message, msg_id):
    ref = _insert_ref(msg_id, message.id, None)
    if ref.tip_message_id is None:
        ref.tip_message_id = message.id
    if ref.state:
        advance(message, ref.state)


def deliver(outbox_id):
    """Send one outbox row if it is due; commits. Returns the row's state afterwards (None if not due)."""
    now = utcnow()
    pending = (Outbox.state == "pending") & due(Outbox.next_attempt_at, now)
    stalled = (Outbox.state == "sending") & (Outbox.claimed_until < now)
    if not claim_due(Outbox, outbox_id, pending | stalled, state="sending", claimed_until=now + CLAIM):
        return None
    action, code = _attempt(outbox_id)
    begin_writing(Outbox.attempts, outbox_id)
    row = db.session.execute(select(Outbox).where(Outbox.id == outbox_id)).scalar_one()
    if action in ("sent", "undeliverable", "failed"):
        _finish(row, action, code)
    elif action == "reauth":
        connection = connection_for_oa(load(Tip, row.tip_id).zalo_oa_id)
        connection.needs_reauth, connection.last_error = True, "invalid_token"
        _postpone(row, code, utcnow() + WAIT_FOR_RECONNECT)
    else:
        _postpone(row, code, utcnow() + WAIT_FOR_RECONNECT if action == "wait" else None)
    db.session.commit()
    return row.state


def _attempt(outbox_id):
    """Talk to Zalo for one claimed row; returns what to record: (action, error code)."""
    row = db.session.execute(select(Outbox).where(Outbox.id == outbox_id)
                             .execution_options(populate_existing=True)).scalar_one()
    tip = load(Tip, row.tip_id)
    connection = connection_for_oa(tip.zalo_oa_id)
    user_id = decrypt_text(tip.reporter.zalo_user_enc) if tip.reporter is not None else None
    if not user_id:
        return "undeliverable", "no_recipient"
    try:
        _send_with_refresh(row, connection, user_id)
    except tokens.NotConnected as error:
        return "wait", error.code
    except InvalidAccessToken:
        return "reauth", "needs_reauth"
    except RecipientUnreachable as error:
        return "undeliverable", error_code(error)
    except (RateLimited, ZaloUnavailable, SetupRequired) as error:
        log.info("zalo outbox %s postponed: %s", outbox_id, error_code(error))
        return "retry", error_code(error)
    except ZaloError as error:
        return "failed", error_code(error)
    return "sent", None


def _send_with_refresh(row, connection, user_id):
    token = tokens.usable_token(connection)
    try:
        _send_parts(row.id, token, user_id)
    except InvalidAccessToken:
        _send_parts(row.id, tokens.refresh(connection.id, token), user_id)


def _send_parts(outbox_id, token, user_id):
    """Send the parts not yet accepted; each accepted part is recorded at once, under the row's lock."""
    row = db.session.execute(select(Outbox).where(Outbox.id == outbox_id)).scalar_one()
    text = decrypt_text(row.text_enc) if row.text_enc is not None else row.message.body
    parts, done, message_id = split_text(text), len(row.sent_ids or []), row.message_id
    zalo = client()
    for part in parts[done:]:
        db.session.commit()  # hold no transaction during the call
        ids = zalo.send_text(token, user_id, part)
        begin_writing(Outbox.attempts, outbox_id)
        row = db.session.execute(select(Outbox).where(Outbox.id == outbox_id)).scalar_one()
        row.sent_ids = [*(row.sent_ids or []), *ids]
        message = load(TipMessage, message_id)
        for msg_id in ids:
            if msg_id:
                _record_sent(message, msg_id)
        db.session.commit()


def _finish(row, state, code):
    message = row.message
    row.state, row.last_error, row.claimed_until = state, code, None
    if state == "sent":
        row.sent_at, row.text_enc = utcnow(), None
        first = next((msg_id for msg_id in row.sent_ids or [] if msg_id), None)
        state = max((message.delivery_state or "pending", "sent"), key=lambda name: RANK.get(name, 0))
        set_delivery_state(message, state, external_id=first if message.external_id is None else None)
    else:
        set_delivery_state(message, state)
        record_history(message.tip, f"zalo_{state}", None, None, message_id=message.id, code=code)
        if state == "failed":
            row.text_enc = None


def _postpone(row, code, retry_at):
    """Back to pending; after too many attempts the message is marked failed (still kept in the thread)."""
    if row.attempts >= MAX_ATTEMPTS:
        _finish(row, "failed", code)
        return
    delay = RETRY_DELAYS[min(row.attempts, len(RETRY_DELAYS)) - 1]
    row.state, row.last_error, row.claimed_until = "pending", code, None
    row.next_attempt_at = retry_at or utcnow() + timedelta(seconds=delay)


def delivery_note(message):
    """What the thread says about an outgoing Zalo message that could not be delivered."""
    if message.delivery_state == "undeliverable":
        return UNDELIVERABLE_NOTE
    if message.delivery_state == "failed":
        return "Gửi qua Zalo không thành công"
    return None


@job
def send_outbox(tenant_id, outbox_id):
    with tenant_scope(tenant_id):
        return deliver(outbox_id)
