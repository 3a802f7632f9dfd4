"""The Zalo channel's tables: the tenant's app, each unit's OA connection, deliveries, outbox, articles.

Secrets and tokens are Fernet-encrypted (`core.crypto`, IDENTITY_KEY) and only their last four characters
are kept readable, for the settings page. A stored webhook body identifies citizens: it is encrypted and
dropped once processed, while the de-duplication key stays (Zalo may retry a delivery long after).
"""
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.crypto import decrypt_text, encrypt, encrypted_columns
from core.extensions import db
from core.tenancy import TenantScoped
from core.timeutil import utcnow
from hierarchy.models import Unit


def last4(secret):
    return (secret or "")[-4:]


@encrypted_columns("app_secret_enc", "oa_secret_key_enc", label="bản ghi Zalo")
class ZaloApp(TenantScoped, db.Model):
    """A tenant's Zalo app: every OA of the province authorises this one app, which has one webhook URL.

    An app id is anyone's to type, so a configured app is only a claim until Zalo accepts its secret (the
    OAuth code exchange of an OA connection, or the operator's `flask zalo config`): `verified_at`. Only a
    verified app id is unique platform-wide, so a claim on another province's app id blocks nobody."""

    __tablename__ = "zalo_apps"
    __table_args__ = (UniqueConstraint("tenant_id"),
                      Index("uq_zalo_apps_verified_app_id", "app_id", unique=True,
                            postgresql_where=text("verified_at IS NOT NULL"),
                            sqlite_where=text("verified_at IS NOT NULL")))

    id: Mapped[int] = mapped_column(primary_key=True)
    app_id: Mapped[str] = mapped_column(String(32), index=True)
    verified_at: Mapped[object | None] = mapped_column(DateTime(timezone=True), nullable=True)
    app_secret_enc: Mapped[bytes] = mapped_column(LargeBinary)
    oa_secret_key_enc: Mapped[bytes] = mapped_column(LargeBinary)
    app_secret_last4: Mapped[str] = mapped_column(String(4), default="")
    oa_secret_key_last4: Mapped[str] = mapped_column(String(4), default="")
    created_at: Mapped[object] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[object] = mapped_column(DateTime(timezone=True), default=utcnow)

    @property
    def app_secret(self):
        return decrypt_text(self.app_secret_enc)

    @app_secret.setter
    def app_secret(self, value):
        self.app_secret_enc, self.app_secret_last4 = encrypt(value), last4(value)

    @property
    def oa_secret_key(self):
        return decrypt_text(self.oa_secret_key_enc)

    @oa_secret_key.setter
    def oa_secret_key(self, value):
        self.oa_secret_key_enc, self.oa_secret_key_last4 = encrypt(value), last4(value)


