"""Writing posts: create, edit (with a revision per change), delete drafts, list and diff revisions.

Services flush, never commit; the request, job or CLI command commits once. Permission checks happen here
(through `core.permissions.require`) so views, the API and jobs cannot forget them.
"""
import difflib
import html
import re

import nh3
from sqlalchemy import func, select

from content.models import EDITABLE, Media, Post, PostRevision
from core import audit
from core.errors import Conflict, Invalid
from core.extensions import db
from core.markdown import fold, render_markdown
from core.permissions import require, scope_clause
from core.timeutil import utcnow

# `zalo_publish` is reviewed with the rest: an approver approves where the post goes, not only what it says.
CONTENT_FIELDS = ("title", "body", "kind", "cover_media_id", "zalo_publish")


_BLOCK_END = re.compile(r"</(?:p|li|h[2-4]|td|th|blockquote|pre)>|<br\s*/?>")
_SPACES = re.compile(r"\s+")
SUMMARY_MAX = 280


def render_post(post):
    """Refresh the cached HTML, the summary and the folded search text from title and body.

    One Markdown pass: the summary and the search text are the text of the sanitised HTML, so what a
    reader sees is what search finds (and the demo's hundreds of posts render quickly)."""
    post.body_html = str(render_markdown(post.body or ""))
    text = html.unescape(nh3.clean(_BLOCK_END.sub(" ", post.body_html), tags=set(), attributes={}))
    text = _SPACES.sub(" ", text).strip()
    post.summary = _cut(text, SUMMARY_MAX)
    post.search_text = fold(f"{post.title}\n{text}")


