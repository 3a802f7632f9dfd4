"""An OA's access token, refreshed early and under a lock, because the refresh token is single-use.

Two workers that both find the token expired must not both spend the refresh token: the second would be
refused and the OA would need re-authorising. So a refresh runs under a per-OA lock (a Redis lock with
REDIS_URL; otherwise an UPDATE on the connection's row, which is a row lock on PostgreSQL and the write lock
on SQLite), re-reads the tokens inside it, refreshes only if they are still the ones the caller found
wanting, and commits the new pair before anyone uses it.
"""
import logging
from contextlib import contextmanager
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from core.crypto import decrypt_text, encrypt
from core.extensions import db
from core.jobs import redis
from core.timeutil import as_utc, utcnow
from zalo.errors import AuthorizationRejected, ZaloUnavailable
from zalo.models import OaConnection
from zalo.services import client, tenant_app
from zalo.transactions import begin_writing

log = logging.getLogger(__name__)

# Tokens live 25 h; refresh when less than this is left (about 20 h after issue).
REFRESH_MARGIN = timedelta(hours=5)
LOCK_SECONDS = 60


class NotConnected(Exception):
    """The OA has no usable tokens: never connected (`not_connected`) or refused a refresh (`needs_reauth`)."""

    def __init__(self, code):
        super().__init__(code)
        self.code = code


def store_pair(connection, pair, now=None):
    now = now or utcnow()
    connection.access_token_enc = encrypt(pair.access_token)
    connection.refresh_token_enc = encrypt(pair.refresh_token)
    connection.expires_at = now + timedelta(seconds=pair.expires_in)
    connection.needs_reauth, connection.last_error, connection.refreshed_at = False, None, now


def usable_token(connection):
    """The OA's access token, refreshed first when it is about to expire."""
    if connection is None or connection.refresh_token_enc is None:
        raise NotConnected("not_connected")
    if connection.needs_reauth:
        raise NotConnected("needs_reauth")
    token = decrypt_text(connection.access_token_enc)
    expires_at = as_utc(connection.expires_at)
    if token is None or expires_at is None or expires_at - utcnow() < REFRESH_MARGIN:
        token = refresh(connection.id, token)
    return token


def refresh(connection_id, stale_token):
    """A fresh access token for the OA, spending the refresh token only if `stale_token` is still current."""
    with _refresh_lock(connection_id):
        connection = db.session.execute(select(OaConnection).where(OaConnection.id == connection_id)
                                        .execution_options(populate_existing=True)).scalar_one()
        current = decrypt_text(connection.access_token_enc)
        if connection.needs_reauth or connection.refresh_token_enc is None:
            raise NotConnected("needs_reauth" if connection.needs_reauth else "not_connected")
        if current is not None and current != stale_token:
            return current  # another worker refreshed while we waited
        app = tenant_app()
        oa_id = connection.oa_id
        try:
            pair = client().refresh_tokens(app.app_id, app.app_secret, decrypt_text(connection.refresh_token_enc))
        except AuthorizationRejected:
            pair = None
        if current_app.config["REDIS_URL"]:
            # the Redis lock holds no database lock: write from a fresh transaction (see zalo.transactions)
            begin_writing(OaConnection.refreshed_at, connection_id)
            connection = db.session.execute(select(OaConnection).where(OaConnection.id == connection_id)).scalar_one()
        if pair is None:
            connection.needs_reauth, connection.last_error = True, "refresh_rejected"
            db.session.commit()
            log.warning("zalo OA %s refused a token refresh; it needs re-authorising", oa_id)
            raise NotConnected("needs_reauth")
        store_pair(connection, pair)
        return pair.access_token


@contextmanager
def _refresh_lock(connection_id):
    """Commits what the block did on success, rolls back otherwise; either ends the DB lock."""
    db.session.commit()  # start the locked section from fresh data, and hold no earlier transaction
    redis_lock = None
    if current_app.config["REDIS_URL"]:
        redis_lock = redis().lock(f"ketnoi:zalo:refresh:{connection_id}", timeout=LOCK_SECONDS,
                                  blocking_timeout=LOCK_SECONDS)
        if not redis_lock.acquire():
            raise ZaloUnavailable("token refresh lock is busy")
    else:
        begin_writing(OaConnection.refreshed_at, connection_id)
    try:
        yield
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    finally:
        if redis_lock is not None and redis_lock.owned():
            redis_lock.release()
