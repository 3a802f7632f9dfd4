"""In-app notifications (the bell) and their e-mail copies, sent by jobs on the `notifications` queue.

A notification names the tip by its tracking code and says what happened; it never carries citizen text or
identity, since e-mail leaves our systems.
"""
import logging
import smtplib
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from flask import current_app
from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, func, insert, literal, select, update
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.jobs import enqueue, job
from core.tenancy import TenantScoped, current_tenant_id, load, tenant_scope
from core.timeutil import utcnow
from core.transaction import after_commit
from hierarchy.models import Unit

log = logging.getLogger(__name__)
STAFF_ROLES = ("director", "unit_admin", "officer")


class Notification(TenantScoped, db.Model):
    __tablename__ = "inbox_notifications"
    __table_args__ = (Index("ix_inbox_notifications_user_unread", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    tip_id: Mapped[int | None] = mapped_column(ForeignKey("tips.id", ondelete="CASCADE"), nullable=True)
    kind: Mapped[str] = mapped_column(String(30))
    message: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[object] = mapped_column(DateTime(timezone=True), default=utcnow)
    read_at: Mapped[object | None] = mapped_column(DateTime(timezone=True), nullable=True)
    emailed: Mapped[bool] = mapped_column(Boolean, default=False)

    user = relationship("User")


def staff_of(unit, roles=STAFF_ROLES):
    """Active users whose membership sits at exactly this unit with one of `roles`."""
    from tenants.models import Membership, User

    members = select(Membership.user_id).where(Membership.unit_id == unit.id, Membership.role.in_(roles))
    statement = select(User).where(User.id.in_(members), User.active.is_(True)).order_by(User.id)
    return db.session.execute(statement).scalars().all()


def notify(users, kind, tip, message, at=None):
    """One notification per distinct user; e-mailed after the commit when SMTP is configured."""
    created = []
    for user in {user.id: user for user in users if user is not None}.values():
        note = Notification(user_id=user.id, tip_id=tip.id if tip is not None else None, kind=kind,
                            message=message[:300], created_at=at or utcnow())
        db.session.add(note)
        created.append(note)
    db.session.flush()
    _email_later([note.id for note in created])


def notify_staff(units, kind, tip, message, at=None):
    """One notification per distinct active staff member of `units`, written by one INSERT … SELECT over their
    memberships: no user row is loaded (an intake notifies a whole unit on every tip)."""
    tenant_id = current_tenant_id()
    staff = _staff_ids(units, tenant_id)
    columns = ("tenant_id", "user_id", "tip_id", "kind", "message", "created_at", "emailed")
    rows = select(literal(tenant_id, Integer), staff.c.user_id, literal(tip.id if tip is not None else None, Integer),
                  literal(kind, String), literal(message[:300], String),
                  literal(at or utcnow(), DateTime(timezone=True)), literal(False, Boolean))
    table = Notification.__table__
    statement = insert(table).from_select(columns, rows)
    if _emailing():
        _email_later(db.session.execute(statement.returning(table.c.id)).scalars().all())
    else:
        db.session.execute(statement)


def _staff_ids(units, tenant_id, roles=STAFF_ROLES):
    """Distinct ids of the active users with one of `roles` at exactly one of `units` (an INSERT … SELECT
    is not ORM-scoped, so the tenant is named here)."""
    from tenants.models import Membership, User

    return (select(Membership.user_id).distinct()
            .join(User, User.id == Membership.user_id)
            .where(Membership.tenant_id == tenant_id, Membership.unit_id.in_([unit.id for unit in units]),
                   Membership.role.in_(roles), User.active.is_(True))
            .subquery())


def _emailing():
    return bool(current_app.config.get("SMTP_URL"))


def _email_later(notification_ids):
    if notification_ids and _emailing():
        tenant_id = current_tenant_id()
        for notification_id in notification_ids:
            after_commit(enqueue, send_notification_email, tenant_id, notification_id, queue_name="notifications")


def notify_unit(unit, kind, tip, message, at=None):
    notify_staff([unit], kind, tip, message, at)


def notify_urgent(tip, at=None):
    """An urgent tip alerts its district and the province HQ at once, wherever it sits."""
    alerted = db.session.execute(Unit.ancestors_of(tip.unit, include_self=False)
                                 .where(Unit.kind.in_(("district", "province")))).scalars().all()
    if alerted:
        notify_staff(alerted, "urgent", tip, f"Tin báo KHẨN {tip.tracking_code} tại {tip.unit.name}", at)


def unread_count(user):
    return db.session.execute(select(func.count(Notification.id)).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))).scalar_one()


def recent(user, limit=30):
    return db.session.execute(select(Notification).where(Notification.user_id == user.id)
                              .order_by(Notification.id.desc()).limit(limit)).scalars().all()


def mark_read(user, notification_id=None):
    statement = update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if notification_id is not None:
        statement = statement.where(Notification.id == notification_id)
    db.session.execute(statement.values(read_at=utcnow()))


@job
def send_notification_email(tenant_id, notification_id):
    """Idempotent: a notification is e-mailed once, and only to an active user with an address."""
    with tenant_scope(tenant_id):
        note = load(Notification, notification_id)
        if note is None or note.emailed or not current_app.config.get("SMTP_URL"):
            return
        if note.user is None or not note.user.active or not note.user.email:
            return
        message = EmailMessage()
        message["Subject"] = f"[Kết Nối] {note.message}"
        message["From"] = current_app.config["MAIL_FROM"]
        message["To"] = note.user.email
        link = f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/app/inbox/{note.tip_id}" if note.tip_id else ""
        message.set_content(f"{note.message}\n\n{link}\n")
        _send(current_app.config["SMTP_URL"], message)
        note.emailed = True
        db.session.commit()


def _send(url, message):
    parts = urlsplit(url)
    secure = parts.scheme == "smtps"
    client_class = smtplib.SMTP_SSL if secure else smtplib.SMTP
    with client_class(parts.hostname, parts.port or (465 if secure else 25), timeout=20) as client:
        if parts.scheme == "smtp+starttls":
            client.starttls()
        if parts.username:
            client.login(unquote(parts.username), unquote(parts.password or ""))
        client.send_message(message)
