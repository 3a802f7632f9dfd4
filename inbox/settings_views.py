"""`/app/settings/inbox`: the director edits the SLA table, the routing to departments and the canned replies.

A refused form is shown again with what was typed and the reason beside each field (422), so a 32-cell
table is never lost to one typo.
"""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from core.errors import AppError
from core.extensions import db
from core.permissions import require
from inbox import policy_settings as settings
from inbox.constants import CATEGORIES, SEVERITIES
from inbox.policy import DEFAULT_CANNED, DEFAULT_ROUTES

ACTION = "tenant.settings"
bp = Blueprint("inbox_settings", __name__, template_folder="templates", url_prefix="/app/settings/inbox")


def _page(status=200, errors=None, failed_form=None):
    return render_template(
        "inbox/settings.html", sla=settings.sla_table(), sla_field=settings.sla_field,
        rules=settings.routing_rules(), default_routes=DEFAULT_ROUTES, departments=settings.departments(),
        canned=settings.canned_list(), default_canned=DEFAULT_CANNED, categories=CATEGORIES,
        severities=SEVERITIES, errors=errors or {}, failed=failed_form or "", typed=request.form,
    ), status


def _apply(change, success, form_name):
    """Run one change: commit and go back to the page, or show the page again with the refusal."""
    try:
        change()
    except AppError as error:
        db.session.rollback()
        if error.status != 422:
            raise
        flash(_("Chưa lưu: kiểm tra các ô được đánh dấu."), "error")
        return _page(422, error.fields, form_name)
    db.session.commit()
    flash(success, "success")
    return redirect(url_for("inbox_settings.page") + "#" + form_name)


@bp.before_request
@login_required
def _only_directors():
    require(current_user, ACTION)


@bp.get("")
def page():
    return _page()


@bp.post("/sla")
def save_sla():
    return _apply(lambda: settings.save_sla(request.form), _("Đã lưu thời hạn xử lý cho tin báo mới."), "sla")


@bp.post("/routing")
def add_rule():
    return _apply(lambda: settings.add_rule(request.form), _("Đã thêm quy tắc chuyển tin báo."), "routing")


@bp.post("/routing/<int:rule_id>")
def update_rule(rule_id):
    return _apply(lambda: settings.update_rule(rule_id, request.form), _("Đã lưu quy tắc."),
                  f"rule-{rule_id}")


@bp.post("/routing/<int:rule_id>/delete")
def delete_rule(rule_id):
    return _apply(lambda: settings.delete_rule(rule_id), _("Đã xóa quy tắc."), "routing")


@bp.post("/canned")
def add_canned():
    return _apply(lambda: settings.add_canned(request.form), _("Đã thêm câu trả lời mẫu."), "canned")


@bp.post("/canned/<int:reply_id>/delete")
def delete_canned(reply_id):
    return _apply(lambda: settings.delete_canned(reply_id), _("Đã xóa câu trả lời mẫu."), "canned")
