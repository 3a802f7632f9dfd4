"""Staff pages: the inbox list, the tip page and its actions, evidence files, notifications."""
from flask import Blueprint, Response, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.http import parse_range_header

from core.errors import AppError, NotFound
from core.extensions import db
from core.pagination import clamp_page, paginate
from core.permissions import can, require, scope_clause
from core.tenancy import load
from core.transcode import tool_available
from hierarchy.models import Unit
from inbox import notify, services
from inbox.api import apply_changes
from inbox.constants import (
    CATEGORIES,
    CHANNELS,
    DELIVERY_LABELS,
    HISTORY_LABELS,
    RESOLUTIONS,
    SEVERITIES,
    STATUSES,
    TRANSITIONS,
)
from inbox.evidence import private_storage
from inbox.models import Escalation, Tip, TipAttachment, TipHistory, TipMessage
from inbox.policy import canned_replies
from inbox.queries import status_counts, tip_for, tips_in_scope
from inbox.vault import pseudonym

bp = Blueprint("inbox", __name__, template_folder="templates", url_prefix="/app/inbox")
PER_PAGE = 30


def _filters():
    args = request.args
    filters = {}
    for name in ("status", "category", "severity", "channel"):
        allowed = {"status": STATUSES, "category": CATEGORIES, "severity": SEVERITIES, "channel": CHANNELS}[name]
        if args.get(name) in allowed:
            filters[name] = args[name]
    for name in ("unit_id", "assignee_id"):
        if (args.get(name) or "").isdigit():
            filters[name] = int(args[name])
    if args.get("overdue") in ("1", "0"):
        filters["overdue"] = args["overdue"] == "1"
    return filters


