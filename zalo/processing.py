"""Turning a stored delivery into inbox changes, exactly once and in any order.

A delivery is claimed with an UPDATE on its row (a row lock on PostgreSQL, the write lock on SQLite), so a
job and a sweep racing on it process it once; its effects and `processed_at` commit together. Every effect is
also idempotent on its own (messages on their Zalo msg_id, receipts only ever move a state forward, a receipt
for a message we have not recorded yet is kept until we do), so replays and shuffled order end the same.
"""
import json
import logging
from datetime import timedelta

from sqlalchemy import select, update

from core import audit
from core.crypto import blind_index, blind_indexes, decrypt, encrypt
from core.extensions import db
from core.jobs import enqueue, job
from core.tenancy import current_tenant_id, tenant_scope
from core.timeutil import as_utc, utcnow
from core.transaction import after_commit
from inbox import vault
from inbox.intake import add_reporter_message, open_or_create_zalo_tip
from inbox.services import add_staff_message, message_by_external_id
from metrics.events import record as record_metric
from zalo import events, outbox
from zalo.attachments import fetch_media
from zalo.models import MediaFetch, OaConnection, WebhookDelivery, Withdrawal
from zalo.services import linked_oa_ids, unit_for_oa

log = logging.getLogger(__name__)

RETRY_DELAYS = (60, 300, 900, 3600, 3 * 3600, 6 * 3600)
MAX_ATTEMPTS = 8
# An echo of a message sent through the API that is not (yet) known as ours: our own send may still be
# recording its id, so wait this long before taking it for a reply typed by someone else.
ECHO_GRACE = timedelta(minutes=10)
# An echo to a citizen with no open tip waits this long for their message, then is dropped.
ECHO_WAIT_FOR_TIP = timedelta(hours=2)
WITHDRAWN = "zalo-withdrawn"


class Deferred(Exception):
    """Not now: `code` says why; `retry_at` None means "when the OA gets linked"."""

    def __init__(self, code, retry_at=None):
        super().__init__(code)
        self.code, self.retry_at = code, retry_at


def process(delivery_id):
    """Process one delivery of the current tenant (a job calls this); commits."""
    now = utcnow()
    delivery = db.session.execute(
        update(WebhookDelivery).where(WebhookDelivery.id == delivery_id, WebhookDelivery.processed_at.is_(None))
        .values(attempts=WebhookDelivery.attempts + 1).returning(WebhookDelivery)
        .execution_options(synchronize_session=False, populate_existing=True)).scalar_one_or_none()
    if delivery is None:
        db.session.rollback()
        return None
    try:
        with db.session.begin_nested():
            payload = json.loads(decrypt(delivery.body_enc)) if delivery.body_enc is not None else {}
            outcome = handle(delivery, payload, now)
    except Deferred as deferred:
        delivery.error, delivery.next_attempt_at = deferred.code, deferred.retry_at
    except Exception:
        log.exception("zalo delivery %s (%s) failed", delivery.id, delivery.event_name)
        delivery.error = "failed"
        delivery.next_attempt_at = now + timedelta(seconds=RETRY_DELAYS[min(delivery.attempts,
                                                                            len(RETRY_DELAYS)) - 1])
    else:
        delivery.processed_at, delivery.body_enc, delivery.outcome = now, None, outcome
        delivery.error = delivery.next_attempt_at = None
    outcome = delivery.outcome  # read before the commit expires it
    db.session.commit()
    return outcome


def handle(delivery, payload, now):
    name = delivery.event_name
    if name == "user_withdraw":
        return withdraw(payload)
    if name in events.RECEIPTS:
        return apply_receipts(payload, events.RECEIPTS[name])
    if not (events.is_message(name) or events.is_echo(name) or name in events.FOLLOWS
            or name == "user_submit_info"):
        return "ignored"
    oa_id = events.oa_id_of(name, payload)
    unit = unit_for_oa(oa_id)
    if unit is None:
        raise Deferred("oa_not_linked")
    at = events.event_time(payload, as_utc(delivery.received_at))
    if name in events.FOLLOWS:
        record_metric(events.FOLLOWS[name], unit, at=at)
        return name
    citizen = events.citizen_id_of(name, payload)
    if not citizen:
        return "ignored"
    if name == "user_submit_info":
        return submit_info(payload, oa_id, citizen)
    if events.is_echo(name):
        return echo(delivery, payload, oa_id, citizen, at, now)
    return message(name, payload, unit, oa_id, citizen, at)


def message(name, payload, unit, oa_id, citizen, at):
    msg_id = events.msg_id_of(payload)
    if msg_id and message_by_external_id(msg_id) is not None:
        return "duplicate"
    content = events.content_of(name, payload)
    new = open_or_create_zalo_tip(unit, citizen, oa_id, text=content.body, at=at)
    received = add_reporter_message(new.tip, content.body, external_id=msg_id, at=at)
    for position, (kind, url) in enumerate(content.media):
        queue_media(new.tip, received, position, kind, url)
    if new.created:
        outbox.queue_auto_reply(new.tip, new.secret, unit)
    else:
        outbox.requeue_undeliverable(new.tip)
    if withdrew_after(citizen, events.event_ms(payload)):
        vault.erase_identity(new.tip.reporter)  # loaded only then
    return "message"


