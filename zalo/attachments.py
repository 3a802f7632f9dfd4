"""Media named in citizens' messages, fetched by a job and kept as tip evidence.

The message text is stored first and never waits for this. The fetch goes through `MediaFetcher` (allowed
hosts only, no private addresses, size cap) and the bytes through the inbox's evidence checks (`core.media`):
what those refuse is given up at once, an unreachable host is retried with backoff, then given up.
"""
import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from core.crypto import decrypt_text
from core.errors import AppError
from core.extensions import db
from core.jobs import job
from core.media import AUDIO_MAX_BYTES, IMAGE_MAX_BYTES, PDF_MAX_BYTES, VIDEO_MAX_BYTES
from core.tenancy import load, tenant_scope
from core.timeutil import utcnow
from inbox.intake import attach_file
from inbox.models import Tip, TipMessage
from zalo.errors import MediaRefused, MediaTooLarge, MediaUnavailable
from zalo.media_fetch import MediaFetcher
from zalo.models import MediaFetch
from zalo.transactions import CLAIM, begin_writing, claim_due, due

log = logging.getLogger(__name__)

RETRY_DELAYS = (60, 300, 1800, 3600, 3 * 3600)


# The download is abandoned past the evidence limit of the kind the event announced (a "voice note" of 100 MB
# is not read to the end); the evidence check then judges the bytes themselves.
MAX_BYTES_BY_KIND = {"image": IMAGE_MAX_BYTES, "video": VIDEO_MAX_BYTES, "audio": AUDIO_MAX_BYTES,
                     "document": PDF_MAX_BYTES}


def fetcher(kind=None):
    config = current_app.config
    return MediaFetcher(config["ZALO_MEDIA_HOSTS"], max_bytes=MAX_BYTES_BY_KIND.get(kind, VIDEO_MAX_BYTES),
                        allow_private=bool(config["ZALO_ALLOW_PRIVATE_MEDIA"]))


def fetch(fetch_id):
    """Fetch one attachment if it is due; commits. Returns the row's state afterwards (None if not due)."""
    now = utcnow()
    ready = (MediaFetch.state == "pending") & due(MediaFetch.next_attempt_at, now)
    # The next attempt is pushed past the claim time, so a sweep does not start it a second time.
    if not claim_due(MediaFetch, fetch_id, ready, next_attempt_at=now + CLAIM):
        return None
    url_enc, kind = db.session.execute(
        select(MediaFetch.url_enc, MediaFetch.kind).where(MediaFetch.id == fetch_id)).one()
    fetched = refusal = None
    try:
        fetched = fetcher(kind).fetch(decrypt_text(url_enc))
    except (MediaRefused, MediaTooLarge) as error:
        refusal = type(error).__name__.lower()
    except MediaUnavailable:
        refusal = "unavailable"
    begin_writing(MediaFetch.attempts, fetch_id)
    row = db.session.execute(select(MediaFetch).where(MediaFetch.id == fetch_id)).scalar_one()
    if fetched is not None:
        try:
            attachment = attach_file(load(Tip, row.tip_id), load(TipMessage, row.message_id), fetched.content)
        except AppError as error:  # the evidence check refused the bytes (413/415)
            refusal = error.code
        else:
            row.attachment_id = attachment.id
            _settle(row, "done", None)
    if refusal == "unavailable" and row.attempts <= len(RETRY_DELAYS):
        row.last_error = refusal
        row.next_attempt_at = utcnow() + timedelta(seconds=RETRY_DELAYS[row.attempts - 1])
    elif refusal is not None:
        _settle(row, "failed" if refusal == "unavailable" else "refused", refusal)
    db.session.commit()
    return row.state


def _settle(row, state, code):
    row.state, row.last_error, row.url_enc, row.next_attempt_at = state, code, None, None
    if code:
        log.info("zalo media %s %s: %s", row.id, state, code)


@job
def fetch_media(tenant_id, fetch_id):
    with tenant_scope(tenant_id):
        return fetch(fetch_id)