@encrypted_columns("access_token_enc", "refresh_token_enc", "oauth_verifier_enc", label="bản ghi Zalo")
class OaConnection(TenantScoped, db.Model):
    """A unit's Official Account and its OAuth tokens. The refresh token is single-use and rotating, so it is
    only ever spent under the per-OA lock (`zalo.tokens`)."""

    __tablename__ = "zalo_oa_connections"
    __table_args__ = (UniqueConstraint("tenant_id", "oa_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), unique=True)
    oa_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    access_token_enc: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    refresh_token_enc: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    expires_at: Mapped[object | None] = mapped_column(DateTime(timezone=True), nullable=True)
    needs_reauth: Mapped[bool] = mapped_column(Boolean, default=False)
    connected_at: Mapped[object | None] = mapped_column(DateTime(timezone=True), nullable=True)
    refreshed_at: Mapped[object | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(40), nullable=True)
    # While an administrator is connecting: the PKCE verifier (encrypted) and a hash of the OAuth state.
    oauth_verifier_enc: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    oauth_state_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    oauth_started_at: Mapped[object | None] = mapped_column(DateTime(timezone=True), nullable=True)

    unit = relationship(Unit, lazy="joined")

    @property
    def unit_path(self):
        return self.unit.path

    @property
    def connected(self):
        return self.refresh_token_enc is not None and not self.needs_reauth


@encrypted_columns("body_enc", label="bản ghi Zalo")
class WebhookDelivery(TenantScoped, db.Model):
    """One accepted delivery. Readable: app id, event name, key and times; the body is encrypted and set to
    NULL once processed. `dedup_key` is unique, so a retried delivery can never be stored twice."""

    __tablename__ = "zalo_webhook_deliveries"
    __table_args__ = (Index("ix_zalo_webhook_deliveries_pending", "processed_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    app_id: Mapped[str] = mapped_column(String(32), index=True)
    event_name: Mapped[str] = mapped_column(String(64))
    dedup_key: Mapped[str] = mapped_column(String(200), unique=True)
    received_at: Mapped[object] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    processed_at: Mapped[object | None] = mapped_column(DateTime(timezone=True), nullable=True)
    body_enc: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[object | None] = mapped_column(DateTime(timezone=True), nullable=True)
    error: Mapped[str | None] = mapped_column(String(40), nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(20), nullable=True)


@encrypted_columns("text_enc", label="bản ghi Zalo")
class Outbox(TenantScoped, db.Model):
    """A message on its way to a citizen through the tip's OA. `text_enc` overrides the stored message body
    (the automatic reply carries the tip's secret, which is never stored in the thread) and is dropped once
    sent. `sent_ids` are Zalo's ids of the parts already accepted, so a retry never sends a part twice."""

    __tablename__ = "zalo_outbox"
    __table_args__ = (Index("ix_zalo_outbox_due", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("tip_messages.id", ondelete="CASCADE"), unique=True)
    tip_id: Mapped[int] = mapped_column(ForeignKey("tips.id", ondelete="CASCADE"), index=True)
    text_enc: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    state: Mapped[str] = mapped_column(String(15), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[object | None] = mapped_column(DateTime(timezone=True), nullable=True)
    claimed_until: Mapped[object | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(40), nullable=True)
    sent_ids: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[object] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[object | None] = mapped_column(DateTime(timezone=True), nullable=True)

    message = relationship("TipMessage")


class MessageRef(TenantScoped, db.Model):
    """A Zalo message id of ours (a part of an outgoing message), or a receipt that arrived before we knew
    the id (`tip_message_id` NULL, `state` kept until the send records it)."""

    __tablename__ = "zalo_message_refs"
    __table_args__ = (UniqueConstraint("tenant_id", "msg_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    msg_id: Mapped[str] = mapped_column(String(64))
    tip_message_id: Mapped[int | None] = mapped_column(ForeignKey("tip_messages.id", ondelete="CASCADE"),
                                                       nullable=True, index=True)
    state: Mapped[str | None] = mapped_column(String(15), nullable=True)
    created_at: Mapped[object] = mapped_column(DateTime(timezone=True), default=utcnow)


@encrypted_columns("url_enc", label="bản ghi Zalo")
class MediaFetch(TenantScoped, db.Model):
    """An attachment named in an event, fetched by a job; the URL is encrypted and dropped once settled."""

    __tablename__ = "zalo_media_fetches"
    __table_args__ = (UniqueConstraint("message_id", "position"), Index("ix_zalo_media_due", "state",
                                                                         "next_attempt_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    tip_id: Mapped[int] = mapped_column(ForeignKey("tips.id", ondelete="CASCADE"), index=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("tip_messages.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(10))
    url_enc: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    state: Mapped[str] = mapped_column(String(10), default="pending")  # pending, done, refused, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[object | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(40), nullable=True)
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("tip_attachments.id", ondelete="SET NULL"),
                                                      nullable=True)
    created_at: Mapped[object] = mapped_column(DateTime(timezone=True), default=utcnow)


class Withdrawal(TenantScoped, db.Model):
    """A citizen's `user_withdraw`, kept as a keyed hash of their id and the event time only, so a delivery
    dated before it that arrives late does not bring their identity back."""

    __tablename__ = "zalo_withdrawals"
    __table_args__ = (UniqueConstraint("tenant_id", "user_index"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_index: Mapped[str] = mapped_column(String(64))
    withdrawn_ms: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[object] = mapped_column(DateTime(timezone=True), default=utcnow)


class ZaloArticle(TenantScoped, db.Model):
    """A post mirrored as an article of its unit's OA. `action` is what remains to do (publish, update,
    remove); `state` and `error_code` are what the post's page shows (mirrored into Post.zalo_state)."""

    __tablename__ = "zalo_articles"
    __table_args__ = (Index("ix_zalo_articles_due", "action", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), unique=True)
    oa_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    article_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    token: Mapped[str | None] = mapped_column(String(128), nullable=True)
    action: Mapped[str | None] = mapped_column(String(10), nullable=True)
    state: Mapped[str] = mapped_column(String(20), default="queued")
    error_code: Mapped[str | None] = mapped_column(String(40), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[object | None] = mapped_column(DateTime(timezone=True), nullable=True)
    updated_at: Mapped[object] = mapped_column(DateTime(timezone=True), default=utcnow)
