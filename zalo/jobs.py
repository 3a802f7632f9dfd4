"""The Zalo channel's sweep: it retries what is due and recovers what a lost enqueue missed.

Each job sits beside its work (`processing.process_delivery`, `outbox.send_outbox`, `attachments.fetch_media`,
`articles.sync_article`). Every job takes the tenant id first and ids only, runs in that tenant's scope and is
idempotent: each one claims its row with an UPDATE before doing anything, so an rq retry, a sweep and a
duplicate enqueue end the same as one run.
"""
import logging
from datetime import timedelta

from sqlalchemy import and_, or_, select, update

from core.extensions import db
from core.jobs import job
from core.tenancy import for_each_tenant, platform_scope
from core.timeutil import utcnow
from zalo.models import MediaFetch, Outbox, WebhookDelivery, ZaloApp, ZaloArticle
from zalo.transactions import due

log = logging.getLogger(__name__)

# A delivery younger than this is left to the job its webhook request enqueued.
SWEEP_GRACE = timedelta(seconds=30)
# Deliveries of an OA that nobody links are not kept (or their bodies) longer than this.
UNLINKED_RETENTION = timedelta(days=7)
SWEEP_BATCH = 200


def _tenants():
    with platform_scope():
        return db.session.execute(select(ZaloApp.tenant_id)).scalars().all()


@job
def sweep_zalo():
    """Retry due deliveries, sends, media and articles in every tenant with a Zalo app; forget the bodies of
    deliveries whose OA stayed unlinked. Returns how many items were run."""
    from zalo.articles import sync
    from zalo.attachments import fetch
    from zalo.outbox import deliver
    from zalo.processing import MAX_ATTEMPTS, process

    count = 0
    for _tenant_id in for_each_tenant(_tenants()):
        now = utcnow()
        _expire_unlinked(now)
        deliveries = db.session.execute(select(WebhookDelivery.id).where(
            WebhookDelivery.processed_at.is_(None), WebhookDelivery.received_at <= now - SWEEP_GRACE,
            WebhookDelivery.attempts < MAX_ATTEMPTS,
            or_(WebhookDelivery.error.is_(None), WebhookDelivery.error != "oa_not_linked"),
            due(WebhookDelivery.next_attempt_at, now)).order_by(WebhookDelivery.id).limit(SWEEP_BATCH)
        ).scalars().all()
        sends = db.session.execute(select(Outbox.id).where(or_(
            and_(Outbox.state == "pending", due(Outbox.next_attempt_at, now)),
            and_(Outbox.state == "sending", Outbox.claimed_until < now))).limit(SWEEP_BATCH)).scalars().all()
        fetches = db.session.execute(select(MediaFetch.id).where(
            MediaFetch.state == "pending", due(MediaFetch.next_attempt_at, now)).limit(SWEEP_BATCH)
        ).scalars().all()
        articles = db.session.execute(select(ZaloArticle.id).where(
            ZaloArticle.action.is_not(None), due(ZaloArticle.next_attempt_at, now)).limit(SWEEP_BATCH)
        ).scalars().all()
        db.session.commit()
        for work, ids in ((process, deliveries), (deliver, sends), (fetch, fetches), (sync, articles)):
            for item_id in ids:
                try:
                    work(item_id)
                except Exception:  # one bad row must not stop the sweep
                    db.session.rollback()
                    log.exception("zalo sweep: %s(%s) failed", work.__name__, item_id)
                count += 1
    return count


def _expire_unlinked(now):
    db.session.execute(update(WebhookDelivery).where(
        WebhookDelivery.processed_at.is_(None), WebhookDelivery.error == "oa_not_linked",
        WebhookDelivery.received_at < now - UNLINKED_RETENTION).values(
        processed_at=now, body_enc=None, error="expired_unlinked").execution_options(synchronize_session=False))
