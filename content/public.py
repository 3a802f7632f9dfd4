"""What citizens see: published posts of a unit or a tenant, the search over them, and view counting."""
import re

from flask import request
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from content.models import Post, PostView
from core.clientip import hashed_client
from core.extensions import db
from core.markdown import fold
from core.tenancy import current_tenant_id
from core.timeutil import local_today
from hierarchy.models import Unit

# Crawlers, link previewers and automation: their fetches are not readers.
BOT_AGENTS = re.compile(
    r"bot|crawl|spider|slurp|preview|facebookexternalhit|embedly|headless|lighthouse|python-requests|"
    r"python-urllib|curl|wget|httpclient|okhttp|go-http-client|scrapy|feedfetcher|monitor",
    re.IGNORECASE)


def published():
    return select(Post).where(Post.status == "published")


def unit_posts(unit, kind=None):
    """The unit's published posts: pinned first, then newest first."""
    statement = published().where(Post.unit_id == unit.id)
    if kind:
        statement = statement.where(Post.kind == kind)
    return statement.order_by(Post.pinned.desc(), Post.published_at.desc(), Post.id.desc())


def procedure_guides(unit, limit=8):
    """Procedure posts of the unit and of the units above it: a commune's page also shows the province's
    guidance on ID cards, residence and vehicle registration. One post per title (the nearest unit's, then
    the newest), since several units often publish the same guidance."""
    paths = Unit.ancestor_paths(unit.path)
    statement = (published().join(Unit, Unit.id == Post.unit_id)
                 .where(Post.kind == "procedure", Unit.path.in_(paths))
                 .order_by(Unit.depth.desc(), Post.pinned.desc(), Post.published_at.desc()).limit(limit * 4))
    guides = {}
    for post in db.session.execute(statement).scalars():
        guides.setdefault(post.title.strip().lower(), post)
    return list(guides.values())[:limit]


def latest_posts(unit=None, limit=30):
    """Newest first, for the feeds; the tenant feed when `unit` is None."""
    statement = published()
    if unit is not None:
        statement = statement.where(Post.unit_id == unit.id)
    return db.session.execute(statement.order_by(Post.published_at.desc(), Post.id.desc()).limit(limit)
                              ).scalars().all()


def search_posts(query, kind=None):
    """Published posts containing every word of `query`, diacritics and case ignored."""
    words = fold(query).split()[:8]
    statement = published()
    for word in words:
        statement = statement.where(Post.search_text.contains(word, autoescape=True))
    if kind:
        statement = statement.where(Post.kind == kind)
    return statement.order_by(Post.published_at.desc(), Post.id.desc())


def child_units(unit):
    return db.session.execute(select(Unit).where(Unit.parent_id == unit.id, Unit.active.is_(True))
                              .order_by(Unit.sort_order, Unit.code)).scalars().all()


def is_bot(user_agent):
    return not user_agent or bool(BOT_AGENTS.search(user_agent))


def count_view(post):
    """Count one view per visitor per post per local day (visitors as daily-salted hashes; bots skipped).
    Returns whether this view was counted."""
    from metrics.events import record

    if is_bot(request.headers.get("User-Agent", "")):
        return False
    day = local_today()
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(PostView).values(tenant_id=current_tenant_id(), post_id=post.id, day=day,
                                        visitor=hashed_client(day)).on_conflict_do_nothing()
    # RETURNING says whether a row went in (rowcount is not reliable for ORM-enabled inserts on every driver).
    if db.session.execute(statement.returning(PostView.id)).first() is None:
        return False
    record("post_views", post.unit, subject=post)
    return True
