"""Post media and unit avatars: checked by content (`core.media`), kept in `core.storage`.

Keys: `posts/<tenant>/<unit>/<random>.<ext>` (and `-thumb`), `units/<tenant>/<unit>/avatar-<random>.<ext>`.
The random part makes every upload a new object, so a cached old image is never served for a new one.
"""
import secrets

from flask import current_app

from content.models import EDITABLE, Media
from core import audit
from core.errors import AppError, Conflict
from core.extensions import db
from core.media import MediaError, check_upload
from core.permissions import require
from core.storage import LocalStorage

EXTENSION_MIME = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp", "mp4": "video/mp4"}


def media_storage():
    """The public media store (an S3-compatible store can replace it behind the same interface)."""
    return LocalStorage(current_app.config["MEDIA_ROOT"])


def check(source):
    """`core.media.check_upload`, its refusals turned into the app's 413/415 answers."""
    try:
        return check_upload(source)
    except MediaError as error:
        raise AppError(error.message, fields={"file": [error.message]}, code=error.code,
                       status=error.status) from None


def _store(checked, prefix):
    storage = media_storage()
    stem = f"{prefix}-{secrets.token_hex(8)}"
    key = storage.save(f"{stem}.{checked.extension}", checked.data)
    thumbnail_key = None
    if checked.thumbnail is not None:
        thumbnail_key = storage.save(f"{stem}-thumb.{checked.extension}", checked.thumbnail)
    return key, thumbnail_key


def attach_media(user, post, source, make_cover=False):
    """Check and store an upload for `post`. The post's text is untouched whatever happens here.

    The first image of a post without a cover becomes its cover, so a photo taken on a phone shows up
    without a second step.
    """
    require(user, "post.edit", post)
    if post.status not in EDITABLE:
        raise Conflict("Hãy ẩn bài trước khi thêm ảnh hoặc video.", {"status": [post.status]})
    checked = check(source)
    key, thumbnail_key = _store(checked, f"posts/{post.tenant_id}/{post.unit_id}/m")
    media = Media(unit_id=post.unit_id, post_id=post.id, kind=checked.kind, mime=checked.mime, key=key,
                  thumbnail_key=thumbnail_key, sha256=checked.sha256, size=checked.size, width=checked.width,
                  height=checked.height, uploaded_by_id=getattr(user, "id", None))
    db.session.add(media)
    db.session.flush()
    if checked.kind == "image" and (make_cover or post.cover_media_id is None):
        post.cover_media_id = media.id
    audit.record("post.media_add", target=post, details={"media_id": media.id, "kind": media.kind})
    db.session.flush()
    return media


def store_avatar(unit, source):
    """A unit's avatar: an image only (415 otherwise); returns the storage key for `Unit.avatar_path`."""
    checked = check(source)
    if checked.kind != "image":
        message = "Ảnh đại diện phải là ảnh JPEG, PNG hoặc WebP."
        raise AppError(message, fields={"avatar": [message]}, status=415, code="unsupported_media_type")
    key = f"units/{unit.tenant_id}/{unit.id}/avatar-{secrets.token_hex(8)}.{checked.extension}"
    return media_storage().save(key, checked.thumbnail or checked.data)


def delete_stored(media):
    storage = media_storage()
    for key in (media.key, media.thumbnail_key):
        if key:
            storage.delete(key)
    db.session.delete(media)


def mime_of_key(key):
    return EXTENSION_MIME.get(key.rsplit(".", 1)[-1], "application/octet-stream")


def media_is_public(media):
    """Media of a published post is public; staff preview the rest through the same URL after `can()`."""
    return media.post is not None and media.post.status == "published"
