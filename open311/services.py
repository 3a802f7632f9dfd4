"""Open311 clients and requests. A request becomes a tip through the inbox's own intake (same checks,
routing, deadlines, counting and notification as the public form), on the unit that holds its place.
Functions flush; the caller commits."""
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from core.crypto import hash_secret, new_secret
from core.errors import Invalid
from core.extensions import db
from core.timeutil import utcnow
from inbox import intake
from inbox.constants import CATEGORIES, SEVERITIES, STATUSES
from inbox.models import Tip, TipMessage
from open311.locate import unit_at, unit_named_in
from open311.models import Open311Client, Open311Request

KEY_PREFIX = "o311_"
SERVICE_DESCRIPTIONS = {
    "crime_report": "Tố giác, tin báo về tội phạm.",
    "security_report": "Phản ánh tình hình an ninh, trật tự nơi cư trú.",
    "social_evil": "Ma tuý, cờ bạc, mại dâm và các tệ nạn khác.",
    "good_deed": "Gương người tốt, việc tốt.",
    "complaint": "Khiếu nại.",
    "petition": "Kiến nghị, phản ánh.",
    "procedure_question": "Hỏi về thủ tục hành chính (cư trú, căn cước, hộ chiếu...).",
    "other": "Nội dung khác.",
}
# Open311 knows two states; the tip's own status is given in the notes.
OPEN311_STATUS = {"new": "open", "acknowledged": "open", "in_progress": "open", "resolved": "closed",
                  "closed": "closed"}
NINETY_DAYS = timedelta(days=90)
MAX_REQUESTS = 1000  # the spec's default query limit: 90 days or 1000 requests, whichever is smaller


@dataclass(frozen=True)
class Place:
    lat: float | None = None
    long: float | None = None
    address: str = ""


def create_client(name):
    """A new client of the current tenant and its api_key (shown once; only its hash is kept)."""
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise Invalid(fields={"name": ["Từ 1 đến 100 ký tự."]})
    api_key = KEY_PREFIX + new_secret(24)
    client = Open311Client(name=name, prefix=api_key[:10], key_hash=hash_secret(api_key), created_at=utcnow())
    db.session.add(client)
    db.session.flush()
    return client, api_key


def client_by_key(api_key):
    """The current tenant's active client holding `api_key`, or None."""
    if not api_key:
        return None
    return db.session.execute(select(Open311Client).where(
        Open311Client.key_hash == hash_secret(api_key), Open311Client.revoked_at.is_(None))).scalar_one_or_none()


def services():
    return [{"service_code": code, "service_name": str(label), "description": SERVICE_DESCRIPTIONS[code],
             "metadata": True, "type": "realtime", "keywords": "", "group": "cong_an"}
            for code, label in CATEGORIES.items()]


def service_definition(code):
    """The one attribute every service takes: how serious the reporter thinks it is."""
    values = [{"key": key, "name": str(label)} for key, label in SEVERITIES.items()]
    return {"service_code": code, "attributes": [{
        "variable": True, "code": "severity", "datatype": "singlevaluelist", "required": False,
        "datatype_description": "", "order": 1, "description": "Mức độ khẩn cấp", "values": values}]}


def unit_for(place):
    if place.lat is not None and place.long is not None:
        return unit_at(place.lat, place.long)
    return unit_named_in(place.address)


def create_request(client, service_code, description, place, severity=None, name="", phone="", at=None):
    """A tip on the unit holding `place`, sent by `client`; returns the `Open311Request`."""
    if service_code not in CATEGORIES:
        raise Invalid(fields={"service_code": [f"Một trong: {', '.join(CATEGORIES)}."]})
    intake.validate_submission(service_code, description, severity, place.address, name, phone)
    unit = unit_for(place)
    where = place.address
    if place.lat is not None:
        where = f"{where} ({place.lat:.6f}, {place.long:.6f})".strip()
    new = intake.submit_tip(unit, service_code, description, severity=severity or None, place=where[:300],
                            contact_name=name or None, contact_phone=phone or None, channel="open311", at=at)
    request = Open311Request(client_id=client.id, tip_id=new.tip.id, tip=new.tip, token=new_secret(15),
                             created_at=new.tip.created_at)
    db.session.add(request)
    db.session.flush()
    return request


def find_requests(codes=(), service_codes=(), statuses=(), start=None, end=None):
    """The tenant's Open311 requests, newest first, within the spec's default limits."""
    statement = select(Open311Request).join(Tip, Tip.id == Open311Request.tip_id)
    if codes:
        statement = statement.where(Tip.tracking_code.in_(codes))
    else:
        end = end or utcnow()
        start = start or end.replace(microsecond=0) - NINETY_DAYS
        statement = statement.where(Open311Request.created_at >= start, Open311Request.created_at <= end)
    if service_codes:
        statement = statement.where(Tip.category.in_(service_codes))
    if statuses:
        wanted = [ours for ours, theirs in OPEN311_STATUS.items() if theirs in statuses]
        statement = statement.where(Tip.status.in_(wanted))
    statement = statement.order_by(Open311Request.created_at.desc(), Open311Request.id.desc()).limit(MAX_REQUESTS)
    return db.session.execute(statement).scalars().all()


def request_by_token(token):
    return db.session.execute(select(Open311Request).where(Open311Request.token == token)).scalar_one_or_none()


def status_notes(request, client):
    """Public notes: the tip's status in words. The client that sent the request also gets the latest reply
    staff wrote to the reporter (what the reporter would read on /tra-cuu). Never identity, never internal
    notes, never the citizen's own text."""
    tip = request.tip
    if client is not None and client.id == request.client_id:
        reply = db.session.execute(select(TipMessage.body).where(
            TipMessage.tip_id == tip.id, TipMessage.direction == "out", TipMessage.internal.is_(False),
            TipMessage.author_kind == "staff").order_by(TipMessage.created_at.desc(), TipMessage.id.desc())
        ).scalars().first()
        if reply:
            return reply
    return str(STATUSES[tip.status])


def describe(request, client=None):
    """What GET requests shows of one request: status and public notes, never who sent it or what they wrote."""
    tip = request.tip
    return {"service_request_id": tip.tracking_code, "status": OPEN311_STATUS[tip.status],
            "status_notes": status_notes(request, client), "service_name": str(CATEGORIES[tip.category]),
            "service_code": tip.category, "agency_responsible": tip.unit.name, "service_notice": "",
            "requested_datetime": tip.created_at, "updated_datetime": tip.updated_at,
            "expected_datetime": tip.resolve_due_at if OPEN311_STATUS[tip.status] == "open" else None}

