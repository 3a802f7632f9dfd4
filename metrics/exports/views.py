"""`/app/exports`: ask for a report file, watch its progress, download it (the page polls the JSON API)."""
from datetime import date, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from core.errors import Invalid
from core.extensions import db
from core.permissions import can, scope_clause
from core.reports import report_types
from core.timeutil import local_today
from hierarchy.models import Unit
from metrics.exports.services import DEFAULT_RANGE_DAYS, exports_of, request_export

bp = Blueprint("exports", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/exports", url_prefix="/app")

FORMAT_LABELS = {"xlsx": "Excel (XLSX)", "csv": "CSV (UTF-8)", "pdf": "PDF (A4)"}
STATUS_LABELS = {"queued": _l("Đang chờ"), "running": _l("Đang tạo"), "done": _l("Hoàn tất"),
                 "failed": _l("Lỗi"), "expired": _l("Đã hết hạn")}


def _units():
    statement = select(Unit).where(scope_clause(current_user, "export.create", Unit.path)).order_by(Unit.path)
    return db.session.execute(statement).scalars().all()


def _report_labels():
    return {key: kind.label for key, kind in report_types().items()}


def _reports():
    """The reports the user may ask for: each needs its own read right (the audit log: auditors, directors)."""
    return {key: kind.label for key, kind in report_types().items() if can(current_user, kind.action)}


def _render(form, errors=None, status=200):
    return render_template("exports/index.html", form=form, errors=errors or {}, units=_units(),
                           reports=_reports(), formats=FORMAT_LABELS, status_labels=STATUS_LABELS,
                           report_labels=_report_labels(), exports=exports_of(current_user)), status


def _date_field(name, errors):
    value = (request.form.get(name) or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[name] = [_("Ngày không hợp lệ.")]
        return None


@bp.get("/exports")
@login_required
def index():
    if not can(current_user, "export.create"):
        abort(403)
    today = local_today()
    form = {"report": "tips", "format": "xlsx", "unit_id": None,
            "from": today - timedelta(days=DEFAULT_RANGE_DAYS - 1), "to": today}
    return _render(form)


@bp.post("/exports")
@login_required
def create():
    if not can(current_user, "export.create"):
        abort(403)
    errors = {}
    form = {"report": request.form.get("report", ""), "format": request.form.get("format", ""),
            "unit_id": request.form.get("unit_id", type=int), "from": _date_field("from", errors),
            "to": _date_field("to", errors)}
    filters = {"actor": (request.form.get("actor") or "")[:255], "action": (request.form.get("action") or "")[:64]}
    if form["unit_id"] is None:
        errors["unit_id"] = [_("Chọn đơn vị.")]
    if errors:
        return _render(form, errors, 422)
    try:
        export = request_export(current_user, form["report"], form["format"], form["unit_id"], form["from"],
                                form["to"], filters)
    except Invalid as error:
        return _render(form, error.fields, 422)
    db.session.commit()
    flash(_("Đã nhận yêu cầu xuất báo cáo; tệp sẽ sẵn sàng trong giây lát."), "success")
    return redirect(url_for("exports.index", _anchor=f"export-{export.id}"))


def init_nav(app):
    from core.nav import register

    register(app, "exports.index", _l("Xuất báo cáo"), "export.create", order=70)
