"""Public addresses of units, posts and media (absolute ones on PUBLIC_BASE_URL, for feeds, Open Graph and the
API; never on the request's Host)."""
from flask import url_for

from core.urls import public_url
from tenants.models import tenant_slug


def _url(external, endpoint, **values):
    return public_url(endpoint, **values) if external else url_for(endpoint, **values)


def unit_url(unit, external=True, **args):
    return _url(external, "content_public.unit_page", slug=tenant_slug(unit.tenant_id), code=unit.code, **args)


def post_url(post, external=True):
    return _url(external, "content_public.post_page", slug=tenant_slug(post.tenant_id), code=post.unit.code,
                post_id=post.id)


def media_url(media, thumbnail=False, external=False):
    key = media.thumbnail_key if thumbnail else media.key
    return _url(external, "content_public.media_file", slug=tenant_slug(media.tenant_id), media_id=media.id,
                variant="thumb" if thumbnail else "full", ext=key.rsplit(".", 1)[-1])


def avatar_url(unit, external=False):
    if not unit.avatar_path:
        return None
    return _url(external, "content_public.unit_avatar", slug=tenant_slug(unit.tenant_id), code=unit.code,
                name=unit.avatar_path.rsplit("/", 1)[-1])
