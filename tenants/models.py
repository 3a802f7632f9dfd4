"""Tenants (one province's police each), staff users, their memberships and API tokens."""
from flask import g
from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from core.crypto import encrypted_columns
from core.extensions import db
from core.tenancy import TenantScoped, platform_scope
from core.timeutil import as_utc, utcnow


class Tenant(db.Model):
    """Not tenant-scoped itself: it is the scope."""

    __tablename__ = "tenants"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    province_code: Mapped[str] = mapped_column(String(2))
    # The administrative map its tree was built on: "2025" (today's, two tiers) or "pre-2025" (`hierarchy.maps`).
    admin_map: Mapped[str] = mapped_column(String(10), default="2025")
    # Set once `flask reform apply` carried this (pre-reform) tenant into another: its old addresses lead there.
    carried_into_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id"), nullable=True)
    carried_at: Mapped[object | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # Tenant-wide policies (review, routing, SLA overrides...) that packages read through their services.
    settings: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[object] = mapped_column(DateTime(timezone=True), default=utcnow)

    carried_into = relationship("Tenant", remote_side=[id], lazy="select")


# Slugs never change: each tenant's is read once per request or job (the app context's `g`) and remembered, since
# public addresses, feeds and tracking codes name it on every line.
SLUGS = "tenant_slugs"


def tenant_by_slug(slug):
    """The tenant named by `slug` (a URL, a command's argument), or None."""
    with platform_scope():
        tenant = db.session.execute(select(Tenant).where(Tenant.slug == slug)).scalar_one_or_none()
    if tenant is not None:
        remember_slug(tenant.id, tenant.slug)
    return tenant


def tenant_slug(tenant_id):
    known = g.setdefault(SLUGS, {})
    if tenant_id not in known:
        with platform_scope():
            known[tenant_id] = db.session.execute(select(Tenant.slug).where(Tenant.id == tenant_id)).scalar_one()
    return known[tenant_id]


def remember_slug(tenant_id, slug):
    """A slug already read with something else (a public page reads the unit and its tenant's slug at once)."""
    g.setdefault(SLUGS, {})[tenant_id] = slug


@encrypted_columns("totp_secret", label="mã TOTP")
class User(TenantScoped, UserMixin, db.Model):
    __tablename__ = "users"
    __tenant_optional__ = True  # a platform_admin belongs to no tenant

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True,
                                                 nullable=True)
    email: Mapped[str] = mapped_column(String(255), unique=True)  # stored lower-case
    name: Mapped[str] = mapped_column(String(255), default="")
    password_hash: Mapped[str] = mapped_column(String(255), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_platform_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    totp_secret: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)  # encrypted
    totp_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # The TOTP time step last accepted: a code of that step or an earlier one is never accepted again.
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # Bumped on deactivation or password reset: every session minted before it stops working.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[object] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[object | None] = mapped_column(DateTime(timezone=True), nullable=True)

    memberships = relationship("Membership", back_populates="user", cascade="all, delete-orphan",
                               lazy="selectin")
    tenant = relationship(Tenant, lazy="joined")

    @property
    def is_active(self):
        return self.active

    def get_id(self):
        return f"{self.id}:{self.session_version}"

    def set_password(self, password):
        self.password_hash = generate_password_hash(password)

    def check_password(self, password):
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    @property
    def roles(self):
        return sorted({m.role for m in self.memberships})

    @property
    def primary_membership(self):
        return min(self.memberships, key=lambda m: m.unit.depth if m.unit else 0, default=None)


class Membership(TenantScoped, db.Model):
    """A role anchored at a unit, valid for that unit's subtree."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "unit_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))

    user = relationship(User, back_populates="memberships")
    unit = relationship("Unit", lazy="joined")


class ApiToken(TenantScoped, db.Model):
    __tablename__ = "api_tokens"
    __tenant_optional__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True,
                                                 nullable=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    prefix: Mapped[str] = mapped_column(String(12))  # shown on the account page to tell tokens apart
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[object] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Set at creation and moved on by a renewal (API_TOKEN_DAYS); past it the token authenticates nothing.
    expires_at: Mapped[object] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[object | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked_at: Mapped[object | None] = mapped_column(DateTime(timezone=True), nullable=True)

    user = relationship(User)

    @property
    def expired(self):
        return as_utc(self.expires_at) <= utcnow()


class LoginAttempt(db.Model):
    """Failed sign-ins, keyed by hashed e-mail and hashed client, for throttling. Holds no address or e-mail."""

    __tablename__ = "login_attempts"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), index=True)
    at: Mapped[object] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
