"""Tips coming in: the public form and API, the Zalo channel, and what reporters add later.

Everything a citizen sends is checked before anything is stored (a bad file leaves no half-saved tip), the tip
is routed by category and keywords and given deadlines, `tips_received` is counted at the unit the citizen chose, and
the unit's staff are notified. Functions flush; the caller commits (jobs queued with `after_commit` follow the commit).
"""
from dataclasses import dataclass

from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select

from core.crypto import hash_secret, secret_matches
from core.errors import Conflict, Invalid
from core.extensions import db
from core.tenancy import platform_scope
from core.timeutil import utcnow
from inbox import codes, vault
from inbox.constants import (
    CATEGORIES,
    MAX_DESCRIPTION,
    MAX_FILES,
    MAX_MESSAGE,
    MAX_NAME,
    MAX_PHONE,
    MAX_PLACE,
    SEVERITIES,
)
from inbox.deadlines import schedule_checks, set_deadlines
from inbox.evidence import check_file, check_files, store_evidence
from inbox.history import record_history
from inbox.models import Tip, TipMessage
from inbox.notify import notify, notify_unit, notify_urgent
from inbox.policy import route_department
from metrics.events import record as record_metric
from tenants.models import tenant_slug

# Compared against when a code is unknown, so a wrong code and a wrong secret take the same time.
_DUMMY_HASH = hash_secret("no-such-tip")


@dataclass(frozen=True)
class NewTip:
    """A created (or found) tip; `secret` is set only when the tip was just created: show it once."""

    tip: Tip
    secret: str | None
    created: bool = True


def validate_submission(category, description, severity=None, place="", contact_name="", contact_phone="",
                        files=()):
    fields = {}
    if category not in CATEGORIES:
        fields["category"] = [f"Một trong: {', '.join(CATEGORIES)}."]
    if not (description or "").strip():
        fields["description"] = ["Không được để trống."]
    elif len(description) > MAX_DESCRIPTION:
        fields["description"] = [f"Tối đa {MAX_DESCRIPTION} ký tự."]
    if severity not in (None, "", *SEVERITIES):
        fields["severity"] = [f"Một trong: {', '.join(SEVERITIES)}."]
    if len(place or "") > MAX_PLACE:
        fields["place"] = [f"Tối đa {MAX_PLACE} ký tự."]
    if len(contact_name or "") > MAX_NAME:
        fields["contact_name"] = [f"Tối đa {MAX_NAME} ký tự."]
    phone = contact_phone or ""
    if phone and (len(phone) > MAX_PHONE or len(vault.normalise_phone(phone)) < 8):
        fields["contact_phone"] = ["Số điện thoại không hợp lệ."]
    if len(files) > MAX_FILES:
        fields["files"] = [f"Tối đa {MAX_FILES} tệp."]
    if fields:
        raise Invalid("Dữ liệu không hợp lệ.", fields=fields)


def submit_tip(unit, category, description, severity=None, place="", contact_name=None, contact_phone=None,
               files=(), channel="web", at=None):
    """A tip sent to `unit` from the web form or the API. `files` are bytes or readable streams."""
    validate_submission(category, description, severity, place, contact_name, contact_phone, files)
    checked = check_files(files)
    # A vault record of its own, whatever the phone: anyone can type any number, so matching it to an earlier
    # reporter would show staff the same pseudonym (a phone confirmed without a reveal) and let a stranger
    # change what that reporter's reveal says. The blind index keeps the link for the audited reveal.
    reporter = vault.new_reporter(name=contact_name, phone=contact_phone)
    new = _create_tip(unit, category, description.strip(), severity or "normal", (place or "").strip(), reporter,
                      channel, at=at)
    for original, media in checked:
        store_evidence(new.tip, original, media, at=at)
    return new


def _create_tip(unit, category, description, severity, place, reporter, channel, at=None, zalo_oa_id=None):
    """`reporter` may be unsaved (`vault.new_reporter`): it is then inserted with the tip, in one savepoint."""
    at = at or utcnow()
    secret = codes.new_secret()
    destination = route_department(category, f"{description}\n{place}") or unit
    tip = Tip(secret_hash=hash_secret(codes.normalise_secret(secret)), unit_id=destination.id, unit=destination,
              first_unit_id=unit.id, channel=channel, category=category, severity=severity, status="new",
              description=description, place=place, reporter=reporter, zalo_oa_id=zalo_oa_id, created_at=at,
              updated_at=at, last_message_at=at)
    set_deadlines(tip, at)
    _insert_tip(tip, reporter)
    record_history(tip, "created", None, at, to_unit=unit, channel=channel)
    if destination.id != unit.id:
        record_history(tip, "routed", None, at, from_unit=unit, to_unit=destination)
    record_metric("tips_received", unit, at=at, subject=tip)
    notify_unit(destination, "new_tip", tip, f"Tin báo mới {tip.tracking_code} tại {destination.name}", at)
    if severity == "urgent":
        notify_urgent(tip, at)
    schedule_checks(tip)
    return NewTip(tip, secret)


