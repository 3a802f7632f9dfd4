"""Staff actions on a tip. Each flushes and leaves the commit to the caller; jobs wait for it (`after_commit`).

Permissions are checked by the caller with `can()`/`require()`; these functions check the business rules and
write history, audit records and metric events in the same transaction as the change.
"""
from sqlalchemy import or_, select

from core import audit
from core.errors import Conflict, Invalid
from core.extensions import db
from core.permissions import can, scope_clause
from core.timeutil import as_utc, utcnow
from hierarchy.models import Unit
from inbox import vault
from inbox.constants import MAX_MESSAGE, RESOLUTIONS, SETTLING_RESOLUTIONS, SEVERITIES, STATUSES, TRANSITIONS
from inbox.deadlines import schedule_checks, set_deadlines
from inbox.history import record_history
from inbox.models import Escalation, Tip, TipMessage
from inbox.notify import notify, notify_unit, notify_urgent
from inbox.signals import staff_reply_added
from metrics.events import record as record_metric
from metrics.events import record_first_response

ASSIGNABLE_ROLES = ("officer", "unit_admin", "director")


def record_view(tip, user, at=None):
    record_history(tip, "view", user, at)
    audit.record("tip.view", target=tip)


def change_status(tip, user, status, resolution=None, duplicate_of=None, at=None):
    """Move along the lifecycle (409 when the move is not allowed); closing needs a resolution."""
    at = at or utcnow()
    if status not in STATUSES:
        raise Invalid(fields={"status": [f"Một trong: {', '.join(STATUSES)}."]})
    if status == tip.status:
        return tip
    if status not in TRANSITIONS[tip.status]:
        raise Conflict(f"Không thể chuyển từ '{tip.status}' sang '{status}'.",
                       fields={"status": [f"Không thể chuyển từ '{tip.status}' sang '{status}'."]})
    if status == "closed":
        _check_resolution(tip, resolution, duplicate_of)
    elif resolution is not None:
        raise Invalid(fields={"resolution": ["Chỉ ghi kết quả khi đóng tin báo."]})
    previous, tip.status = tip.status, status
    if status == "acknowledged":
        _acknowledge(tip, at)
    elif status == "resolved":
        _resolve(tip, at)
    elif status == "closed":
        tip.resolution, tip.closed_at = resolution, at
        tip.duplicate_of_id = duplicate_of.id if duplicate_of is not None else None
        if resolution in SETTLING_RESOLUTIONS:
            _resolve(tip, at)
    tip.updated_at = at
    record_history(tip, "status", user, at, before=previous, after=status, resolution=resolution)
    audit.record("tip.close" if status == "closed" else "tip.status", target=tip,
                 details={"before": previous, "after": status, "resolution": resolution})
    db.session.flush()
    return tip


def _check_resolution(tip, resolution, duplicate_of):
    if resolution not in RESOLUTIONS:
        raise Invalid("Cần ghi kết quả khi đóng tin báo.",
                      fields={"resolution": [f"Một trong: {', '.join(RESOLUTIONS)}."]})
    if resolution == "duplicate" and (duplicate_of is None or duplicate_of.id == tip.id):
        raise Invalid("Cần chỉ ra tin báo gốc.", fields={"duplicate_of_id": ["Tin báo gốc (khác tin này)."]})


def _acknowledge(tip, at):
    tip.acknowledged_at = at
    record_metric("tips_acknowledged", tip.unit, at=at, subject=tip)
    if tip.first_response_at is None:
        tip.first_response_at = at
        seconds = max(0, int((as_utc(at) - as_utc(tip.created_at)).total_seconds()))
        record_first_response(tip.unit, seconds, at=at, subject=tip)


def _resolve(tip, at):
    """Counted once per tip, at the unit that settled it, against the deadline in force there."""
    if tip.resolved_at is not None:
        return
    tip.resolved_at = at
    record_metric("tips_resolved", tip.unit, at=at, subject=tip)
    met = tip.resolve_due_at is None or as_utc(at) <= as_utc(tip.resolve_due_at)
    record_metric("sla_met" if met else "sla_missed", tip.unit, at=at, subject=tip)


