"""Tenants, users, memberships and API tokens. Functions flush; the caller (request, CLI, job) commits."""
import hmac
import re
from datetime import timedelta
from functools import cache

import pyotp
from flask import current_app
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from core import audit
from core.crypto import decrypt_text, hash_secret, new_secret
from core.errors import Conflict, Invalid
from core.extensions import db
from core.permissions import ROLES
from core.tenancy import platform_scope, tenant_scope
from core.timeutil import as_utc, utcnow
from hierarchy.importer import province_or_invalid, short_name
from hierarchy.maps import map_for
from hierarchy.services import import_province, unit_by_code
from tenants.models import ApiToken, Membership, Tenant, User, tenant_by_slug

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 10
TOKEN_PREFIX = "kn_"


def create_tenant(slug, name, province_code, as_of=None):
    """A new tenant with its real unit tree from the map in force on `as_of` (today's by default). Raises
    Invalid/Conflict with the field named."""
    if not SLUG_RE.match(slug or ""):
        raise Invalid("Mã tenant không hợp lệ.", {"slug": ["Chỉ chữ thường, số và dấu gạch ngang."]})
    if tenant_by_slug(slug) is not None:
        raise Conflict("Tenant đã tồn tại.", {"slug": [f"'{slug}' đã được dùng."]})
    province = province_or_invalid(province_code, as_of)
    tenant = Tenant(slug=slug, name=name or f"Công an {short_name(province.name)}", province_code=province.code,
                    admin_map=map_for(as_of).key, settings={})
    db.session.add(tenant)
    db.session.flush()
    with tenant_scope(tenant.id):
        import_province(tenant, tenant.province_code)
        audit.record("tenant.create", target=tenant,
                     details={"slug": slug, "province": tenant.province_code, "map": tenant.admin_map})
    return tenant


class EmailUnavailable(Conflict):
    """An e-mail that cannot take a new account (it has one, in some tenant: e-mails are unique platform-wide)."""


def normalise_email(email):
    return (email or "").strip().lower()


def user_by_email(email):
    """Sign-in looks an e-mail up across tenants (e-mails are unique platform-wide): the named opt-out."""
    with platform_scope():
        return db.session.execute(select(User).where(User.email == normalise_email(email))).scalar_one_or_none()


@cache
def dummy_password_hash():
    """A hash made like every user's (same method and cost), checked when there is no password to check.
    Made once per process, when the app is created, so no sign-in pays for making it."""
    return generate_password_hash(new_secret())


def authenticate(email, password):
    """The active user with this e-mail and password, or None. One password hash is checked whatever the
    e-mail, so the time an answer takes does not tell a known e-mail from an unknown one."""
    user = user_by_email(email)
    stored = user.password_hash if user is not None and user.password_hash else dummy_password_hash()
    matches = check_password_hash(stored, password or "")
    return user if matches and user is not None and user.active and user.password_hash else None


def verify_second_factor(user, code, at=None):
    """Whether `code` is the user's TOTP code of the current time step or a neighbour, and of a step later than
    the last one accepted: a code (or its step) already used never signs anyone in again."""
    totp = pyotp.TOTP(decrypt_text(user.totp_secret))
    current = totp.timecode(at or utcnow())
    for step in (current - 1, current, current + 1):
        if step > (user.totp_last_step or 0) and hmac.compare_digest(totp.generate_otp(step), code.strip()):
            user.totp_last_step = step
            return True
    return False


def validate_password(password):
    if not password or len(password) < MIN_PASSWORD:
        raise Invalid("Mật khẩu quá ngắn.", {"password": [f"Tối thiểu {MIN_PASSWORD} ký tự."]})


