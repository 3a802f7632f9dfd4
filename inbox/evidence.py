"""Tip attachments are evidence: kept in the private store, encrypted, never in the public media folder.

The bytes as received are stored encrypted with their SHA-256 (what a court may ask for); staff look at a copy
without metadata made by `core.media.check_evidence` (images re-encoded without GPS or camera serial, MP3 without
ID3 tags, PDF without author and XMP; video and AMR as received), encrypted at rest as well. Voice recordings
browsers do not all play (AMR, M4A) get a third, playable copy made by a job (`inbox.playback`).

Files are encrypted in authenticated chunks (`StreamingEncryptedStorage`, as exports are), so a range of a
video is served by decrypting only the chunks that hold it; files stored before that still read.
"""
import uuid

from flask import current_app

from core.crypto import bound_cipher
from core.errors import TooLarge, UnsupportedMedia
from core.extensions import db
from core.jobs import enqueue
from core.media import (
    EVIDENCE_TOO_LARGE,
    VIDEO_MAX_BYTES,
    MediaTooLargeError,
    PixelBudget,
    UnsupportedMediaError,
    check_evidence,
)
from core.storage import LocalStorage, StreamingEncryptedStorage
from core.timeutil import utcnow
from core.transaction import after_commit
from core.transcode import DEMUXERS
from inbox.models import TipAttachment


def _files():
    return LocalStorage(current_app.config["PRIVATE_ROOT"], file_mode=0o600)


def private_storage():
    """Keys bound now, so a response streamed after the request ends still decrypts."""
    return StreamingEncryptedStorage(_files(), *bound_cipher(), read_whole_tokens=True)


def check_files(sources):
    """[(original bytes, CheckedMedia)] for the files of one request, sharing one budget of decoded pixels."""
    budget = PixelBudget()
    return [check_file(source, budget) for source in sources]


def check_file(source, budget=None):
    """(original bytes, CheckedMedia) for an upload, or 413/415 naming the `files` field."""
    original = bytes(source) if isinstance(source, (bytes, bytearray, memoryview)) else source.read(VIDEO_MAX_BYTES + 1)
    try:
        if len(original) > VIDEO_MAX_BYTES:
            raise MediaTooLargeError(EVIDENCE_TOO_LARGE)
        return original, check_evidence(original, budget)
    except MediaTooLargeError as error:
        raise TooLarge(error.message, fields={"files": [error.message]}) from None
    except UnsupportedMediaError as error:
        raise UnsupportedMedia(error.message, fields={"files": [error.message]}) from None


def store_evidence(tip, original, checked, message=None, at=None):
    """Write the files, then the row; on any failure the written files are removed again."""
    storage = private_storage()
    base = f"tips/{tip.tenant_id}/{tip.id}/{uuid.uuid4().hex}"
    keys = {"original": f"{base}.orig", "stripped": f"{base}.{checked.extension}",
            "thumbnail": f"{base}.thumb.{checked.extension}" if checked.thumbnail else None}
    written = []
    try:
        storage.save(keys["original"], original)
        written.append(keys["original"])
        storage.save(keys["stripped"], checked.data)
        written.append(keys["stripped"])
        if keys["thumbnail"]:
            storage.save(keys["thumbnail"], checked.thumbnail)
            written.append(keys["thumbnail"])
        attachment = TipAttachment(
            tip_id=tip.id, message_id=getattr(message, "id", None), kind=checked.kind, mime=checked.mime,
            extension=checked.extension, size=checked.size, width=checked.width, height=checked.height,
            sha256=checked.sha256, original_key=keys["original"], stripped_key=keys["stripped"],
            thumbnail_key=keys["thumbnail"], created_at=at or utcnow())
        if needs_playable(checked.kind, checked.mime):
            attachment.playback = "pending"
        db.session.add(attachment)
        db.session.flush()
    except BaseException:
        for key in written:
            storage.delete(key)
        raise
    if attachment.playback == "pending":
        after_commit(enqueue_playback, tip.tenant_id, attachment.id)
    return attachment


def needs_playable(kind, mime):
    return kind == "audio" and mime in DEMUXERS


def enqueue_playback(tenant_id, attachment_id):
    enqueue("inbox.jobs.prepare_playback", tenant_id, attachment_id, timeout=300)


def read_stripped(attachment, thumbnail=False):
    key = attachment.thumbnail_key if thumbnail and attachment.thumbnail_key else attachment.stripped_key
    return private_storage().read(key)


def rotate_evidence():
    """Re-encrypt the current tenant's evidence files under the newest IDENTITY_KEY (`flask vault rotate`).
    Each file is replaced atomically, so an interrupted run is simply run again. Returns a count of files."""
    from sqlalchemy import select

    storage, count = private_storage(), 0
    for attachment in db.session.execute(select(TipAttachment)).scalars():
        for key in (attachment.original_key, attachment.stripped_key, attachment.thumbnail_key,
                    attachment.playable_key):
            if key and storage.exists(key):
                with storage.open(key) as plain:  # decrypted under any key, written under the first
                    storage.save(key, plain)
                count += 1
    return count