def set_severity(tip, user, severity, at=None):
    if severity not in SEVERITIES:
        raise Invalid(fields={"severity": [f"Một trong: {', '.join(SEVERITIES)}."]})
    if severity == tip.severity:
        return tip
    previous, tip.severity = tip.severity, severity
    tip.updated_at = at or utcnow()
    record_history(tip, "severity", user, at, before=previous, after=severity)
    audit.record("tip.severity", target=tip, details={"before": previous, "after": severity})
    if severity == "urgent":
        notify_urgent(tip, at)
    return tip


def assign(tip, user, assignee, at=None):
    """`assignee` None unassigns; otherwise someone who may handle this tip where it is."""
    if assignee is not None and not (can(assignee, "tip.handle", tip)
                                     and {m.role for m in assignee.memberships} & set(ASSIGNABLE_ROLES)):
        raise Invalid("Người được giao phải là cán bộ của đơn vị đang giữ tin báo.",
                      fields={"assignee_id": ["Không phải cán bộ xử lý được tin báo này."]})
    tip.assignee_id = assignee.id if assignee is not None else None
    tip.updated_at = at or utcnow()
    record_history(tip, "assign", user, at, assignee_id=tip.assignee_id)
    audit.record("tip.assign", target=tip, details={"assignee_id": tip.assignee_id})
    if assignee is not None and assignee.id != getattr(user, "id", None):
        notify([assignee], "assigned", tip, f"Bạn được giao xử lý tin báo {tip.tracking_code}", at)
    return tip


def add_staff_message(tip, user, body, internal=False, at=None, external_id=None, delivery_state=None):
    """A reply to the reporter, or an internal note staff alone see. `user` None: a reply written outside the
    app (a Zalo OA manager echo). Idempotent on `external_id`. Replying to a new tip acknowledges it."""
    body = (body or "").strip()
    if not body:
        raise Invalid(fields={"body": ["Không được để trống."]})
    if len(body) > MAX_MESSAGE:
        raise Invalid(fields={"body": [f"Tối đa {MAX_MESSAGE} ký tự."]})
    if external_id and (existing := message_by_external_id(external_id)) is not None:
        return existing
    if tip.status == "closed" and not internal:
        raise Conflict("Tin báo đã đóng.", fields={"status": ["Tin báo đã đóng, không gửi trả lời được."]})
    at = at or utcnow()
    if delivery_state is None and not internal:
        delivery_state = "pending" if tip.channel == "zalo" else "sent"
    message = TipMessage(tip_id=tip.id, direction="out", author_kind="staff", author_id=getattr(user, "id", None),
                         body=body, internal=internal, external_id=external_id or None,
                         delivery_state=None if internal else delivery_state, created_at=at)
    db.session.add(message)
    db.session.flush()
    tip.updated_at = at
    record_history(tip, "note" if internal else "reply", user, at, message_id=message.id)
    if not internal:
        tip.last_message_at = at
        record_metric("messages_out", tip.unit, at=at, subject=tip)
        audit.record("tip.reply", target=tip, details={"message_id": message.id})
        if tip.status == "new":
            change_status(tip, user, "acknowledged", at=at)
        staff_reply_added.send(tip, message=message)
    return message


def add_system_message(tip, body, delivery_state=None, at=None):
    """A message the system itself sends the reporter (the Zalo automatic reply). Not a staff reply: no
    author, no history entry, no `messages_out` or first response, and no `staff_reply_added` — the channel
    that writes it sends it. `delivery_state` defaults as for replies ("pending" on Zalo, else "sent")."""
    from inbox.constants import DELIVERY_STATES

    body = (body or "").strip()
    if not body:
        raise Invalid(fields={"body": ["Không được để trống."]})
    if delivery_state is None:
        delivery_state = "pending" if tip.channel == "zalo" else "sent"
    if delivery_state not in DELIVERY_STATES:
        raise ValueError(f"unknown delivery state {delivery_state!r}")
    message = TipMessage(tip_id=tip.id, direction="out", author_kind="system", body=body,
                         delivery_state=delivery_state, created_at=at or utcnow())
    db.session.add(message)
    db.session.flush()
    return message


def message_by_external_id(external_id):
    return db.session.execute(select(TipMessage).where(TipMessage.external_id == str(external_id))).scalar_one_or_none()


