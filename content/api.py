"""The posts API: `/api/v1/units/<id>/posts`, `/api/v1/posts/<id>` and its lifecycle actions and media.

Every handler is the same pipeline: load (404) → service (which checks `can()`: 404 out of scope, 403
without the right) → commit → answer. The jobs the services queue (scheduled publishing, Zalo articles)
are enqueued by the commit.
"""
from flask import request
from flask.views import MethodView
from flask_login import current_user, login_required
from flask_smorest.fields import Upload

from content import lifecycle, services
from content.media import attach_media
from content.models import Post
from content.schemas import (
    EmptySchema,
    MediaSchema,
    PostCreateSchema,
    PostListArgs,
    PostListItemSchema,
    PostSchema,
    PostUpdateSchema,
    PublishSchema,
    RejectSchema,
)
from core.api import Blueprint, StrictSchema, page_schema
from core.errors import Invalid, NotFound
from core.extensions import db
from core.permissions import require
from core.tenancy import load
from hierarchy.models import Unit

blp = Blueprint("content_api", __name__, url_prefix="/api/v1", description="Bài viết của trang đơn vị")


def load_post(post_id):
    post = load(Post, post_id)
    if post is None:
        raise NotFound()
    return post


def _load_unit(unit_id):
    unit = load(Unit, unit_id)
    if unit is None:
        raise NotFound()
    return unit


@blp.route("/units/<int:unit_id>/posts")
class UnitPosts(MethodView):
    @blp.arguments(PostListArgs, location="query")
    @blp.response(200, page_schema(PostListItemSchema, "PostPage"))
    @login_required
    def get(self, args, unit_id):
        """Posts of the unit (`subtree=true`: and of the units below it)."""
        unit = require(current_user, "post.view", _load_unit(unit_id))
        statement = services.posts_in_scope(current_user, unit=unit, status=args.get("status"),
                                            kind=args.get("kind"), subtree=args["subtree"], query=args.get("q"))
        return services.paginate_posts(statement, args["page"], args["per_page"])

    @blp.arguments(PostCreateSchema)
    @blp.response(201, PostSchema)
    @login_required
    def post(self, data, unit_id):
        """A new draft of the unit."""
        post = services.create_post(current_user, _load_unit(unit_id), data)
        db.session.commit()
        return post


@blp.route("/posts/<int:post_id>")
class OnePost(MethodView):
    @blp.response(200, PostSchema)
    @login_required
    def get(self, post_id):
        return require(current_user, "post.view", load_post(post_id))

    @blp.arguments(PostUpdateSchema)
    @blp.response(200, PostSchema)
    @login_required
    def patch(self, data, post_id):
        """Edit a draft, a post in review or a hidden post (a hidden post becomes a draft again); approved,
        scheduled and published posts answer 409 — hide them first. `pinned` alone may change any time."""
        post = services.update_post(current_user, load_post(post_id), data)
        db.session.commit()
        return post

    @blp.response(204)
    @login_required
    def delete(self, post_id):
        """Delete a draft (409 for any other status)."""
        services.delete_post(current_user, load_post(post_id))
        db.session.commit()


def _lifecycle_route(action, schema, handler, doc):
    @blp.route(f"/posts/<int:post_id>/{action}", methods=["POST"], endpoint=f"post_{action}")
    @blp.arguments(schema)
    @blp.response(200, PostSchema)
    @blp.doc(summary=doc)
    @login_required
    def view(data, post_id):
        post = handler(load_post(post_id), data)
        db.session.commit()
        return post

    view.__name__ = f"post_{action}"
    return view


_lifecycle_route("submit", EmptySchema, lambda post, _d: lifecycle.submit(current_user, post),
                 "Gửi duyệt: draft/hidden → in_review")
_lifecycle_route("approve", EmptySchema, lambda post, _d: lifecycle.approve(current_user, post),
                 "Duyệt: in_review → approved (không đăng)")
_lifecycle_route("reject", RejectSchema, lambda post, d: lifecycle.reject(current_user, post, d["reason"]),
                 "Trả lại kèm lý do: in_review/approved → draft")
_lifecycle_route("publish", PublishSchema, lambda post, d: lifecycle.publish(current_user, post, d.get("at")),
                 "Đăng ngay, hoặc lên lịch với `at` trong tương lai (422 nếu đã qua)")
_lifecycle_route("hide", EmptySchema, lambda post, _d: lifecycle.hide(current_user, post),
                 "Ẩn: approved/scheduled/published → hidden")


class UploadSchema(StrictSchema):
    file = Upload(required=True)


@blp.route("/posts/<int:post_id>/media", methods=["POST"])
@blp.arguments(UploadSchema, location="files")
@blp.response(201, MediaSchema)
@login_required
def upload_media(files, post_id):
    """Multipart `file`: JPEG/PNG/WebP ≤ 10 MB (re-encoded without EXIF) or MP4 ≤ 100 MB; else 415/413.
    Form field `cover=1` makes an image the post's cover (the first image becomes it anyway)."""
    if not files["file"].filename and not files["file"].content_length:
        raise Invalid(fields={"file": ["Chưa chọn tệp."]})
    make_cover = request.form.get("cover") in ("1", "true", "on")
    media = attach_media(current_user, load_post(post_id), files["file"].stream, make_cover=make_cover)
    db.session.commit()
    return media