def queue_media(tip, message, position, kind, url):
    fetch = MediaFetch(tip_id=tip.id, message_id=message.id, position=position, kind=kind, url_enc=encrypt(url))
    db.session.add(fetch)
    db.session.flush()
    after_commit(enqueue, fetch_media, tip.tenant_id, fetch.id)


def echo(delivery, payload, oa_id, citizen, at, now):
    """The OA's own message coming back. Ours (by msg_id) changes nothing; one typed by a person in Zalo's
    OA manager (`sender.admin_id`) is recorded as a staff reply; an API echo we do not know yet waits a
    little in case it is ours, then is recorded too."""
    msg_id = events.msg_id_of(payload)
    if msg_id and (outbox.is_ours(msg_id) or message_by_external_id(msg_id) is not None):
        return "own_echo"
    sender = payload.get("sender") if isinstance(payload.get("sender"), dict) else {}
    if not sender.get("admin_id") and now - as_utc(delivery.received_at) < ECHO_GRACE:
        raise Deferred("echo_unmatched", as_utc(delivery.received_at) + ECHO_GRACE)
    reporter = vault.reporter_by_zalo(oa_id, citizen)
    tip = outbox.open_tip_of(reporter, oa_id) if reporter is not None else None
    if tip is None:
        # the citizen's own message may still be on its way (deliveries come out of order)
        if now - as_utc(delivery.received_at) < ECHO_WAIT_FOR_TIP:
            raise Deferred("echo_no_tip", max(as_utc(delivery.received_at) + ECHO_GRACE, now + timedelta(minutes=1)))
        return "ignored"
    content = events.content_of(delivery.event_name, payload)
    add_staff_message(tip, None, content.body, external_id=msg_id, delivery_state="sent", at=at)
    return "echo"


def apply_receipts(payload, state):
    for msg_id in events.receipt_ids(payload):
        outbox.apply_receipt(msg_id, state)
    return "receipt"


def submit_info(payload, oa_id, citizen):
    name, phone = events.submitted_info(payload)
    reporter = vault.reporter_by_zalo(oa_id, citizen)
    if reporter is None:
        reporter = vault.create_reporter(name=name, phone=phone, zalo_user_id=citizen, oa_id=oa_id)
    else:
        vault.store_identity(reporter, name=name, phone=phone)
    if withdrew_after(citizen, events.event_ms(payload)):
        vault.erase_identity(reporter)
    return "identity"


def withdraw(payload):
    """Erase the citizen's identity on every OA of the tenant (their tips stay, pseudonymous); audited."""
    citizen = events.citizen_id_of("user_withdraw", payload)
    if not citizen:
        return "ignored"
    ms = events.event_ms(payload) or int(utcnow().timestamp() * 1000)
    tombstone = db.session.execute(select(Withdrawal).where(
        Withdrawal.user_index.in_(blind_indexes(citizen, WITHDRAWN)))).scalars().first()
    if tombstone is None:
        db.session.add(Withdrawal(user_index=blind_index(citizen, WITHDRAWN), withdrawn_ms=ms))
    else:
        tombstone.withdrawn_ms = max(tombstone.withdrawn_ms, ms)
    erased = 0
    oa_ids = set(linked_oa_ids()) | set(db.session.execute(
        select(OaConnection.oa_id).where(OaConnection.oa_id.is_not(None))).scalars())
    for oa_id in oa_ids:
        reporter = vault.reporter_by_zalo(oa_id, citizen)
        if reporter is not None:
            vault.erase_identity(reporter)
            erased += 1
    audit.record("zalo.user_withdraw", actor=(None, "zalo"), details={"identities_erased": erased})
    return "withdraw"


def withdrew_after(citizen, ms):
    """Whether the citizen withdrew at or after `ms`: a delivery dated before their withdrawal that arrives after
    it must not bring back who they are (the caller erases the identity it just stored)."""
    if ms is None:
        return False
    tombstone = db.session.execute(select(Withdrawal).where(
        Withdrawal.user_index.in_(blind_indexes(citizen, WITHDRAWN)))).scalars().first()
    return tombstone is not None and ms <= tombstone.withdrawn_ms


def requeue_unlinked():
    """Deliveries that waited for an OA to be linked: process them now. Returns their ids."""
    ids = db.session.execute(select(WebhookDelivery.id).where(
        WebhookDelivery.processed_at.is_(None), WebhookDelivery.error == "oa_not_linked")).scalars().all()
    for delivery_id in ids:
        after_commit(enqueue, process_delivery, current_tenant_id(), delivery_id)
    return ids


@job
def process_delivery(tenant_id, delivery_id):
    with tenant_scope(tenant_id):
        return process(delivery_id)
