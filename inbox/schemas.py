"""JSON shapes of the inbox API (public and staff). Staff shapes carry the pseudonym, never identity."""
import marshmallow as ma
from flask import url_for

from core.api import Id, PageArgs, PatchSchema, StrictSchema
from core.timeutil import isoformat
from inbox.constants import (
    CATEGORIES,
    CHANNELS,
    MAX_DESCRIPTION,
    MAX_MESSAGE,
    MAX_NAME,
    MAX_PHONE,
    MAX_PLACE,
    RESOLUTIONS,
    SEVERITIES,
    STATUSES,
)
from inbox.vault import pseudonym


class LocalDateTime(ma.fields.Field):
    """ISO 8601 in Asia/Ho_Chi_Minh with its offset (the public API's convention)."""

    def _serialize(self, value, attr, obj, **kwargs):
        return isoformat(value)


def _one_of(values):
    return ma.validate.OneOf(list(values), error="Một trong: {choices}.")


class ContactSchema(StrictSchema):
    name = ma.fields.String(validate=ma.validate.Length(max=MAX_NAME), allow_none=True)
    phone = ma.fields.String(validate=ma.validate.Length(max=MAX_PHONE), allow_none=True)


class _TipFields(StrictSchema):
    category = ma.fields.String(required=True, validate=_one_of(CATEGORIES))
    description = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=MAX_DESCRIPTION))
    severity = ma.fields.String(allow_none=True, validate=_one_of([*SEVERITIES, ""]))
    place = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=MAX_PLACE))
    # The honeypot: hidden from people on the form; anything in it means a robot filled the form.
    website = ma.fields.String(allow_none=True)


class PublicTipJson(_TipFields):
    contact = ma.fields.Nested(ContactSchema, allow_none=True)


class PublicTipForm(_TipFields):
    """The multipart/form shape: same names, contact flattened."""

    contact_name = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=MAX_NAME))
    contact_phone = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=MAX_PHONE))


class TipCreated(ma.Schema):
    tracking_code = ma.fields.String()
    secret = ma.fields.String()
    status = ma.fields.String()


class PublicMessage(StrictSchema):
    body = ma.fields.String(load_default="", validate=ma.validate.Length(max=MAX_MESSAGE))


class ReporterMessageOut(ma.Schema):
    id = ma.fields.Integer()
    direction = ma.fields.String()
    author = ma.fields.Method("_author")
    body = ma.fields.String()
    created_at = LocalDateTime()
    attachments = ma.fields.Method("_attachments")

    def _author(self, message):
        return "Bạn" if message.direction == "in" else "Công an"

    def _attachments(self, message):
        return len(message.attachments)


class PublicTipOut(ma.Schema):
    tracking_code = ma.fields.String()
    status = ma.fields.String()
    category = ma.fields.String()
    unit = ma.fields.Function(lambda tip: tip.unit.name)
    created_at = LocalDateTime()
    updated_at = LocalDateTime()
    messages = ma.fields.Method("_messages")

    def _messages(self, tip):
        from inbox.intake import reporter_messages

        return ReporterMessageOut(many=True).dump(reporter_messages(tip))


class TipListArgs(PageArgs):
    status = ma.fields.String(validate=_one_of(STATUSES))
    unit_id = Id()
    overdue = ma.fields.Boolean()
    category = ma.fields.String(validate=_one_of(CATEGORIES))
    severity = ma.fields.String(validate=_one_of(SEVERITIES))
    assignee_id = Id()
    channel = ma.fields.String(validate=_one_of(CHANNELS))


class TipListItem(ma.Schema):
    id = ma.fields.Integer()
    tracking_code = ma.fields.String()
    unit_id = ma.fields.Integer()
    channel = ma.fields.String()
    category = ma.fields.String()
    severity = ma.fields.String()
    status = ma.fields.String()
    reporter = ma.fields.Function(lambda tip: pseudonym(tip.reporter))
    ack_due_at = LocalDateTime()
    resolve_due_at = LocalDateTime()
    created_at = LocalDateTime()


