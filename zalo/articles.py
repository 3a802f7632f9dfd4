"""Posts mirrored as articles of their unit's Official Account (Zalo's article API).

`publish_article(post_id)` runs when a post marked "also publish on Zalo" goes public and `remove_article(post_id)`
when it is hidden (content's `post_published` and `post_hidden` signals, `zalo/receivers.py`); `update_article`
re-sends a mirrored post. Each only records what is to be done (in the caller's transaction) and queues `sync`,
which talks to Zalo: create (or update) returns a token, `verify` turns it into the article id — or says "still
processing", and the job tries again later. The post shows the outcome in `zalo_state` and, on failure, the error code.
"""
import logging
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from core.extensions import db
from core.jobs import enqueue, job
from core.markdown import plain_text
from core.tenancy import load, tenant_scope
from core.timeutil import utcnow
from core.transaction import after_commit
from tenants.models import tenant_slug
from zalo import tokens
from zalo.errors import ArticleProcessing, InvalidAccessToken, RateLimited, SetupRequired, ZaloError, ZaloUnavailable
from zalo.models import ZaloArticle
from zalo.outbox import error_code
from zalo.services import client, connection_for_oa
from zalo.transactions import CLAIM, begin_writing, claim_due, due

log = logging.getLogger(__name__)

RETRY_DELAYS = (30, 120, 600, 1800, 3600, 6 * 3600)
MAX_ATTEMPTS = 10
STATE_OF_ACTION = {"publish": "queued", "update": "queued", "remove": "removing"}
STATE_LABELS = {"queued": _l("Đang đăng lên Zalo"), "processing": _l("Đang đăng lên Zalo"),
                "live": _l("Đã đăng lên Zalo"), "removing": _l("Đang gỡ khỏi Zalo"),
                "removed": _l("Đã gỡ khỏi Zalo"), "failed": _l("Lỗi đăng Zalo")}


def _post(post_id):
    from content.models import Post

    return load(Post, post_id)


def _article_for(post):
    return db.session.execute(select(ZaloArticle).where(ZaloArticle.post_id == post.id)).scalar_one_or_none()


def request_sync(post_id, action):
    """Record that the post's article must be published, updated or removed, and queue the job after the
    caller's commit. Returns the article row (None for a removal of a post never mirrored)."""
    post = _post(post_id)
    if post is None:
        return None
    article = _article_for(post)
    if article is None:
        if action == "remove":
            return None
        article = ZaloArticle(post_id=post.id, oa_id=post.unit.zalo_oa_id)
        db.session.add(article)
    article.action, article.state, article.error_code = action, STATE_OF_ACTION[action], None
    article.attempts, article.next_attempt_at, article.updated_at = 0, None, utcnow()
    _mirror(post, article)
    db.session.flush()
    after_commit(enqueue, sync_article, post.tenant_id, article.id)
    return article


def publish_article(post_id):
    return request_sync(post_id, "publish")


def update_article(post_id):
    return request_sync(post_id, "update")


def remove_article(post_id):
    return request_sync(post_id, "remove")


def article_status(post_id):
    """What the post's page shows about its Zalo article: state, Zalo's error code, article id (or None)."""
    row = db.session.execute(select(ZaloArticle).where(ZaloArticle.post_id == post_id)).scalar_one_or_none()
    if row is None:
        return None
    return {"state": row.state, "error_code": row.error_code, "article_id": row.article_id,
            "pending": row.action}


def status_label(status):
    """What the staff post page says about its Zalo article (`article_status`): the state, and Zalo's error code
    on a failure or while a failed attempt waits to be retried."""
    if status is None:
        return None
    label = str(STATE_LABELS.get(status["state"], STATE_LABELS["queued"]))
    code = status.get("error_code")
    if code and status["state"] == "failed":
        return _("%(label)s (mã %(code)s)", label=label, code=code)
    if code and status.get("pending"):
        return _("%(label)s — sẽ thử lại (lỗi mã %(code)s)", label=label, code=code)
    return label


def _mirror(post, article):
    post.zalo_state = article.state
    post.zalo_article_id = article.article_id