@bp.get("")
@login_required
def index():
    if not can(current_user, "tip.view"):
        abort(403)
    filters = _filters()
    page = clamp_page(request.args.get("page"))
    result = paginate(tips_in_scope(current_user, **filters), page, PER_PAGE)
    units = db.session.execute(select(Unit).where(scope_clause(current_user, "tip.view", Unit.path))
                               .order_by(Unit.path)).scalars().all()
    return render_template("inbox/index.html", tips=result["items"], total=result["total"], page=page,
                           pages=max(1, -(-result["total"] // PER_PAGE)), filters=filters,
                           counts=status_counts(current_user, **filters), units=units, statuses=STATUSES,
                           categories=CATEGORIES, severities=SEVERITIES, channels=CHANNELS, pseudonym=pseudonym)


def _assignable(tip):
    from tenants.models import Membership, User

    ancestors = Unit.ancestors_of(tip.unit).with_only_columns(Unit.id)
    members = select(Membership.user_id).where(Membership.unit_id.in_(ancestors),
                                               Membership.role.in_(services.ASSIGNABLE_ROLES))
    statement = select(User).where(User.id.in_(members), User.active.is_(True)).order_by(User.name, User.email)
    return db.session.execute(statement).scalars().all()


def _render_tip(tip, identity=None):
    messages = db.session.execute(select(TipMessage).where(TipMessage.tip_id == tip.id)
                                  .order_by(TipMessage.created_at, TipMessage.id)).scalars().all()
    history = db.session.execute(select(TipHistory).where(TipHistory.tip_id == tip.id)
                                 .order_by(TipHistory.at.desc(), TipHistory.id.desc())).scalars().all()
    escalations = db.session.execute(select(Escalation).where(Escalation.tip_id == tip.id)
                                     .order_by(Escalation.at)).scalars().all()
    loose = [item for item in tip.attachments if item.message_id is None]
    units = db.session.execute(select(Unit).order_by(Unit.path)).scalars().all()
    response = make_response(render_template(
        "inbox/tip.html", tip=tip, messages=messages, history=history, escalations=escalations, loose=loose,
        identity=identity, pseudonym=pseudonym(tip.reporter), assignable=_assignable(tip), units=units,
        canned=canned_replies(tip.unit), statuses=STATUSES, resolutions=RESOLUTIONS, severities=SEVERITIES,
        categories=CATEGORIES, channels=CHANNELS, history_labels=HISTORY_LABELS, delivery_labels=DELIVERY_LABELS,
        next_statuses=sorted(TRANSITIONS[tip.status]), playback_tool=tool_available(), duration=_duration))
    return response


def _duration(milliseconds):
    """m:ss (h:mm:ss past an hour) of a recording; empty when unknown (the page's script fills it in)."""
    if milliseconds is None:
        return ""
    minutes, seconds = divmod(round(milliseconds / 1000), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


@bp.get("/<int:tip_id>")
@login_required
def tip_page(tip_id):
    tip = tip_for(current_user, tip_id)
    services.record_view(tip, current_user)
    db.session.commit()
    return _render_tip(tip)


def _act(tip_id, action, work, done):
    """Load → check → act → commit; a refused action comes back to the tip page with the reason."""
    tip = tip_for(current_user, tip_id, action)
    try:
        work(tip)
        db.session.commit()
        flash(done, "success")
    except AppError as error:
        db.session.rollback()
        why = "; ".join(" ".join(map(str, reasons)) for reasons in error.fields.values())
        flash(f"{error.message} {why}".strip(), "error")
    if not can(current_user, "tip.view", load(Tip, tip_id)):
        return redirect(url_for("inbox.index"))
    return redirect(url_for("inbox.tip_page", tip_id=tip_id))


@bp.post("/<int:tip_id>/reply")
@login_required
def reply(tip_id):
    internal = request.form.get("internal") == "1"
    return _act(tip_id, "tip.handle",
                lambda tip: services.add_staff_message(tip, current_user, request.form.get("body"), internal),
                _("Đã lưu ghi chú nội bộ.") if internal else _("Đã gửi trả lời."))


@bp.post("/<int:tip_id>/update")
@login_required
def update(tip_id):
    form = request.form
    changes = {}
    if form.get("status"):
        changes["status"] = form["status"]
        changes["resolution"] = form.get("resolution") or None
        if form.get("duplicate_of"):
            original = db.session.execute(select(Tip.id).where(
                Tip.tracking_code == form["duplicate_of"].strip().upper())).scalar_one_or_none()
            changes["duplicate_of_id"] = original or -1
    if form.get("severity"):
        changes["severity"] = form["severity"]
    if "assignee_id" in form:
        changes["assignee_id"] = int(form["assignee_id"]) if form["assignee_id"].isdigit() else None
    return _act(tip_id, "tip.handle", lambda tip: apply_changes(tip, changes), _("Đã cập nhật tin báo."))


@bp.post("/<int:tip_id>/forward")
@login_required
def forward(tip_id):
    target = load(Unit, request.form.get("unit_id"))
    return _act(tip_id, "tip.forward",
                lambda tip: services.forward(tip, current_user, target, request.form.get("reason")),
                _("Đã chuyển tin báo."))


@bp.post("/<int:tip_id>/escalate")
@login_required
def escalate(tip_id):
    return _act(tip_id, "tip.escalate",
                lambda tip: services.escalate(tip, current_user, request.form.get("reason")),
                _("Đã chuyển tin báo lên cấp trên."))


@bp.post("/<int:tip_id>/reveal")
@login_required
def reveal(tip_id):
    tip = tip_for(current_user, tip_id, "tip.reveal")
    try:
        identity = services.reveal_identity(tip, current_user, request.form.get("reason"))
    except AppError as error:
        db.session.rollback()
        flash(error.message or _("Cần ghi lý do."), "error")
        return redirect(url_for("inbox.tip_page", tip_id=tip_id))
    db.session.commit()
    # Shown on this response only: never flashed (the session cookie would carry it).
    return _render_tip(tip, identity=identity)


@bp.get("/files/<int:attachment_id>")
@login_required
def attachment(attachment_id):
    """A staff copy, for staff who may see the tip: the metadata-stripped copy (`?thumb=1` its thumbnail,
    `?v=play` the playable copy of a voice recording); the type is the one sniffed at upload. Audio and video
    seek: a `Range` request is answered with those bytes alone (206), decrypting only the chunks holding them."""
    item = load(TipAttachment, attachment_id)
    if item is None:
        raise NotFound()
    require(current_user, "tip.view", item)
    if request.args.get("v") == "play":
        if item.playback != "ready" or not item.playable_key:
            raise NotFound(_("Bản nghe được trên trình duyệt chưa sẵn sàng."))
        key, mime, extension = item.playable_key, item.playable_mime, "m4a"
    elif request.args.get("thumb") == "1" and item.thumbnail_key:
        key, mime, extension = item.thumbnail_key, item.mime, item.extension
    else:
        key, mime, extension = item.stripped_key, item.mime, item.extension
    return _send_range(private_storage(), key, mime, f"{item.tip.tracking_code}-{item.id}.{extension}")


def _send_range(storage, key, mime, download_name):
    """200 with the whole file, or 206 with the one range asked for, or 416 when it lies past the end. A
    multi-range request, or a conditional one (`If-Range`: we give no validators), gets the whole file."""
    size = storage.plain_size(key)
    start, stop, status = 0, size, 200
    asked = request.headers.get("Range")
    if asked and not request.headers.get("If-Range"):
        ranges = parse_range_header(asked)
        if ranges is not None and ranges.units == "bytes" and len(ranges.ranges) == 1:
            bounds = ranges.range_for_length(size)
            if bounds is None:
                response = Response(status=416)
                response.headers["Content-Range"] = f"bytes */{size}"
                return _private(response, download_name)
            (start, stop), status = bounds, 206
    response = Response(storage.read_range(key, start, stop), status=status, mimetype=mime,
                        direct_passthrough=True)
    response.headers["Content-Length"] = str(stop - start)
    if status == 206:
        response.headers["Content-Range"] = f"bytes {start}-{stop - 1}/{size}"
    return _private(response, download_name)


def _private(response, download_name):
    response.headers["Accept-Ranges"] = "bytes"
    response.headers["Content-Disposition"] = f'attachment; filename="{download_name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/notifications")
@login_required
def notifications():
    return render_template("inbox/notifications.html", items=notify.recent(current_user, 50))


@bp.post("/notifications/read")
@login_required
def notifications_read():
    target = request.form.get("id")
    notify.mark_read(current_user, int(target) if (target or "").isdigit() else None)
    db.session.commit()
    if request.form.get("tip_id", "").isdigit():
        return redirect(url_for("inbox.tip_page", tip_id=int(request.form["tip_id"])))
    return redirect(url_for("inbox.notifications"))
