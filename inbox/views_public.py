"""Public pages: the tip form (standalone and as an include for unit pages) and the `/tra-cuu` follow-up.

The form posts here with a CSRF token and the API's field names. Codes and secrets travel only in POST bodies,
and every page that shows them answers `Cache-Control: no-store` and `Referrer-Policy: no-referrer`.
"""
from flask import Blueprint, make_response, render_template, request
from flask_babel import ngettext
from marshmallow import ValidationError

from core.errors import AppError
from core.extensions import db, limiter
from core.tenancy import set_request_tenant
from inbox import intake
from inbox.api_public import followup_limit, submit, tips_limit
from inbox.constants import CATEGORIES, SEVERITIES, STATUSES
from inbox.public import public_unit, read_message
from tenants.models import tenant_slug

bp = Blueprint("inbox_public", __name__, template_folder="templates", static_folder="static",
               static_url_path="/inbox-static")
FORM_IGNORED = ("csrf_token",)


def private(response, status=200):
    response = make_response(response, status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def tip_form_action(unit):
    """The form's target for a unit (used by `inbox/_tip_form.html`)."""
    from flask import url_for

    return url_for("inbox_public.tip_form", slug=tenant_slug(unit.tenant_id), code=unit.code)


def _form_page(unit, status=200, errors=None, values=None, message=None):
    return private(render_template("inbox/public_form.html", unit=unit, errors=errors or {}, values=values or {},
                                   message=message, categories=CATEGORIES, severities=SEVERITIES), status)


@bp.get("/p/<slug>/<code>/gui-tin-bao")
def tip_form(slug, code):
    return _form_page(public_unit(slug=slug, code=code))


@bp.post("/p/<slug>/<code>/gui-tin-bao")
@limiter.shared_limit(tips_limit, scope="inbox-public-tips")
def submit_form(slug, code):
    unit = public_unit(slug=slug, code=code)
    values = {key: value for key, value in request.form.items() if key not in FORM_IGNORED + ("website",)}
    try:
        _tip, result = submit(unit, "web", ignore=FORM_IGNORED)
    except ValidationError as error:
        db.session.rollback()
        return _form_page(unit, 422, errors=error.messages, values=values)
    except AppError as error:
        db.session.rollback()
        return _form_page(unit, error.status, errors=error.fields, values=values, message=error.message)
    return private(render_template("inbox/public_sent.html", unit=unit, result=result), 201)


@bp.get("/tra-cuu")
def lookup():
    return private(render_template("inbox/lookup.html", tip=None, error=None))


@bp.post("/tra-cuu")
@limiter.shared_limit(followup_limit, scope="inbox-followup")
def lookup_post():
    code, secret = request.form.get("tracking_code", ""), request.form.get("secret", "")
    tip = intake.tip_for_reporter(code, secret)
    if tip is None:
        return private(render_template("inbox/lookup.html", tip=None, code=code,
                                       error="Không tìm thấy tin báo với mã và mật mã này."), 404)
    set_request_tenant(tip.tenant_id)
    notice, status = None, 200
    if request.form.get("action") == "reply":
        try:
            body, files = read_message(ignore=FORM_IGNORED + ("tracking_code", "secret", "action"))
            intake.add_reporter_message(tip, body, files=[item.stream for item in files])
            notice = "Đã gửi tin nhắn của bạn."
        except (AppError, ValidationError) as error:
            db.session.rollback()
            tip = intake.tip_for_reporter(code, secret)
            set_request_tenant(tip.tenant_id)
            notice = getattr(error, "message", "") or "Tin nhắn không hợp lệ."
            status = getattr(error, "status", 422)
    intake.mark_replies_seen(tip)
    db.session.commit()
    loose = [item for item in tip.attachments if item.message_id is None]
    return private(render_template("inbox/lookup.html", tip=tip, code=tip.tracking_code, secret=secret,
                                   messages=intake.reporter_messages(tip), statuses=STATUSES,
                                   categories=CATEGORIES, notice=notice, error=None, loose=loose,
                                   received=received_files), status)


def received_files(attachments):
    """What arrived, as counts by kind ("1 ghi âm, 2 ảnh"): the reporter sees their files were received, and
    nothing about them (no names, which may name them, nor sizes) is shown back."""
    counts = {}
    for item in attachments:
        counts[item.kind] = counts.get(item.kind, 0) + 1
    labels = {
        "image": lambda n: ngettext("%(num)d ảnh", "%(num)d ảnh", n),
        "video": lambda n: ngettext("%(num)d video", "%(num)d video", n),
        "audio": lambda n: ngettext("%(num)d ghi âm", "%(num)d ghi âm", n),
        "document": lambda n: ngettext("%(num)d tệp PDF", "%(num)d tệp PDF", n),
    }
    return ", ".join(labels[kind](counts[kind]) for kind in ("audio", "image", "video", "document")
                     if kind in counts)
