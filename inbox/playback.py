"""The playable copy of voice evidence: made by a job after intake, retried, never at the cost of the original.

AMR (Zalo's voice notes) and M4A become AAC in M4A (`core.transcode`), encrypted at rest like every evidence
file. `TipAttachment.playback` says where it stands: pending → ready, or retrying (ffmpeg failed; rq retries the
job, the sweep catches retries that were lost) → failed after `MAX_ATTEMPTS`, or at once when the input itself
is refused (wrong bytes, too large, too long). no_tool: this server has no ffmpeg; the sweep tries again once it
has. The original and the staff copy are never touched. Functions flush; the job commits.
"""
import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from core.extensions import db
from core.media import AUDIO_MAX_BYTES, MediaError, check_evidence
from core.tenancy import for_each_tenant, load
from core.timeutil import utcnow
from core.transcode import DEMUXERS, TIMEOUT_SECONDS, TranscodeError, make_playable, tool_available
from inbox.evidence import enqueue_playback, private_storage
from inbox.models import TipAttachment

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 4  # the first run and rq's three retries (core.jobs.RETRY_INTERVALS)
OPEN_STATES = ("pending", "retrying", "no_tool")
# A job still waiting or retrying in rq is left alone this long before the sweep runs it again.
STALLED_AFTER = timedelta(minutes=15)


class PlaybackRetry(Exception):
    """Raised by the job after a failure worth retrying (the state is committed first), so rq retries it."""


def prepare_playback(attachment_id):
    """Make the playable copy of one attachment; returns its new `playback` state (None: nothing to do)."""
    item = load(TipAttachment, attachment_id)
    if item is None or item.playback not in OPEN_STATES:
        return None
    if not tool_available():
        item.playback = "no_tool"
        db.session.flush()
        return item.playback
    item.playback_attempts = (item.playback_attempts or 0) + 1
    storage = private_storage()
    try:
        original = storage.read(item.original_key)
        config = current_app.config
        playable = make_playable(original, _checked_mime(original),
                                 timeout=int(config.get("VOICE_TIMEOUT_SECONDS") or TIMEOUT_SECONDS),
                                 max_input_bytes=int(config.get("VOICE_MAX_BYTES") or AUDIO_MAX_BYTES))
    except TranscodeError as error:
        final = error.permanent or item.playback_attempts >= MAX_ATTEMPTS
        item.playback = "failed" if final else "retrying"
        log.warning("evidence %s: no playable copy (%s, attempt %s)", item.id, error.reason, item.playback_attempts)
        db.session.flush()
        return item.playback
    key = item.original_key.removesuffix(".orig") + f".play.{playable.extension}"
    storage.save(key, playable.data)
    item.playable_key, item.playable_mime, item.playable_size = key, playable.mime, len(playable.data)
    item.duration_ms, item.playback = playable.duration_ms, "ready"
    db.session.flush()
    return item.playback


def _checked_mime(original):
    """The input is checked by its bytes again before ffmpeg sees it: what was stored must still be a voice
    recording of a type we convert."""
    try:
        checked = check_evidence(original)
    except MediaError:
        raise TranscodeError("refused", permanent=True) from None
    if checked.kind != "audio" or checked.mime not in DEMUXERS:
        raise TranscodeError("unsupported", permanent=True)
    return checked.mime


def stalled_ids(now=None):
    """Attachments of the current tenant whose copy should exist by now: a lost enqueue, a killed worker,
    retries the embedded queue does not make, or a server that has ffmpeg now."""
    states = ["pending", "retrying"] + (["no_tool"] if tool_available() else [])
    statement = select(TipAttachment.id).where(TipAttachment.playback.in_(states),
                                               TipAttachment.created_at <= (now or utcnow()) - STALLED_AFTER)
    return db.session.execute(statement.order_by(TipAttachment.id)).scalars().all()


def sweep(now=None):
    """Enqueue the stalled conversions of every tenant; returns how many."""
    total = 0
    for tenant_id in for_each_tenant():
        ids = stalled_ids(now)
        db.session.commit()
        for attachment_id in ids:
            enqueue_playback(tenant_id, attachment_id)
        total += len(ids)
    return total
