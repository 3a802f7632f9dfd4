"""An export: one requested file (a report over a unit's subtree and a period), built by a background job."""
from datetime import date

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.tenancy import TenantScoped
from core.timeutil import utcnow

FORMATS = ("csv", "xlsx", "pdf")
STATUSES = ("queued", "running", "done", "failed", "expired")
MEDIA_TYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


class Export(TenantScoped, db.Model):
    __tablename__ = "exports"
    __table_args__ = (
        Index("ix_exports_requester_created", "requester_id", "created_at"),
        Index("ix_exports_status_heartbeat", "status", "heartbeat_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    report: Mapped[str] = mapped_column(String(20))
    format: Mapped[str] = mapped_column(String(8))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    date_from: Mapped[date] = mapped_column(Date)
    date_to: Mapped[date] = mapped_column(Date)
    # Extra narrowing some reports take (the audit report: actor, action); never identity or free text.
    filters: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(10), default="queued")
    progress: Mapped[int] = mapped_column(Integer, default=0)
    row_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    sha256: Mapped[str] = mapped_column(String(64), default="")
    file_key: Mapped[str] = mapped_column(String(255), default="")
    size: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[object] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[object | None] = mapped_column(DateTime(timezone=True), nullable=True)
    heartbeat_at: Mapped[object | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[object | None] = mapped_column(DateTime(timezone=True), nullable=True)
    expires_at: Mapped[object | None] = mapped_column(DateTime(timezone=True), nullable=True)

    unit = relationship("Unit", lazy="joined")

    @property
    def unit_path(self):
        return self.unit.path if self.unit is not None else None

    @property
    def file_name(self):
        """What the browser saves it as: ASCII only, so every client keeps it intact."""
        return f"ket-noi-{self.report}-{self.unit.code}-{self.date_from:%Y%m%d}-{self.date_to:%Y%m%d}.{self.format}"

    @property
    def finished(self):
        return self.status in ("done", "failed", "expired")
