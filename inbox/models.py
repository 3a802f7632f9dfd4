"""Tips and what hangs off them: messages, evidence files, history and escalations.

Nothing here holds a reporter's identity: that lives encrypted in the vault (`inbox.vault`), reached through
`Tip.reporter_id`. Citizen free text (description, messages) is stored as written, because staff must read it;
contact details never go into it.
"""
from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.tenancy import TenantScoped
from core.timeutil import utcnow
from hierarchy.models import Unit


class Tip(TenantScoped, db.Model):
    __tablename__ = "tips"
    __table_args__ = (
        Index("ix_tips_tenant_status", "tenant_id", "status"),
        Index("ix_tips_open_ack_due", "status", "overdue", "ack_due_at"),
        Index("ix_tips_open_resolve_due", "status", "overdue", "resolve_due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Unique platform-wide: the public follow-up finds a tip by its code before it knows the tenant.
    tracking_code: Mapped[str] = mapped_column(String(24), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    first_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    channel: Mapped[str] = mapped_column(String(10), default="web")
    category: Mapped[str] = mapped_column(String(30), index=True)
    severity: Mapped[str] = mapped_column(String(10), default="normal")
    status: Mapped[str] = mapped_column(String(20), default="new")
    resolution: Mapped[str | None] = mapped_column(String(30), nullable=True)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("tips.id"), nullable=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True,
                                                    index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    place: Mapped[str] = mapped_column(String(300), default="")
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("reporter_identities.id"), nullable=True, index=True)
    # The Official Account the tip came in on: Zalo user ids are per OA, so replies always leave through it.
    zalo_oa_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    ack_due_at: Mapped[object | None] = mapped_column(DateTime(timezone=True), nullable=True)
    resolve_due_at: Mapped[object | None] = mapped_column(DateTime(timezone=True), nullable=True)
    acknowledged_at: Mapped[object | None] = mapped_column(DateTime(timezone=True), nullable=True)
    first_response_at: Mapped[object | None] = mapped_column(DateTime(timezone=True), nullable=True)
    resolved_at: Mapped[object | None] = mapped_column(DateTime(timezone=True), nullable=True)
    closed_at: Mapped[object | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # A deadline in force has passed and was dealt with (escalated, or flagged at the root where it stays).
    overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    escalated: Mapped[bool] = mapped_column(Boolean, default=False)
    flagged_at_root: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[object] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    updated_at: Mapped[object] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_message_at: Mapped[object | None] = mapped_column(DateTime(timezone=True), nullable=True)

    unit = relationship(Unit, foreign_keys=[unit_id], lazy="joined")
    assignee = relationship("User", foreign_keys=[assignee_id])
    reporter = relationship("ReporterIdentity", foreign_keys=[reporter_id])
    duplicate_of = relationship("Tip", remote_side=[id], foreign_keys=[duplicate_of_id])

    @property
    def unit_path(self):
        return self.unit.path if self.unit is not None else None


class TipMessage(TenantScoped, db.Model):
    """One message of the thread. `internal` notes are staff-only; `external_id` is the channel's id (Zalo
    msg_id), unique per tenant so a re-delivered message is never stored twice."""

    __tablename__ = "tip_messages"
    __table_args__ = (UniqueConstraint("tenant_id", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tip_id: Mapped[int] = mapped_column(ForeignKey("tips.id", ondelete="CASCADE"), index=True)
    direction: Mapped[str] = mapped_column(String(3))  # "in" from the reporter, "out" from staff
    author_kind: Mapped[str] = mapped_column(String(10))  # "reporter", "staff", "system"
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    body: Mapped[str] = mapped_column(Text, default="")
    internal: Mapped[bool] = mapped_column(Boolean, default=False)
    external_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    delivery_state: Mapped[str | None] = mapped_column(String(15), nullable=True)
    created_at: Mapped[object] = mapped_column(DateTime(timezone=True), default=utcnow)

    tip = relationship(Tip, backref=db.backref("messages", order_by="TipMessage.created_at", lazy="select"))
    author = relationship("User")
    attachments = relationship("TipAttachment", back_populates="message", order_by="TipAttachment.id")


class TipAttachment(TenantScoped, db.Model):
    """Evidence. The original bytes are kept encrypted with their SHA-256; staff are shown a copy stripped of
    metadata (also encrypted at rest). The citizen's file name is not kept: it may name them."""

    __tablename__ = "tip_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    tip_id: Mapped[int] = mapped_column(ForeignKey("tips.id", ondelete="CASCADE"), index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("tip_messages.id", ondelete="SET NULL"),
                                                   nullable=True, index=True)
    kind: Mapped[str] = mapped_column(String(10))  # image, video, audio, document
    mime: Mapped[str] = mapped_column(String(40))
    extension: Mapped[str] = mapped_column(String(8))
    size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int | None] = mapped_column(Integer, nullable=True)
    height: Mapped[int | None] = mapped_column(Integer, nullable=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    original_key: Mapped[str] = mapped_column(String(255))
    stripped_key: Mapped[str] = mapped_column(String(255))
    thumbnail_key: Mapped[str | None] = mapped_column(String(255), nullable=True)
    # Voice evidence browsers cannot all play (AMR, M4A) gets a playable copy made by a job: `playback` is
    # pending, retrying, ready, failed or no_tool (no ffmpeg on this server); None means the staff copy plays.
    playback: Mapped[str | None] = mapped_column(String(12), nullable=True)
    playback_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    playable_key: Mapped[str | None] = mapped_column(String(255), nullable=True)
    playable_mime: Mapped[str | None] = mapped_column(String(40), nullable=True)
    playable_size: Mapped[int | None] = mapped_column(Integer, nullable=True)
    duration_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[object] = mapped_column(DateTime(timezone=True), default=utcnow)

    tip = relationship(Tip, backref=db.backref("attachments", order_by="TipAttachment.id", lazy="select"))
    message = relationship(TipMessage, back_populates="attachments")

    @property
    def unit_path(self):
        return self.tip.unit_path


class TipHistory(TenantScoped, db.Model):
    """Every action on a tip, staff views included. `details` never holds identity or citizen text."""

    __tablename__ = "tip_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    tip_id: Mapped[int] = mapped_column(ForeignKey("tips.id", ondelete="CASCADE"), index=True)
    at: Mapped[object] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    action: Mapped[str] = mapped_column(String(40))
    from_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), nullable=True)
    to_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), nullable=True)
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    actor = relationship("User")
    from_unit = relationship(Unit, foreign_keys=[from_unit_id])
    to_unit = relationship(Unit, foreign_keys=[to_unit_id])


class Escalation(TenantScoped, db.Model):
    """A move up the tree. An automatic one names the deadline it answers; the unique constraint makes a
    second escalation for the same missed deadline impossible, whatever races the job and the sweep run."""

    __tablename__ = "tip_escalations"
    __table_args__ = (UniqueConstraint("tip_id", "deadline_kind", "missed_deadline"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tip_id: Mapped[int] = mapped_column(ForeignKey("tips.id", ondelete="CASCADE"), index=True)
    from_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    to_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    at: Mapped[object] = mapped_column(DateTime(timezone=True), default=utcnow)
    reason: Mapped[str] = mapped_column(Text, default="")
    automatic: Mapped[bool] = mapped_column(Boolean, default=False)
    deadline_kind: Mapped[str | None] = mapped_column(String(10), nullable=True)  # "ack" or "resolve"
    missed_deadline: Mapped[object | None] = mapped_column(DateTime(timezone=True), nullable=True)

    from_unit = relationship(Unit, foreign_keys=[from_unit_id])
    to_unit = relationship(Unit, foreign_keys=[to_unit_id])