def _insert_tip(tip, reporter):
    """Insert the tip (and its reporter when new) under a tracking code drawn optimistically: a code already
    taken (unique platform-wide) makes the savepoint fail and a new code, and alias, are drawn."""
    slug = tenant_slug(tip.unit.tenant_id)
    new_reporter = sa_inspect(reporter).transient

    def draw(attempt):
        tip.tracking_code = codes.new_tracking_code(slug)
        if new_reporter:
            vault.draw_alias(reporter, attempt)

    vault.insert_drawn([reporter, tip] if new_reporter else [tip], draw)


def open_or_create_zalo_tip(unit, zalo_user_id, oa_id, text="", category="other", at=None):
    """The citizen's one open tip on this Official Account, or a new one at `unit` (channel `zalo`).

    Returns `NewTip`; `.secret` is set only for a new tip (send it in the automatic reply)."""
    reporter = vault.reporter_by_zalo(oa_id, zalo_user_id)
    if reporter is not None:
        tip = db.session.execute(select(Tip).where(
            Tip.reporter_id == reporter.id, Tip.channel == "zalo", Tip.zalo_oa_id == oa_id, Tip.status != "closed")
            .order_by(Tip.id.desc())).scalars().first()
        if tip is not None:
            return NewTip(tip, None, created=False)
    else:
        reporter = vault.new_reporter(zalo_user_id=zalo_user_id, oa_id=oa_id)
    category = category if category in CATEGORIES else "other"
    return _create_tip(unit, category, (text or "").strip()[:MAX_DESCRIPTION], "normal", "", reporter, "zalo",
                       at=at, zalo_oa_id=oa_id)


def add_reporter_message(tip, body, external_id=None, files=(), at=None):
    """A message from the reporter (follow-up page, API, Zalo). Idempotent on `external_id` (Zalo msg_id):
    a re-delivered message returns the stored one. `files` (bytes or streams) are checked before saving."""
    body = (body or "").strip()
    if len(body) > MAX_MESSAGE:
        raise Invalid(fields={"body": [f"Tối đa {MAX_MESSAGE} ký tự."]})
    if not body and not files:
        raise Invalid(fields={"body": ["Không được để trống."]})
    if len(files) > MAX_FILES:
        raise Invalid(fields={"files": [f"Tối đa {MAX_FILES} tệp."]})
    if tip.status == "closed":
        raise Conflict("Tin báo đã đóng. Vui lòng gửi tin báo mới.",
                       fields={"status": ["Tin báo đã đóng."]})
    if external_id:
        from inbox.services import message_by_external_id

        existing = message_by_external_id(external_id)
        if existing is not None:
            return existing
    checked = check_files(files)
    at = at or utcnow()
    message = TipMessage(tip_id=tip.id, direction="in", author_kind="reporter", body=body,
                         external_id=str(external_id) if external_id else None, created_at=at)
    db.session.add(message)
    db.session.flush()
    for original, media in checked:
        store_evidence(tip, original, media, message=message, at=at)
    tip.last_message_at = tip.updated_at = at
    record_history(tip, "reporter_message", None, at, message_id=message.id, files=len(checked))
    record_metric("messages_in", tip.unit, at=at, subject=tip)
    text = f"Người báo tin gửi thêm tin nhắn cho tin báo {tip.tracking_code}"
    if tip.assignee is not None:
        notify([tip.assignee], "reporter_message", tip, text, at)
    else:
        notify_unit(tip.unit, "reporter_message", tip, text, at)
    return message


def attach_file(tip, message, data, filename=None, at=None):
    """Add one evidence file (bytes or a stream) to a tip, optionally to one of its messages (Zalo media fetched
    later by a job). Raises 413/415 errors for what `core.media` refuses. `filename` is not kept."""
    original, media = check_file(data)
    attachment = store_evidence(tip, original, media, message=message, at=at)
    record_history(tip, "attachment", None, at, attachment_id=attachment.id)
    return attachment


def tip_for_reporter(code, secret):
    """The tip a tracking code and secret open, looked up across tenants; None for any mismatch."""
    normalised = codes.normalise_code(code)
    tip = None
    if normalised:
        with platform_scope():
            tip = db.session.execute(select(Tip).where(Tip.tracking_code == normalised)).scalar_one_or_none()
    matches = secret_matches(codes.normalise_secret(secret), tip.secret_hash if tip else _DUMMY_HASH)
    return tip if tip is not None and matches and secret else None


def reporter_messages(tip):
    """What the reporter may read: their own messages and staff replies, never internal notes."""
    return db.session.execute(select(TipMessage).where(TipMessage.tip_id == tip.id, TipMessage.internal.is_(False))
                              .order_by(TipMessage.created_at, TipMessage.id)).scalars().all()


def mark_replies_seen(tip):
    """The reporter opened the follow-up page: web replies they can now read count as seen."""
    for message in reporter_messages(tip):
        if message.direction == "out" and tip.channel != "zalo" and message.delivery_state == "sent":
            message.delivery_state = "seen"
