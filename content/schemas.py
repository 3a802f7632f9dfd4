"""JSON shapes of posts, revisions and media; input schemas refuse unknown fields (422 naming them)."""
import marshmallow as ma

from content.models import BODY_MAX, KINDS, STATUSES, TITLE_MAX
from core.api import PageArgs, PatchSchema, StrictSchema
from core.timeutil import LOCAL_TZ, isoformat


class LocalTime(ma.fields.Field):
    """Output only: ISO 8601 in Asia/Ho_Chi_Minh with its offset."""

    def _serialize(self, value, attr, obj, **kwargs):
        return isoformat(value)


def _title(required=False):
    return ma.fields.String(required=required, validate=ma.validate.Length(min=1, max=TITLE_MAX, error=(
        f"Tiêu đề phải có từ 1 đến {TITLE_MAX} ký tự.")))


_BODY = {"validate": ma.validate.Length(max=BODY_MAX, error=f"Nội dung tối đa {BODY_MAX} ký tự.")}
_KIND = {"validate": ma.validate.OneOf(KINDS, error="Loại bài phải là một trong: " + ", ".join(KINDS) + ".")}
_ZALO = {"metadata": {"description": "Đăng cả lên Zalo OA: khi bài được đăng, bài cũng thành bài viết trên "
                                     "Official Account của đơn vị (đơn vị phải đã liên kết OA; không thì 422)."}}


class PostCreateSchema(StrictSchema):
    title = _title(required=True)
    body = ma.fields.String(load_default="", **_BODY)
    kind = ma.fields.String(load_default="news", **_KIND)
    pinned = ma.fields.Boolean(load_default=False)
    zalo_publish = ma.fields.Boolean(load_default=False, **_ZALO)

    @ma.validates("title")
    def _not_blank(self, value, **_kwargs):
        if not value.strip():
            raise ma.ValidationError("Tiêu đề không được để trống.")


class PostUpdateSchema(PatchSchema):
    title = _title()
    body = ma.fields.String(**_BODY)
    kind = ma.fields.String(**_KIND)
    pinned = ma.fields.Boolean()
    cover_media_id = ma.fields.Integer(allow_none=True)
    zalo_publish = ma.fields.Boolean(**_ZALO)

    @ma.validates("title")
    def _not_blank(self, value, **_kwargs):
        if not value.strip():
            raise ma.ValidationError("Tiêu đề không được để trống.")


class PublishSchema(StrictSchema):
    at = ma.fields.AwareDateTime(default_timezone=LOCAL_TZ, allow_none=True, load_default=None,
                                 metadata={"description": "ISO 8601; in the future to schedule, absent to publish now"})


class RejectSchema(StrictSchema):
    reason = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=1000))


class EmptySchema(StrictSchema):
    """Lifecycle actions without arguments still refuse unknown fields."""


class PostListArgs(PageArgs):
    status = ma.fields.String(validate=ma.validate.OneOf(STATUSES))
    kind = ma.fields.String(**_KIND)
    subtree = ma.fields.Boolean(load_default=False, metadata={"description": "include the units below"})
    q = ma.fields.String(validate=ma.validate.Length(max=100))


class MediaSchema(ma.Schema):
    id = ma.fields.Integer()
    post_id = ma.fields.Integer()
    kind = ma.fields.String()
    mime = ma.fields.String()
    size = ma.fields.Integer()
    width = ma.fields.Integer(allow_none=True)
    height = ma.fields.Integer(allow_none=True)
    sha256 = ma.fields.String()
    url = ma.fields.Method("_url")
    thumbnail_url = ma.fields.Method("_thumbnail_url")

    def _url(self, media):
        from content.urls import media_url

        return media_url(media)

    def _thumbnail_url(self, media):
        from content.urls import media_url

        return media_url(media, thumbnail=True) if media.thumbnail_key else None


class PostSchema(ma.Schema):
    id = ma.fields.Integer()
    unit_id = ma.fields.Integer()
    author_id = ma.fields.Integer(allow_none=True)
    title = ma.fields.String()
    body = ma.fields.String()
    body_html = ma.fields.String()
    summary = ma.fields.String()
    kind = ma.fields.String()
    status = ma.fields.String()
    pinned = ma.fields.Boolean()
    cover_media_id = ma.fields.Integer(allow_none=True)
    publish_at = LocalTime()
    published_at = LocalTime()
    submitted_at = LocalTime()
    approved_at = LocalTime()
    approved_by_id = ma.fields.Integer(allow_none=True)
    reject_reason = ma.fields.String()
    zalo_publish = ma.fields.Boolean(**_ZALO)
    zalo_article_id = ma.fields.String(allow_none=True)
    zalo_state = ma.fields.String(allow_none=True)
    created_at = LocalTime()
    updated_at = LocalTime()
    media = ma.fields.List(ma.fields.Nested(MediaSchema))
    public_url = ma.fields.Method("_public_url")

    def _public_url(self, post):
        from content.urls import post_url

        return post_url(post) if post.status == "published" else None


class PostListItemSchema(PostSchema):
    class Meta:
        exclude = ("body", "body_html", "media")
