"""Public pages (no sign-in): a tenant's index, a unit's page, a post, the search, feeds and media.

The tenant comes from the URL slug (looked up under the platform scope), then the request runs in that
tenant's scope like any other, so every query below is scoped.
"""
from flask import Blueprint, Response, abort, current_app, g, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from sqlalchemy import select

from content import public
from content.feeds import build_feed
from content.media import media_is_public, media_storage, mime_of_key
from content.models import KINDS, Media, Post
from content.services import paginate_posts
from content.urls import unit_url
from core.extensions import db
from core.pagination import clamp_page
from core.permissions import can
from core.tenancy import load, set_request_tenant
from core.urls import public_base, public_url
from hierarchy.models import Unit
from hierarchy.services import formed_from, merged_from, root_unit, unit_by_code
from tenants.models import tenant_by_slug

bp = Blueprint("content_public", __name__, template_folder="templates", url_prefix="/p")
PER_PAGE = 10


@bp.before_request
def _resolve_tenant():
    slug = (request.view_args or {}).get("slug")
    tenant = tenant_by_slug(slug) if slug else None
    if tenant is None or tenant.carried_into_id is not None:  # a carried tenant's addresses redirect (tenants)
        abort(404)
    set_request_tenant(tenant.id)
    g.public_tenant = tenant


def _unit(code):
    return _active(unit_by_code(code))


def _active(unit):
    if unit is None or not unit.active:
        abort(404)
    return unit


def _merged_redirect(unit, endpoint, **args):
    """A 301 to the same page at the active unit a merged unit's page moved to (following later merges too),
    or None when the unit was not merged."""
    seen = set()
    while unit is not None and not unit.active and unit.merged_into_id and unit.id not in seen:
        seen.add(unit.id)
        unit = unit.merged_into
    if not seen or unit is None or not unit.active:
        return None
    return redirect(url_for(endpoint, slug=g.public_tenant.slug, code=unit.code, **args), 301)


def _page_arg():
    return min(clamp_page(request.args.get("page")), 1000)


def _kind_arg():
    kind = request.args.get("kind")
    return kind if kind in KINDS else None


@bp.get("/<slug>")
def tenant_index(slug):
    root = root_unit()
    if root is None:
        abort(404)
    children = public.child_units(root)
    latest = public.latest_posts(limit=8)
    return render_template("content/public/index.html", tenant=g.public_tenant, root=root,
                           departments=[u for u in children if u.kind == "department"],
                           districts=[u for u in children if u.kind != "department"], latest=latest)


@bp.get("/<slug>/<code>")
def unit_page(slug, code):
    unit = unit_by_code(code)
    moved = _merged_redirect(unit, "content_public.unit_page")
    if moved is not None:
        return moved
    unit = _active(unit)
    kind, page = _kind_arg(), _page_arg()
    result = paginate_posts(public.unit_posts(unit, kind), page, PER_PAGE)
    return render_template("content/public/unit.html", tenant=g.public_tenant, unit=unit, posts=result["items"],
                           total=result["total"], page=page, per_page=PER_PAGE, kind=kind, kinds=KINDS,
                           guides=public.procedure_guides(unit), children=public.child_units(unit),
                           formed_from=formed_from(unit, g.public_tenant), merged_from=merged_from(unit),
                           tip_form=_has_template("inbox/_tip_form.html"))


def _has_template(name):
    """The tip form is the inbox package's; without it the page links to the tip page instead."""
    return name in current_app.jinja_env.list_templates()


@bp.get("/<slug>/<code>/bai-viet/<int:post_id>")
def post_page(slug, code, post_id):
    unit = unit_by_code(code)
    moved = _merged_redirect(unit, "content_public.post_page", post_id=post_id)
    if moved is not None:
        return moved
    unit = _active(unit)
    post = load(Post, post_id, unit_id=unit.id, status="published")
    if post is None:
        abort(404)
    public.count_view(post)
    db.session.commit()
    return render_template("content/public/post.html", tenant=g.public_tenant, unit=unit, post=post,
                           gallery=[m for m in post.media if m.id != post.cover_media_id])


@bp.get("/<slug>/tim-kiem")
def search(slug):
    query = (request.args.get("q") or "").strip()[:100]
    page, kind = _page_arg(), _kind_arg()
    result = {"items": [], "total": 0}
    if query:
        result = paginate_posts(public.search_posts(query, kind), page, PER_PAGE)
    return render_template("content/public/search.html", tenant=g.public_tenant, query=query, kind=kind,
                           kinds=KINDS, posts=result["items"], total=result["total"], page=page,
                           per_page=PER_PAGE)


def _atom(body):
    return Response(body, mimetype="application/atom+xml", headers={"Cache-Control": "public, max-age=300"})


def _unit_names(posts):
    ids = {post.unit_id for post in posts}
    rows = db.session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(ids))).all() if ids else []
    return dict(rows)


@bp.get("/<slug>/<code>/feed.atom")
def unit_feed(slug, code):
    unit = _unit(code)
    posts = public.latest_posts(unit)
    return _atom(build_feed(unit.name, f"tag:ket-noi,2025:{slug}/unit/{unit.code}",
                            public_url("content_public.unit_feed", slug=slug, code=unit.code),
                            unit_url(unit), posts, {unit.id: unit.name}, public_base() + "/"))


@bp.get("/<slug>/feed.atom")
def tenant_feed(slug):
    tenant = g.public_tenant
    posts = public.latest_posts()
    root = root_unit()
    return _atom(build_feed(tenant.name, f"tag:ket-noi,2025:{slug}",
                            public_url("content_public.tenant_feed", slug=slug), unit_url(root), posts,
                            _unit_names(posts), public_base() + "/"))


def _send_stored(key, mime, cache, download_name):
    storage = media_storage()
    try:
        source = storage.path(key) if hasattr(storage, "path") else storage.open(key)
        inline = mime.startswith("image/")
        response = send_file(source, mimetype=mime, conditional=True, as_attachment=not inline,
                             download_name=download_name, max_age=None)
    except FileNotFoundError:
        abort(404)
    response.headers["Cache-Control"] = cache
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/<slug>/media/<int:media_id>/<any(full, thumb):variant>.<ext>")
def media_file(slug, media_id, variant, ext):
    """Media of a published post, for anyone; other media only for staff who may view the post."""
    media = load(Media, media_id)
    key = media and (media.thumbnail_key if variant == "thumb" else media.key)
    if not key or key.rsplit(".", 1)[-1] != ext:
        abort(404)
    if media_is_public(media):
        cache = "public, max-age=86400"
    elif current_user.is_authenticated and current_user.tenant_id == g.public_tenant.id \
            and can(current_user, "post.view", media):
        cache = "private, no-store"
    else:
        abort(404)
    mime = media.mime if variant == "full" else mime_of_key(key)
    return _send_stored(key, mime, cache, f"{media.kind}-{media.id}.{ext}")


@bp.get("/<slug>/<code>/avatar/<name>")
def unit_avatar(slug, code, name):
    unit = _unit(code)
    if not unit.avatar_path or unit.avatar_path.rsplit("/", 1)[-1] != name:
        abort(404)
    return _send_stored(unit.avatar_path, mime_of_key(name), "public, max-age=86400", name)