def article_payload(post):
    """The normal-article body Zalo takes (README §4), within its length limits."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    slug = tenant_slug(post.tenant_id)
    description = (post.summary or plain_text(post.body or "", limit=300))[:300]
    payload = {
        "type": "normal", "title": post.title[:150], "author": post.unit.name[:50],
        "description": description or post.title[:300],
        "body": [{"type": "text", "content": post.body_html or post.body}],
        "tracking_link": f"{base}/p/{slug}/{post.unit.code}/bai-viet/{post.id}",
        "status": "show", "comment": "hide",
    }
    cover = post.cover
    if cover is not None and cover.kind == "image":
        extension = cover.key.rsplit(".", 1)[-1]
        payload["cover"] = {"cover_type": "photo", "status": "show",
                            "photo_url": f"{base}/p/{slug}/media/{cover.id}/full.{extension}"}
    return payload


def sync(article_id):
    """Do what the article row asks, if it is due; commits. Returns the state afterwards (None if not due)."""
    now = utcnow()
    ready = ZaloArticle.action.is_not(None) & due(ZaloArticle.next_attempt_at, now)
    if not claim_due(ZaloArticle, article_id, ready, next_attempt_at=now + CLAIM):
        return None
    article = _reload(article_id)
    post = _post(article.post_id)
    job = {"action": article.action, "article_id": article.article_id, "token": article.token,
           "oa_id": article.oa_id or post.unit.zalo_oa_id}
    connection = connection_for_oa(job["oa_id"])
    outcome, code = "done", None
    try:
        token = tokens.usable_token(connection)
        try:
            _apply(article_id, job, post, token)
        except InvalidAccessToken:
            _apply(article_id, job, post, tokens.refresh(connection.id, token))
    except tokens.NotConnected as error:
        outcome, code = "retry", error.code
    except (ArticleProcessing, RateLimited, ZaloUnavailable, SetupRequired) as error:
        outcome, code = ("processing" if isinstance(error, ArticleProcessing) else "retry"), error_code(error)
    except ZaloError as error:
        outcome, code = "failed", error_code(error)
    begin_writing(ZaloArticle.attempts, article_id)
    article, post = _reload(article_id), _post(post.id)
    article.article_id, article.token, article.oa_id = job["article_id"], job["token"], job["oa_id"]
    if outcome == "done":
        article.state = "removed" if job["action"] == "remove" else "live"
        article.action = article.error_code = article.next_attempt_at = None
    elif outcome == "failed":
        article.action, article.state, article.error_code, article.next_attempt_at = None, "failed", code, None
    else:
        _retry_or_fail(article, outcome, code)
    article.updated_at = utcnow()
    _mirror(post, article)
    db.session.commit()
    return article.state


def _reload(article_id):
    return db.session.execute(select(ZaloArticle).where(ZaloArticle.id == article_id)
                              .execution_options(populate_existing=True)).scalar_one()


def _apply(article_id, job, post, token):
    """The calls to Zalo for one job; `job` is updated with what Zalo answered as it goes."""
    zalo = client()
    if job["action"] == "remove":
        if job["article_id"]:
            zalo.remove_article(token, job["article_id"])
        job["article_id"] = job["token"] = None
        return
    if job["token"] is None:
        payload = article_payload(post)
        db.session.commit()  # hold no transaction during the call
        if job["article_id"]:
            job["token"] = zalo.update_article(token, job["article_id"], payload)
        else:
            job["token"] = zalo.create_article(token, payload)
        # the token is Zalo's receipt for the work: keep it even if the verification below fails
        begin_writing(ZaloArticle.attempts, article_id)
        _reload(article_id).token = job["token"]
        db.session.commit()
    job["article_id"] = zalo.verify_article(token, job["token"])
    job["token"] = None


def _retry_or_fail(article, outcome, code):
    article.error_code = code
    if article.attempts >= MAX_ATTEMPTS:
        article.action, article.state, article.next_attempt_at = None, "failed", None
        return
    if outcome == "processing":
        article.state = "processing"
    elif code in ("not_connected", "needs_reauth"):
        article.state = "failed"
    delay = RETRY_DELAYS[min(article.attempts, len(RETRY_DELAYS)) - 1]
    article.next_attempt_at = utcnow() + timedelta(seconds=delay)


@job
def sync_article(tenant_id, article_id):
    with tenant_scope(tenant_id):
        return sync(article_id)
