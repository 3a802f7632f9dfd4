"""What content does when the tree is re-organised (`hierarchy.signals`)."""
from sqlalchemy import func, select

from content.models import Media, Post
from core.extensions import db
from hierarchy.models import Unit
from hierarchy.signals import count_contents, follow, unit_merged


@unit_merged.connect
def _follow_merged_units(_sender, pairs, **_kwargs):
    """A merged unit's posts and media appear on the target's page (its old address redirects there)."""
    follow(Post, pairs)
    follow(Media, pairs)


@count_contents.connect
def _count_posts(_sender, where, **_kwargs):
    statement = select(func.count(Post.id)).join(Unit, Unit.id == Post.unit_id).where(where)
    return {"posts": db.session.execute(statement).scalar_one()}
