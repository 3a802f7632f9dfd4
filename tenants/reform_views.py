"""`/app/platform/reform/<slug>`: the platform admin's view of `flask reform plan`, the operator's overrides for
what the official data cannot place, and the same `apply` (one transaction, audited)."""
import re

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from core import audit
from core.errors import AppError
from core.extensions import db
from core.markdown import fold
from core.tenancy import platform_scope
from hierarchy.correspondence import correspondence
from hierarchy.importer import short_name
from hierarchy.maps import current_map
from hierarchy.reform import CONTINUES, MERGES, MOVES, RETIRES
from tenants import reform
from tenants.forms import ConfirmForm
from tenants.models import tenant_by_slug

bp = Blueprint("reform", __name__, template_folder="templates", url_prefix="/app/platform/reform")
FATES = ((CONTINUES, _l("Tiếp tục với tên mới (giữ mã)")), (MERGES, _l("Sáp nhập vào xã, phường mới")),
         (RETIRES, _l("Ngừng hoạt động, giữ lịch sử")), (MOVES, _l("Chuyển sang nguyên trạng")))


@bp.before_request
@login_required
def _only_platform_admins():
    if not current_user.is_platform_admin:
        abort(403)


def _into(old):
    """`?into=` or the slug of the old province's new province ("vinh-long")."""
    chosen = (request.values.get("into") or "").strip()
    if chosen:
        return chosen
    code = correspondence().province_into.get(old.province_code)
    name = short_name(current_map().province(code).name) if code else old.slug
    return re.sub(r"[^a-z0-9]+", "-", fold(name)).strip("-")


def _old(slug):
    with platform_scope():
        tenant = tenant_by_slug(slug)
    if tenant is None:
        abort(404)
    return tenant


@bp.get("/<slug>")
def plan_page(slug):
    old = _old(slug)
    new_slug = _into(old)
    plan = reform.plan_reform(slug, new_slug)
    db.session.rollback()
    communes = plan.new_province.children if plan.new_province else ()
    return render_template("tenants/reform.html", plan=plan, fates=FATES, new_slug=new_slug, communes=communes,
                           form=ConfirmForm())


@bp.post("/<slug>/overrides")
def save_overrides(slug):
    """The operator settles unplaced communes: {old code: new code}, kept with the old tenant, audited."""
    old = _old(slug)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    overrides = reform.stored_overrides(old)
    for key, value in request.form.items():
        if key.startswith("override_") and key[9:].isdigit():
            if value.strip().isdigit():
                overrides[key[9:]] = value.strip()
            else:
                overrides.pop(key[9:], None)
    with platform_scope():
        old.settings = {**(old.settings or {}), reform.OVERRIDES_KEY: overrides}
        audit.record("reform.overrides", tenant_id=old.id, details={"overrides": overrides})
        db.session.commit()
    flash(_("Đã lưu quyết định của người vận hành."), "success")
    return redirect(url_for(".plan_page", slug=slug, into=_into(old)))


@bp.post("/<slug>/apply")
def apply(slug):
    old = _old(slug)
    new_slug = _into(old)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        _plan, summary = reform.apply_reform(slug, new_slug)
    except AppError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for(".plan_page", slug=slug, into=new_slug))
    db.session.commit()
    if summary is None:
        flash(_("%(old)s đã được chuyển vào %(new)s trước đó.", old=slug, new=new_slug), "success")
    else:
        flash(_("Đã chuyển %(old)s vào %(new)s.", old=slug, new=new_slug), "success")
    return redirect(url_for("platform.platform_tenants"))
