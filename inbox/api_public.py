"""The citizen's API: send a tip, then follow it with the tracking code and the secret (`X-Tip-Secret`).

A wrong secret answers exactly like an unknown code (404), and both routes are throttled per client.
"""
from flask import current_app, request

from core.api import Blueprint
from core.errors import NotFound
from core.extensions import db, limiter
from core.security import csrf_exempt
from core.tenancy import set_request_tenant
from inbox import codes, intake
from inbox.public import public_unit, read_message, read_submission
from inbox.schemas import PublicTipForm, PublicTipJson, PublicTipOut, ReporterMessageOut, TipCreated
from tenants.models import tenant_slug

blp = csrf_exempt(Blueprint("inbox_public_api", __name__, url_prefix="/api/v1/public",
                            description="Tin báo của người dân (không cần tài khoản)"))

_SUBMIT_DOC = {"requestBody": {"content": {
    "application/json": {"schema": PublicTipJson},
    "multipart/form-data": {"schema": PublicTipForm}}}}


_SECRET_HEADER = {"parameters": [{"in": "header", "name": "X-Tip-Secret", "required": True,
                                  "schema": {"type": "string"}, "description": "The secret given with the code"}]}


def tips_limit():
    return current_app.config["RATELIMIT_PUBLIC_TIPS"]


def followup_limit():
    return current_app.config["RATELIMIT_FOLLOWUP"]


def submit(unit, channel, ignore=()):
    """Shared by the API and the form: a created tip, or a decoy when the honeypot is filled."""
    data, files = read_submission(ignore)
    if (data.get("website") or "").strip():
        # A robot: answer like a success so it learns nothing, store nothing.
        decoy = codes.new_tracking_code(tenant_slug(unit.tenant_id))
        return None, {"tracking_code": decoy, "secret": codes.new_secret(), "status": "new"}
    new = intake.submit_tip(unit, data["category"], data["description"], severity=data.get("severity") or None,
                            place=data.get("place") or "", contact_name=data.get("contact_name"),
                            contact_phone=data.get("contact_phone"), files=[item.stream for item in files],
                            channel=channel)
    result = {"tracking_code": new.tip.tracking_code, "secret": new.secret, "status": new.tip.status}
    db.session.commit()
    return new.tip, result


@blp.route("/units/<int:unit_id>/tips", methods=["POST"])
@limiter.shared_limit(tips_limit, scope="inbox-public-tips")
@blp.doc(**_SUBMIT_DOC)
@blp.response(201, TipCreated)
def create_tip(unit_id):
    """A new tip, as JSON or multipart (files under `files`). Show the secret to the citizen once."""
    unit = public_unit(unit_id=unit_id)
    return submit(unit, "api")[1]


def reporter_tip(code):
    tip = intake.tip_for_reporter(code, request.headers.get("X-Tip-Secret", ""))
    if tip is None:
        raise NotFound()
    set_request_tenant(tip.tenant_id)
    return tip


@blp.route("/tips/<tracking_code>")
@limiter.shared_limit(followup_limit, scope="inbox-followup")
@blp.doc(**_SECRET_HEADER)
@blp.response(200, PublicTipOut)
def get_tip(tracking_code):
    """Status and the messages meant for the reporter. Header `X-Tip-Secret` required."""
    tip = reporter_tip(tracking_code)
    intake.mark_replies_seen(tip)
    db.session.commit()
    return tip


@blp.route("/tips/<tracking_code>/messages", methods=["POST"])
@limiter.shared_limit(followup_limit, scope="inbox-followup")
@blp.doc(**_SECRET_HEADER)
@blp.response(201, ReporterMessageOut)
def add_message(tracking_code):
    """A message from the reporter (`body`; multipart may add `files`)."""
    tip = reporter_tip(tracking_code)
    body, files = read_message()
    message = intake.add_reporter_message(tip, body, files=[item.stream for item in files])
    db.session.commit()
    return message