def create_user(email, password, role, tenant=None, unit_code=None, name=""):
    """A user with one membership (or a platform admin). The caller is in the tenant's scope (or platform)."""
    email = normalise_email(email)
    if not EMAIL_RE.match(email):
        raise Invalid("E-mail không hợp lệ.", {"email": ["E-mail không hợp lệ."]})
    if role not in ROLES:
        raise Invalid("Vai trò không hợp lệ.", {"role": [f"Một trong: {', '.join(ROLES)}."]})
    validate_password(password)
    if user_by_email(email) is not None:
        # The same words whichever province the e-mail belongs to: nothing says an account exists.
        raise EmailUnavailable("Không thể dùng e-mail này cho tài khoản mới.",
                               {"email": ["Hãy dùng một e-mail công vụ khác."]})
    if role == "platform_admin":
        if tenant is not None or unit_code:
            raise Invalid("Quản trị nền tảng không thuộc tenant nào.",
                          {"tenant": ["platform_admin không nhận --tenant hay --unit."]})
        user = User(email=email, name=name, is_platform_admin=True, tenant_id=None)
        user.set_password(password)
        with platform_scope():
            db.session.add(user)
            db.session.flush()
            audit.record("user.create", target=user, details={"role": role}, tenant_id=None)
        return user
    if tenant is None:
        raise Invalid("Thiếu tenant.", {"tenant": ["Bắt buộc với vai trò này."]})
    unit = unit_by_code(unit_code) if unit_code else None
    if unit is None:
        raise Invalid("Đơn vị không tồn tại.", {"unit": [f"Không có đơn vị mã {unit_code}."]})
    if role == "director" and unit.parent_id is not None:
        raise Invalid("Giám đốc gắn với Công an tỉnh.", {"unit": ["Vai trò director gắn với đơn vị gốc."]})
    user = User(email=email, name=name, tenant_id=tenant.id)
    user.set_password(password)
    user.memberships.append(Membership(unit_id=unit.id, role=role, tenant_id=tenant.id))
    db.session.add(user)
    db.session.flush()
    audit.record("user.create", target=user, unit_id=unit.id, details={"role": role, "unit": unit.code})
    return user


def set_membership(user, role, unit):
    """Replace the user's role and unit (one membership per user in the UI). The user's API tokens were
    issued for the old rights: they are revoked."""
    if role not in ROLES or role == "platform_admin":
        raise Invalid("Vai trò không hợp lệ.", {"role": ["Vai trò không hợp lệ."]})
    before = [(m.role, m.unit.code) for m in user.memberships]
    user.memberships.clear()
    db.session.flush()
    user.memberships.append(Membership(unit_id=unit.id, role=role, tenant_id=user.tenant_id))
    db.session.flush()
    audit.record("user.role_change", target=user, unit_id=unit.id,
                 details={"before": before, "after": [(role, unit.code)]})
    revoke_tokens(user)


def end_sessions(user):
    """Every session and remember-cookie minted before now stops working."""
    user.session_version = (user.session_version or 1) + 1


def deactivate_user(user):
    user.active = False
    end_sessions(user)
    revoke_tokens(user)
    audit.record("user.deactivate", target=user)


def reactivate_user(user):
    user.active = True
    audit.record("user.reactivate", target=user)


def reset_password(user, password):
    """A new password ends the user's sessions and revokes their API tokens: whoever held the old password
    may have made either."""
    validate_password(password)
    user.set_password(password)
    end_sessions(user)
    revoke_tokens(user)
    audit.record("user.password_reset", target=user)


def _token_lifetime():
    return timedelta(days=current_app.config["API_TOKEN_DAYS"])


def create_token(user, name="api"):
    """A new API token valid for API_TOKEN_DAYS; the plaintext is returned once and only its hash is stored."""
    secret = TOKEN_PREFIX + new_secret(32)
    token = ApiToken(user_id=user.id, tenant_id=user.tenant_id, name=name[:100], prefix=secret[:10],
                     token_hash=hash_secret(secret), expires_at=utcnow() + _token_lifetime())
    db.session.add(token)
    db.session.flush()
    audit.record("token.create", target=token, details={"user_id": user.id, "name": token.name},
                 tenant_id=user.tenant_id)
    return secret, token


def renew_token(token):
    """Another API_TOKEN_DAYS from now, for a token its owner has not revoked (expired ones included)."""
    if token.revoked_at is not None:
        raise Conflict("Token đã bị thu hồi.", {"token": ["Token đã bị thu hồi, hãy tạo token mới."]})
    token.expires_at = utcnow() + _token_lifetime()
    audit.record("token.renew", target=token, details={"user_id": token.user_id})


def active_tokens(user):
    """The user's tokens not revoked (expired ones too: their owner may renew them)."""
    return db.session.execute(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
                              .order_by(ApiToken.id)).scalars().all()


def revoke_token(token):
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record("token.revoke", target=token, details={"user_id": token.user_id})


def revoke_tokens(user):
    for token in active_tokens(user):
        revoke_token(token)


def user_for_token(secret):
    """The active user behind a live bearer token (platform lookup: the token says which tenant), or None."""
    if not secret or not secret.startswith(TOKEN_PREFIX):
        return None
    with platform_scope():
        token = db.session.execute(select(ApiToken).where(ApiToken.token_hash == hash_secret(secret))
                                   ).scalar_one_or_none()
        if token is None or token.revoked_at is not None or token.expired or not token.user.active:
            return None
        now = utcnow()
        # Touch last_used at most once a minute so a busy integration does not write on every call.
        if token.last_used_at is None or now - as_utc(token.last_used_at) > timedelta(minutes=1):
            token.last_used_at = now
            db.session.commit()
        return token.user


