"""Public addresses of units, posts and media (absolute, for feeds, Open Graph and the API)."""
from flask import url_for

from tenants.models import tenant_slug


def unit_url(unit, external=True, **args):
    return url_for("content_public.unit_page", slug=tenant_slug(unit.tenant_id), code=unit.code,
                   _external=external, **args)


def post_url(post, external=True):
    return url_for("content_public.post_page", slug=tenant_slug(post.tenant_id), code=post.unit.code,
                   post_id=post.id, _external=external)


def media_url(media, thumbnail=False, external=False):
    key = media.thumbnail_key if thumbnail else media.key
    return url_for("content_public.media_file", slug=tenant_slug(media.tenant_id), media_id=media.id,
                   variant="thumb" if thumbnail else "full", ext=key.rsplit(".", 1)[-1], _external=external)


def avatar_url(unit, external=False):
    if not unit.avatar_path:
        return None
    return url_for("content_public.unit_avatar", slug=tenant_slug(unit.tenant_id), code=unit.code,
                   name=unit.avatar_path.rsplit("/", 1)[-1], _external=external)
