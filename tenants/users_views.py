"""The users page: directors and unit admins manage the accounts of their subtree. Every change is audited."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from core import audit
from core.errors import AppError, Invalid, respond
from core.extensions import db
from core.pagination import clamp_page, paginate
from core.permissions import can, may_grant, require, scope_clause
from core.tenancy import load, platform_scope
from hierarchy.maps import REFORM_DATE, current_map
from hierarchy.models import Unit
from hierarchy.services import unit_by_code
from tenants import services
from tenants.forms import ROLE_LABELS, ConfirmForm, MembershipForm, PasswordResetForm, TenantForm, UserForm
from tenants.models import Membership, Tenant, User

bp = Blueprint("users", __name__, template_folder="templates", url_prefix="/app/users")


def _users_in_scope():
    in_scope = select(Membership.user_id).join(Unit, Unit.id == Membership.unit_id).where(
        scope_clause(current_user, "user.manage", Unit.path))
    return select(User).where(User.id.in_(in_scope)).order_by(User.email)


def _load_user(user_id):
    """A user is in scope when one of their memberships is (404 otherwise, 403 without the right). Managing
    them (a new password, a new role) is taking their rights in hand, so each of their roles must be one the
    caller could grant."""
    user = load(User, user_id)
    if user is None or not user.memberships:
        abort(404)
    for membership in user.memberships:
        _check_assignable(membership.role, membership.unit)
    return user


def _assignment_from(form):
    """The unit a submitted role is to be anchored at, once the form, the unit and the right to assign hold."""
    if not form.validate_on_submit():
        raise Invalid(fields=form.errors)
    unit = unit_by_code(form.unit_code.data.strip())
    if unit is None:
        raise Invalid(fields={"unit_code": [_("Không có đơn vị mã này.")]})
    _check_assignable(form.role.data, unit)
    return unit


def _check_assignable(role, unit):
    require(current_user, "user.manage", unit)
    if not may_grant(current_user, role, unit):
        raise AppError(_("Chỉ được gán vai trò có quyền không vượt quá quyền của chính mình."),
                       {"role": [_("Không được phép.")]}, status=403)


@bp.get("")
@login_required
def index():
    if not can(current_user, "user.manage"):
        abort(403)
    page = paginate(_users_in_scope(), page=clamp_page(request.args.get("page")), per_page=50)
    form = UserForm()
    _offer_grantable(form.role, current_user.primary_membership.unit)
    return render_template("tenants/users.html", page=page, form=form, confirm=ConfirmForm(),
                           role_labels=ROLE_LABELS)


def _offer_grantable(field, unit):
    """The role menu shows only what the caller may grant (at their own unit, or the edited user's)."""
    field.choices = [(role, label) for role, label in field.choices if may_grant(current_user, role, unit)]


@bp.post("")
@login_required
def create():
    form = UserForm()
    unit = _assignment_from(form)
    tenant = db.session.get(Tenant, current_user.tenant_id)
    try:
        services.create_user(form.email.data, form.password.data, form.role.data, tenant=tenant,
                             unit_code=unit.code, name=form.name.data or "")
    except services.EmailUnavailable:
        # Kept: trying e-mails one after another is how someone would look for other provinces' staff.
        db.session.rollback()
        audit.record("user.create_refused", unit_id=unit.id, details={"reason": "email_unavailable"})
        db.session.commit()
        raise
    db.session.commit()
    flash(_("Đã tạo tài khoản."), "success")
    return redirect(url_for("users.index"))


@bp.get("/<int:user_id>")
@login_required
def detail(user_id):
    user = _load_user(user_id)
    membership = user.memberships[0]
    membership_form = MembershipForm(role=membership.role, unit_code=membership.unit.code)
    _offer_grantable(membership_form.role, membership.unit)
    return render_template("tenants/user_detail.html", user=user, role_labels=ROLE_LABELS, confirm=ConfirmForm(),
                           membership_form=membership_form, password_form=PasswordResetForm())


@bp.post("/<int:user_id>/membership")
@login_required
def change_membership(user_id):
    user = _load_user(user_id)
    if user.id == current_user.id:
        raise AppError(_("Không thể tự đổi vai trò của mình."), {"role": [_("Không được phép.")]}, status=403)
    form = MembershipForm()
    unit = _assignment_from(form)
    services.set_membership(user, form.role.data, unit)
    services.end_sessions(user)
    db.session.commit()
    flash(_("Đã đổi vai trò."), "success")
    return redirect(url_for("users.detail", user_id=user.id))


@bp.post("/<int:user_id>/deactivate")
@login_required
def deactivate(user_id):
    user = _load_user(user_id)
    if user.id == current_user.id:
        return respond(409, _("Không thể tự khoá tài khoản của mình."))
    if ConfirmForm().validate_on_submit():
        services.deactivate_user(user)
        db.session.commit()
        flash(_("Đã khoá tài khoản, chấm dứt phiên đăng nhập và thu hồi token."), "success")
    return redirect(url_for("users.detail", user_id=user.id))


@bp.post("/<int:user_id>/reactivate")
@login_required
def reactivate(user_id):
    user = _load_user(user_id)
    services.reactivate_user(user)
    db.session.commit()
    return redirect(url_for("users.detail", user_id=user.id))


@bp.post("/<int:user_id>/password")
@login_required
def reset_password(user_id):
    user = _load_user(user_id)
    form = PasswordResetForm()
    if not form.validate_on_submit():
        return respond(422, fields=form.errors)
    services.reset_password(user, form.password.data)
    db.session.commit()
    flash(_("Đã đặt lại mật khẩu; các phiên cũ đã kết thúc."), "success")
    return redirect(url_for("users.detail", user_id=user.id))


platform_bp = Blueprint("platform", __name__, template_folder="templates", url_prefix="/app/platform")


def _require_platform_admin():
    if not current_user.is_platform_admin:
        abort(403)


@platform_bp.get("/tenants")
@login_required
def platform_tenants():
    _require_platform_admin()
    with platform_scope():
        tenants = db.session.execute(select(Tenant).order_by(Tenant.slug)).scalars().all()
    return render_template("tenants/platform_tenants.html", tenants=tenants, form=TenantForm(),
                           provinces=current_map().provinces.values(), reform_date=REFORM_DATE)


@platform_bp.post("/tenants")
@login_required
def create_tenant():
    """A platform admin onboards a province: the tenant and its real unit tree, nothing of its data."""
    _require_platform_admin()
    form = TenantForm()
    if not form.validate_on_submit():
        return respond(422, fields=form.errors)
    with platform_scope():
        tenant = services.create_tenant(form.slug.data.strip(), (form.name.data or "").strip(),
                                        form.province.data.strip(), form.as_of.data)
        db.session.commit()
    flash(_("Đã tạo %(name)s.", name=tenant.name), "success")
    return redirect(url_for("platform.platform_tenants"))