def set_delivery_state(message, state, external_id=None):
    """The channel reports what became of an outgoing message (Zalo: sent, delivered, seen...)."""
    from inbox.constants import DELIVERY_STATES

    if state not in DELIVERY_STATES:
        raise ValueError(f"unknown delivery state {state!r}")
    message.delivery_state = state
    if external_id:
        message.external_id = str(external_id)
    db.session.flush()
    return message


def forward(tip, user, to_unit, reason, at=None):
    _require_reason(reason)
    if to_unit is None:
        raise Invalid(fields={"unit_id": ["Đơn vị không tồn tại."]})
    if to_unit.id == tip.unit_id:
        raise Invalid(fields={"unit_id": ["Tin báo đã ở đơn vị này."]})
    return move_tip(tip, to_unit, user, reason.strip(), "forward", at=at)


def escalate(tip, user, reason, at=None):
    """Manual escalation to the parent unit."""
    _require_reason(reason)
    if tip.unit.parent is None:
        raise Conflict("Đơn vị cao nhất, không thể chuyển lên.", fields={"unit_id": ["Không có đơn vị cấp trên."]})
    return move_tip(tip, tip.unit.parent, user, reason.strip(), "escalate", at=at)


def _require_reason(reason):
    if not (reason or "").strip():
        raise Invalid("Cần ghi lý do.", fields={"reason": ["Bắt buộc."]})
    if len(reason) > 1000:
        raise Invalid(fields={"reason": ["Tối đa 1000 ký tự."]})


def move_tip(tip, to_unit, user, reason, kind, at=None, deadline_kind=None, missed_deadline=None):
    """Forward or escalate: the tip changes unit (not status), gets new deadlines there, and the new unit's
    staff are told. The Zalo OA it came in on stays (`zalo_oa_id` is untouched)."""
    at = at or utcnow()
    from_unit = tip.unit
    tip.unit_id, tip.unit = to_unit.id, to_unit
    tip.assignee_id = None
    set_deadlines(tip, at)
    tip.overdue = tip.flagged_at_root = False
    tip.updated_at = at
    automatic = user is None
    if kind == "escalate":
        tip.escalated = True
        db.session.add(Escalation(tip_id=tip.id, from_unit_id=from_unit.id, to_unit_id=to_unit.id,
                                  actor_id=getattr(user, "id", None), at=at, reason=reason, automatic=automatic,
                                  deadline_kind=deadline_kind, missed_deadline=missed_deadline))
        record_metric("tips_escalated", from_unit, at=at, subject=tip)
    record_history(tip, kind, user, at, from_unit=from_unit, to_unit=to_unit, reason=reason, automatic=automatic,
                   deadline=deadline_kind)
    audit.record(f"tip.{kind}", target=tip, unit_id=to_unit.id,
                 details={"from": from_unit.code, "to": to_unit.code, "automatic": automatic,
                          "deadline": deadline_kind},
                 actor=(None, "system") if automatic else None)
    db.session.flush()
    label = "chuyển lên" if kind == "escalate" else "chuyển đến"
    notify_unit(to_unit, kind, tip, f"Tin báo {tip.tracking_code} được {label} {to_unit.name}", at)
    if tip.severity == "urgent":
        notify_urgent(tip, at)
    schedule_checks(tip)
    return tip


def reveal_identity(tip, user, reason, at=None):
    """The reporter's identity, for a caller that checked `tip.reveal`; always audited with the reason.

    It also names the other tips, within the caller's scope, of the same phone or Zalo user (`linked_tips`):
    the vault links them by blind index, and this audited answer is the only place the link is shown."""
    _require_reason(reason)
    linked = linked_tips(tip, user)
    record_history(tip, "reveal", user, at)
    audit.record("tip.reveal", target=tip, details={"reason": reason.strip()[:500], "linked_tips": len(linked)})
    return {**vault.reveal(tip.reporter), "linked_tips": linked}


def linked_tips(tip, user):
    if tip.reporter is None:
        return []
    same_person = or_(Tip.reporter_id == tip.reporter_id, Tip.reporter_id.in_(vault.linked_reporters(tip.reporter)))
    return db.session.execute(
        select(Tip).join(Unit, Unit.id == Tip.unit_id)
        .where(same_person, Tip.id != tip.id, scope_clause(user, "tip.view", Unit.path))
        .order_by(Tip.created_at, Tip.id)).scalars().all()
