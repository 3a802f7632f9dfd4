"""Settings pages: the tenant's Zalo app (directors) and each unit's OA connection (unit administrators)."""
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, or_, select

from core.errors import AppError, Forbidden
from core.extensions import db
from core.permissions import can, require
from core.tenancy import path_object
from hierarchy.models import Unit
from hierarchy.services import units_in_scope
from zalo import oauth
from zalo.models import OaConnection, Outbox, WebhookDelivery
from zalo.services import configure_app, connection_for_unit, link_unit, tenant_app

bp = Blueprint("zalo", __name__, template_folder="templates", url_prefix="/app/zalo")
assets = Blueprint("zalo_assets", __name__, static_folder="static", static_url_path="/static/zalo")
# A unit administrator's few units are listed; a province's hundred are found by search.
SHOW_ALL_UNITS = 30
SEARCH_LIMIT = 30


def webhook_url():
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + "/webhooks/zalo"


def _flash_refusal(error):
    """A refused action, in Vietnamese, with the reason for each field."""
    flash(" ".join([error.message, *(" ".join(map(str, why)) for why in error.fields.values())]), "error")


def _counts():
    pending = db.session.execute(select(func.count(WebhookDelivery.id)).where(
        WebhookDelivery.processed_at.is_(None))).scalar_one()
    states = dict(db.session.execute(select(Outbox.state, func.count(Outbox.id)).group_by(Outbox.state)).all())
    return {"deliveries_waiting": pending, "outbox": states}


@bp.get("")
@login_required
def settings():
    if not can(current_user, "zalo.connect"):
        raise Forbidden()
    connections = {c.unit_id: c for c in db.session.execute(select(OaConnection)).scalars()}
    scope = units_in_scope(current_user, action="zalo.connect")
    linked = db.session.execute(scope.where(or_(Unit.zalo_oa_id.is_not(None), Unit.id.in_(list(connections))))
                                ).scalars().all()
    query = (request.args.get("q") or "").strip()[:100]
    in_scope = db.session.execute(select(func.count()).select_from(scope.subquery())).scalar_one()
    others = []
    if query or in_scope <= SHOW_ALL_UNITS:
        statement = units_in_scope(current_user, query=query or None, action="zalo.connect")
        others = [unit for unit in db.session.execute(statement.limit(SEARCH_LIMIT)).scalars()
                  if unit not in linked]
    may_configure = can(current_user, "zalo.configure")
    return render_template("zalo/settings.html", app=tenant_app(), linked=linked, others=others, query=query,
                           searchable=in_scope > SHOW_ALL_UNITS, connections=connections,
                           may_configure=may_configure, webhook_url=webhook_url(),
                           callback_url=oauth.redirect_uri(), counts=_counts() if may_configure else None)


@bp.post("/app")
@login_required
def save_app():
    require(current_user, "zalo.configure")
    form = request.form
    try:
        configure_app(form.get("app_id"), form.get("app_secret"), form.get("oa_secret_key"))
    except AppError as error:
        db.session.rollback()
        _flash_refusal(error)
        return redirect(url_for("zalo.settings"))
    db.session.commit()
    flash(_("Đã lưu cấu hình ứng dụng Zalo.") if tenant_app().verified_at else
          _("Đã lưu cấu hình ứng dụng Zalo (chưa xác minh: kết nối một Zalo OA để xác minh)."), "success")
    return redirect(url_for("zalo.settings"))


def _unit():
    unit = path_object("unit_id")
    require(current_user, "zalo.connect", unit)
    return unit


@bp.get("/units/<int:unit_id>")
@login_required
def unit_page(unit_id):
    unit = _unit()
    connection = connection_for_unit(unit)
    return render_template("zalo/unit.html", unit=unit, connection=connection, app=tenant_app(),
                           challenge=oauth.pending_challenge(connection), callback_url=oauth.redirect_uri(),
                           webhook_url=webhook_url())


def _act(unit, action, success):
    """Run a settings action; its refusal is shown on the unit page in Vietnamese."""
    try:
        result = action()
    except AppError as error:
        db.session.rollback()
        _flash_refusal(error)
        return None, redirect(url_for("zalo.unit_page", unit_id=unit.id))
    db.session.commit()
    if success:
        flash(success, "success")
    return result, None


@bp.post("/units/<int:unit_id>/connect")
@login_required
def connect(unit_id):
    unit = _unit()
    url, failed = _act(unit, lambda: oauth.start(unit), None)
    return failed or redirect(url)


@bp.post("/units/<int:unit_id>/prepare")
@login_required
def prepare(unit_id):
    unit = _unit()
    _result, failed = _act(unit, lambda: oauth.prepare(unit, with_state=False),
                           _("Đã tạo mã code_challenge mới (hiệu lực 30 phút)."))
    return failed or redirect(url_for("zalo.unit_page", unit_id=unit.id) + "#thu-cong")


@bp.post("/units/<int:unit_id>/paste")
@login_required
def paste(unit_id):
    unit = _unit()
    link, failed = _act(unit, lambda: oauth.accept_pasted(unit, request.form.get("link")), None)
    if failed:
        return failed
    if link:
        return redirect(link)
    flash(_("Đã kết nối Zalo OA cho %(unit)s.", unit=unit.name), "success")
    return redirect(url_for("zalo.unit_page", unit_id=unit.id))


@bp.post("/units/<int:unit_id>/link")
@login_required
def link(unit_id):
    unit = _unit()
    from zalo.processing import requeue_unlinked

    def _link():
        link_unit(unit, request.form.get("oa_id"))
        requeue_unlinked()

    _result, failed = _act(unit, _link, _("Đã lưu mã OA của đơn vị."))
    return failed or redirect(url_for("zalo.unit_page", unit_id=unit.id))


@bp.post("/units/<int:unit_id>/disconnect")
@login_required
def disconnect(unit_id):
    unit = _unit()
    _result, failed = _act(unit, lambda: oauth.disconnect(unit), _("Đã ngắt kết nối Zalo OA."))
    return failed or redirect(url_for("zalo.unit_page", unit_id=unit.id))


@bp.get("/callback")
@login_required
def callback():
    """Where Zalo sends the administrator back after consent: `?code=&oa_id=&state=`."""
    connection = oauth.connection_for_state(request.args.get("state"))
    if connection is None:
        flash(_("Liên kết trả về từ Zalo không hợp lệ hoặc đã hết hạn. Hãy kết nối lại."), "error")
        return redirect(url_for("zalo.settings"))
    unit = require(current_user, "zalo.connect", connection.unit)
    if not request.args.get("code"):
        flash(_("Zalo chưa cấp quyền cho ứng dụng (quản trị viên OA đã từ chối hoặc huỷ)."), "error")
        return redirect(url_for("zalo.unit_page", unit_id=unit.id))
    _result, failed = _act(unit, lambda: oauth.finish(connection, request.args["code"], request.args.get("oa_id")),
                           _("Đã kết nối Zalo OA cho %(unit)s.", unit=unit.name))
    return failed or redirect(url_for("zalo.unit_page", unit_id=unit.id))