class AttachmentOut(ma.Schema):
    id = ma.fields.Integer()
    kind = ma.fields.String()
    mime = ma.fields.String()
    size = ma.fields.Integer()
    sha256 = ma.fields.String()
    message_id = ma.fields.Integer(allow_none=True)
    url = ma.fields.Function(lambda item: url_for("inbox.attachment", attachment_id=item.id))


class StaffMessageOut(ma.Schema):
    id = ma.fields.Integer()
    direction = ma.fields.String()
    author_kind = ma.fields.String()
    author_id = ma.fields.Integer(allow_none=True)
    body = ma.fields.String()
    internal = ma.fields.Boolean()
    delivery_state = ma.fields.String(allow_none=True)
    external_id = ma.fields.String(allow_none=True)
    created_at = LocalDateTime()
    attachments = ma.fields.List(ma.fields.Nested(AttachmentOut))


class EscalationOut(ma.Schema):
    from_unit_id = ma.fields.Integer()
    to_unit_id = ma.fields.Integer()
    actor_id = ma.fields.Integer(allow_none=True)
    at = LocalDateTime()
    reason = ma.fields.String()
    automatic = ma.fields.Boolean()
    deadline_kind = ma.fields.String(allow_none=True)
    missed_deadline = LocalDateTime()


class TipDetail(TipListItem):
    first_unit_id = ma.fields.Integer()
    description = ma.fields.String()
    place = ma.fields.String()
    resolution = ma.fields.String(allow_none=True)
    duplicate_of_id = ma.fields.Integer(allow_none=True)
    assignee_id = ma.fields.Integer(allow_none=True)
    zalo_oa_id = ma.fields.String(allow_none=True)
    acknowledged_at = LocalDateTime()
    first_response_at = LocalDateTime()
    resolved_at = LocalDateTime()
    closed_at = LocalDateTime()
    updated_at = LocalDateTime()
    overdue = ma.fields.Boolean()
    escalated = ma.fields.Boolean()
    flagged_at_root = ma.fields.Boolean()
    messages = ma.fields.List(ma.fields.Nested(StaffMessageOut))
    attachments = ma.fields.List(ma.fields.Nested(AttachmentOut))
    escalations = ma.fields.Method("_escalations")

    def _escalations(self, tip):
        from sqlalchemy import select

        from core.extensions import db
        from inbox.models import Escalation

        rows = db.session.execute(select(Escalation).where(Escalation.tip_id == tip.id)
                                  .order_by(Escalation.at)).scalars().all()
        return EscalationOut(many=True).dump(rows)


class TipPatch(PatchSchema):
    status = ma.fields.String(validate=_one_of(STATUSES))
    resolution = ma.fields.String(allow_none=True, validate=_one_of(RESOLUTIONS))
    duplicate_of_id = Id(allow_none=True)
    severity = ma.fields.String(validate=_one_of(SEVERITIES))
    assignee_id = Id(allow_none=True)


class StaffMessageIn(StrictSchema):
    body = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=MAX_MESSAGE))
    internal = ma.fields.Boolean(load_default=False)


class ReasonIn(StrictSchema):
    reason = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=1000))


class ForwardIn(ReasonIn):
    unit_id = Id(required=True)


class LinkedTipOut(ma.Schema):
    id = ma.fields.Integer()
    tracking_code = ma.fields.String()


class IdentityOut(ma.Schema):
    pseudonym = ma.fields.String()
    # Other tips of the same phone or Zalo user, in the caller's scope: shown only here, in the audited answer.
    linked_tips = ma.fields.List(ma.fields.Nested(LinkedTipOut))
    name = ma.fields.String(allow_none=True)
    phone = ma.fields.String(allow_none=True)
    zalo_user_id = ma.fields.String(allow_none=True)
