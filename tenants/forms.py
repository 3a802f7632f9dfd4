"""Sign-in, second factor and user-management forms (Flask-WTF: every form carries its CSRF token)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from core.permissions import TENANT_ROLES

ROLE_LABELS = {
    "director": _l("Lãnh đạo Công an tỉnh"),
    "unit_admin": _l("Quản trị đơn vị"),
    "officer": _l("Cán bộ tiếp nhận"),
    "auditor": _l("Thanh tra, kiểm tra"),
    "platform_admin": _l("Quản trị nền tảng"),
}


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=255)])
    password = PasswordField(_l("Mật khẩu"), validators=[DataRequired(), Length(max=200)])


class TotpForm(FlaskForm):
    code = StringField(_l("Mã xác thực 6 số"), validators=[DataRequired(), Regexp(r"^\s*\d{6}\s*$")])


class TokenForm(FlaskForm):
    name = StringField(_l("Tên token"), validators=[DataRequired(), Length(max=100)])


class UserForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=255)])
    name = StringField(_l("Họ tên"), validators=[Optional(), Length(max=255)])
    role = SelectField(_l("Vai trò"), choices=[(r, ROLE_LABELS[r]) for r in TENANT_ROLES])
    unit_code = StringField(_l("Mã đơn vị"), validators=[DataRequired(), Length(max=10)])
    password = PasswordField(_l("Mật khẩu ban đầu"), validators=[DataRequired(), Length(min=10, max=200)])


class MembershipForm(FlaskForm):
    role = SelectField(_l("Vai trò"), choices=[(r, ROLE_LABELS[r]) for r in TENANT_ROLES])
    unit_code = StringField(_l("Mã đơn vị"), validators=[DataRequired(), Length(max=10)])


class PasswordResetForm(FlaskForm):
    password = PasswordField(_l("Mật khẩu mới"), validators=[DataRequired(), Length(min=10, max=200)])


class ConfirmForm(FlaskForm):
    """A button that changes something: only its CSRF token."""


class TenantForm(FlaskForm):
    slug = StringField(_l("Mã tenant (slug)"), validators=[DataRequired(), Length(max=63)])
    name = StringField(_l("Tên hiển thị"), validators=[Optional(), Length(max=255)])
    province = StringField(_l("Mã tỉnh"), validators=[DataRequired(), Regexp(r"^\s*\d{1,2}\s*$")])
    # Empty: today's map. A day before 2025-07-01 builds the old map (districts and the 63 provinces' codes).
    as_of = DateField(_l("Bản đồ ngày (trống: hiện hành)"), validators=[Optional()])
