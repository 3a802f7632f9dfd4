"""Posts of a unit's page, their revisions, uploaded media and the view-dedup table."""
from datetime import date

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.tenancy import TenantScoped
from core.timeutil import utcnow

KINDS = ("news", "warning", "procedure", "notice")
STATUSES = ("draft", "in_review", "approved", "scheduled", "published", "hidden")
# A published, approved or scheduled post is not edited in place: hide it first (it becomes a draft again
# on the next edit and goes through review anew). Only `pinned` may change at any time.
EDITABLE = {"draft", "in_review", "hidden"}
TITLE_MAX = 200
BODY_MAX = 100_000


class Media(TenantScoped, db.Model):
    """An accepted upload (re-encoded image or checked MP4) kept in `core.storage` under `key`."""

    __tablename__ = "content_media"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    # The post it belongs to; None for a unit's avatar.
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE", use_alter=True),
                                                index=True, nullable=True)
    kind: Mapped[str] = mapped_column(String(10))  # image | video
    mime: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(255))
    thumbnail_key: Mapped[str | None] = mapped_column(String(255), nullable=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer, default=0)
    width: Mapped[int | None] = mapped_column(Integer, nullable=True)
    height: Mapped[int | None] = mapped_column(Integer, nullable=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[object] = mapped_column(DateTime(timezone=True), default=utcnow)

    unit = relationship("Unit", lazy="joined")
    post = relationship("Post", foreign_keys=[post_id], back_populates="media")

    @property
    def unit_path(self):
        return self.unit.path


class Post(TenantScoped, db.Model):
    __tablename__ = "posts"
    __table_args__ = (
        Index("ix_posts_tenant_status_published", "tenant_id", "status", "published_at"),
        Index("ix_posts_unit_status", "unit_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    body: Mapped[str] = mapped_column(Text, default="")
    # Rendered and sanitised once per edit; the public pages never render Markdown on read.
    body_html: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(String(300), default="")
    # Folded title + text (no diacritics, lower case) for the public search.
    search_text: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(20), default="news")
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    cover_media_id: Mapped[int | None] = mapped_column(ForeignKey("content_media.id", ondelete="SET NULL"),
                                                       nullable=True)
    publish_at: Mapped[object | None] = mapped_column(DateTime(timezone=True), nullable=True, index=True)
    published_at: Mapped[object | None] = mapped_column(DateTime(timezone=True), nullable=True)
    submitted_at: Mapped[object | None] = mapped_column(DateTime(timezone=True), nullable=True)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    approved_at: Mapped[object | None] = mapped_column(DateTime(timezone=True), nullable=True)
    reject_reason: Mapped[str] = mapped_column(String(1000), default="")
    # "Đăng cả lên Zalo OA": publishing the post also makes it an article of its unit's Official Account.
    zalo_publish: Mapped[bool] = mapped_column(Boolean, default=False)
    # Filled by the Zalo package when the post is mirrored as an OA article.
    zalo_article_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    zalo_state: Mapped[str | None] = mapped_column(String(20), nullable=True)
    created_at: Mapped[object] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[object] = mapped_column(DateTime(timezone=True), default=utcnow)

    unit = relationship("Unit", lazy="joined")
    author = relationship("User", foreign_keys=[author_id])
    cover = relationship(Media, foreign_keys=[cover_media_id], post_update=True)
    media = relationship(Media, foreign_keys=[Media.post_id], back_populates="post", order_by=Media.id,
                         passive_deletes=True)
    revisions = relationship("PostRevision", back_populates="post", order_by="PostRevision.number",
                             cascade="all, delete-orphan", passive_deletes=True)

    @property
    def unit_path(self):
        return self.unit.path


class PostRevision(TenantScoped, db.Model):
    """A snapshot of title and body after each create or edit; consecutive snapshots give the diff."""

    __tablename__ = "post_revisions"
    __table_args__ = (UniqueConstraint("post_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[object] = mapped_column(DateTime(timezone=True), default=utcnow)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    body: Mapped[str] = mapped_column(Text, default="")

    post = relationship(Post, back_populates="revisions")
    author = relationship("User")


class PostView(TenantScoped, db.Model):
    """One row per (post, local day, hashed visitor): a second view that day is not counted again."""

    __tablename__ = "post_views"
    __table_args__ = (UniqueConstraint("post_id", "day", "visitor"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date, index=True)
    visitor: Mapped[str] = mapped_column(String(32))