def _cut(text, limit):
    """At most `limit` characters, cut at a word boundary with '…' (as `core.markdown.plain_text` does)."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2:]:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,.;:-") + "…"


def new_post(user, unit, data, at=None):
    """A draft of `unit` with its first revision, not yet added to the session (bulk creation adds many)."""
    at = at or utcnow()
    post = Post(unit=unit, unit_id=unit.id, author_id=getattr(user, "id", None), title=data["title"],
                body=data.get("body") or "", kind=data.get("kind") or "news", pinned=bool(data.get("pinned")),
                zalo_publish=bool(data.get("zalo_publish")), status="draft", created_at=at, updated_at=at)
    render_post(post)
    post.revisions.append(PostRevision(number=1, author_id=post.author_id, created_at=at, title=post.title,
                                       body=post.body))
    return post


def create_post(user, unit, data):
    """A new draft of `unit` from validated `data` (title, body, kind, pinned, zalo_publish)."""
    require(user, "post.edit", unit)
    if data.get("zalo_publish"):
        _check_zalo(unit)
    post = new_post(user, unit, data)
    db.session.add(post)
    db.session.flush()
    return post


def update_post(user, post, data):
    """Apply validated changes. Content changes need an editable status (409 otherwise); a post in review
    that is edited goes back to draft, to be submitted again."""
    require(user, "post.edit", post)
    content = {key: value for key, value in data.items() if key in CONTENT_FIELDS}
    changed_content = {key for key, value in content.items() if getattr(post, key) != value}
    if changed_content and post.status not in EDITABLE:
        raise Conflict("Bài đã duyệt, đã lên lịch hoặc đã đăng không sửa trực tiếp được: hãy ẩn bài rồi sửa.",
                       {"status": [post.status]})
    if "cover_media_id" in changed_content and content["cover_media_id"] is not None:
        _check_cover(post, content["cover_media_id"])
    if "zalo_publish" in changed_content and content["zalo_publish"]:
        _check_zalo(post.unit)
    for key in changed_content:
        setattr(post, key, content[key])
    if "pinned" in data:
        post.pinned = bool(data["pinned"])
    if changed_content & {"title", "body"}:
        render_post(post)
        _add_revision(post, user)
    if changed_content and post.status == "hidden":
        post.status = "draft"
    if changed_content and post.status == "in_review":
        # What a reviewer approves must be what gets published: an edit withdraws the post from review.
        post.status, post.submitted_at = "draft", None
        audit.record("post.withdraw", target=post, details={"status": "draft", "reason": "edited"})
    post.updated_at = utcnow()
    db.session.flush()
    return post


def _check_cover(post, media_id):
    media = db.session.execute(select(Media).where(Media.id == media_id, Media.post_id == post.id)
                               ).scalar_one_or_none()
    if media is None or media.kind != "image":
        raise Invalid("Ảnh bìa không hợp lệ.", {"cover_media_id": ["Phải là một ảnh đã tải lên cho bài này."]})


def _check_zalo(unit):
    if not unit.zalo_oa_id:
        raise Invalid("Đơn vị chưa liên kết Zalo OA.",
                      {"zalo_publish": ["Chỉ chọn được khi đơn vị đã liên kết một Zalo Official Account."]})


def delete_post(user, post):
    """Only drafts are deleted; anything that reached review stays, for the record."""
    require(user, "post.edit", post)
    if post.status != "draft":
        raise Conflict("Chỉ xoá được bài nháp.", {"status": [post.status]})
    audit.record("post.delete", target=post, details={"kind": post.kind})
    from content.media import delete_stored

    post.cover_media_id = None
    db.session.flush()
    for media in list(post.media):
        delete_stored(media)
    db.session.delete(post)
    db.session.flush()


def _add_revision(post, user):
    number = db.session.execute(select(func.coalesce(func.max(PostRevision.number), 0))
                                .where(PostRevision.post_id == post.id)).scalar_one() + 1
    revision = PostRevision(post_id=post.id, number=number, author_id=getattr(user, "id", None),
                            created_at=utcnow(), title=post.title, body=post.body)
    db.session.add(revision)
    return revision


def revision_diff(revision):
    """Unified diff lines (title then body) from the previous revision to this one."""
    previous = db.session.execute(select(PostRevision).where(
        PostRevision.post_id == revision.post_id, PostRevision.number == revision.number - 1)).scalar_one_or_none()
    old = f"# {previous.title}\n\n{previous.body}" if previous else ""
    new = f"# {revision.title}\n\n{revision.body}"
    return list(difflib.unified_diff(old.splitlines(), new.splitlines(), fromfile=f"r{revision.number - 1}",
                                     tofile=f"r{revision.number}", lineterm="", n=2))


def posts_in_scope(user, unit=None, status=None, kind=None, subtree=False, query=None):
    """SELECT of the posts `user` may view, newest change first, with the list filters."""
    from hierarchy.models import Unit

    statement = select(Post).join(Unit, Unit.id == Post.unit_id).where(scope_clause(user, "post.view", Unit.path))
    if unit is not None:
        statement = statement.where(Unit.in_subtree(unit.path) if subtree
                                    else Post.unit_id == unit.id)
    if status:
        statement = statement.where(Post.status == status)
    if kind:
        statement = statement.where(Post.kind == kind)
    if query:
        for word in fold(query).split():
            statement = statement.where(Post.search_text.contains(word, autoescape=True))
    return statement.order_by(Post.updated_at.desc(), Post.id.desc())


def review_queue(user):
    """SELECT of the posts in review that `user` may approve, across their subtrees, oldest first."""
    from sqlalchemy import and_, false, or_

    from content.policy import approver_anchors, review_policy
    from hierarchy.models import Unit

    policy = review_policy()
    anchors = approver_anchors(user, policy)
    strict = policy["approver_level"] == "ancestor"
    conditions = [and_(Unit.in_subtree(anchor),
                       or_(Unit.path != anchor, Unit.kind.notin_(policy["review_kinds"])) if strict else True)
                  for anchor in anchors]
    return (select(Post).join(Unit, Unit.id == Post.unit_id)
            .where(Post.status == "in_review", or_(*conditions) if conditions else false())
            .order_by(Post.submitted_at, Post.id))


def scheduled_posts(user):
    """SELECT of the scheduled posts `user` may view, soonest first (the calendar)."""
    from hierarchy.models import Unit

    return (select(Post).join(Unit, Unit.id == Post.unit_id)
            .where(Post.status == "scheduled", scope_clause(user, "post.view", Unit.path))
            .order_by(Post.publish_at, Post.id))


def paginate_posts(statement, page=1, per_page=50):
    """`core.pagination.paginate` for a SELECT of posts, with the count written so the tenant filter
    applies to it: the count names `Post.id`, which the scoping hook sees (a bare `count(*)` over a
    subquery is not scoped by it)."""
    total = db.session.execute(statement.with_only_columns(func.count(Post.id)).order_by(None)).scalar_one()
    items = db.session.execute(statement.limit(per_page).offset((page - 1) * per_page)).scalars().all()
    return {"items": items, "total": total}
