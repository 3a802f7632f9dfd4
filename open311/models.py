"""Registered Open311 clients (their api_key kept only as a hash) and the requests they sent."""
from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.tenancy import TenantScoped
from core.timeutil import utcnow
from inbox.models import Tip


class Open311Client(TenantScoped, db.Model):
    __tablename__ = "open311_clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(12))  # tells keys apart in logs and lists, never enough to use
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[object] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[object | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Open311Request(TenantScoped, db.Model):
    """A tip that came in through Open311: which client sent it, and the token the spec lets it poll by.
    The service_request_id is the tip's tracking code."""

    __tablename__ = "open311_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("open311_clients.id", ondelete="CASCADE"), index=True)
    tip_id: Mapped[int] = mapped_column(ForeignKey("tips.id", ondelete="CASCADE"), unique=True)
    token: Mapped[str] = mapped_column(String(40), unique=True)
    created_at: Mapped[object] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)

    client = relationship(Open311Client)
    tip = relationship(Tip, lazy="joined")

    @property
    def unit_path(self):
        return self.tip.unit_path
