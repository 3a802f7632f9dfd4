"""Connecting a unit's OA: OAuth v4 with PKCE (Zalo's `oauth.zaloapp.com/v4/oa` endpoints).

Two ways in. The usual one: "Kết nối Zalo OA" sends the administrator to Zalo's consent page with our code
challenge and a state, and Zalo sends them back to the callback with a single-use code (valid 10 minutes),
which is exchanged for tokens. Where the console insists on generating the link itself (the callback URL
and challenge are saved there), the administrator prepares a challenge here, pastes it into the console, and
pastes back either the link the console generated (we check it and open it) or the address Zalo sent them
to after consenting (we take the code from it).
"""
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from flask import current_app
from sqlalchemy import select

from core import audit
from core.crypto import decrypt_text, encrypt, hash_secret, new_secret
from core.errors import Conflict, Invalid
from core.extensions import db
from core.timeutil import as_utc, utcnow
from zalo import outbox, processing, tokens
from zalo.client import OAUTH_PERMISSION_PATH, code_challenge_for, make_code_verifier
from zalo.errors import AuthorizationRejected, ZaloError
from zalo.models import OaConnection
from zalo.services import client, connection_for_unit, link_unit, mark_verified, tenant_app

PENDING_FOR = timedelta(minutes=30)
CALLBACK_PATH = "/app/zalo/callback"


def redirect_uri():
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + CALLBACK_PATH


def _app():
    app = tenant_app()
    if app is None:
        raise Conflict("Lãnh đạo cần cấu hình ứng dụng Zalo (App ID, khóa bí mật) trước khi kết nối OA.")
    return app


def _connection(unit):
    connection = connection_for_unit(unit)
    if connection is None:
        connection = OaConnection(unit_id=unit.id, unit=unit, oa_id=unit.zalo_oa_id)
        db.session.add(connection)
    return connection


def prepare(unit, with_state=True):
    """A fresh PKCE verifier (and state) for this unit; returns (challenge, state)."""
    _app()
    connection = _connection(unit)
    verifier = make_code_verifier()
    state = f"{unit.id}.{new_secret(16)}" if with_state else None
    connection.oauth_verifier_enc = encrypt(verifier)
    connection.oauth_state_hash = hash_secret(state) if state else None
    connection.oauth_started_at = utcnow()
    db.session.flush()
    return code_challenge_for(verifier), state


def start(unit):
    """The consent URL to send the administrator to."""
    app = _app()
    challenge, state = prepare(unit)
    return client().authorization_url(app.app_id, redirect_uri(), challenge, state)


def pending_challenge(connection):
    """The challenge of a connection attempt still in progress, for the console's form; else None."""
    if connection is None or connection.oauth_verifier_enc is None or _expired(connection):
        return None
    return code_challenge_for(decrypt_text(connection.oauth_verifier_enc))


def _expired(connection):
    started = as_utc(connection.oauth_started_at)
    return started is None or utcnow() - started > PENDING_FOR


def connection_for_state(state):
    if not state:
        return None
    return db.session.execute(select(OaConnection).where(OaConnection.oauth_state_hash == hash_secret(state))
                              ).scalar_one_or_none()


def accept_pasted(unit, link):
    """A pasted link: the consent link from Zalo's console (returns it, to be opened) or the callback address
    after consenting (connects now, returns None)."""
    app = _app()
    parts = urlsplit((link or "").strip())
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise Invalid("Hãy dán nguyên liên kết, bắt đầu bằng https://", fields={"link": ["Không phải liên kết."]})
    if "code" in query:
        finish(_connection(unit), query["code"], query.get("oa_id"))
        return None
    if parts.path.rstrip("/") != OAUTH_PERMISSION_PATH or \
            parts.netloc != urlsplit(current_app.config["ZALO_OAUTH_BASE"]).netloc:
        raise Invalid("Không nhận ra liên kết cấp quyền của Zalo.", fields={"link": ["Liên kết không hợp lệ."]})
    if query.get("app_id") != app.app_id:
        raise Invalid("Liên kết này thuộc một ứng dụng Zalo khác.", fields={"link": ["Sai App ID."]})
    connection = _connection(unit)
    expected = pending_challenge(connection)
    if expected is None or query.get("code_challenge") != expected:
        raise Invalid("Mã code_challenge trong liên kết không khớp. Hãy bấm \"Chuẩn bị liên kết thủ công\" và "
                      "dán mã mới vào trang quản lý ứng dụng Zalo.", fields={"link": ["code_challenge không khớp."]})
    connection.oauth_state_hash = hash_secret(query["state"]) if query.get("state") else None
    db.session.flush()
    return link


def finish(connection, code, oa_id=None):
    """Exchange the consent code for tokens and store them (encrypted); audited."""
    app = _app()
    unit = connection.unit
    if connection.oauth_verifier_enc is None or _expired(connection):
        raise Conflict("Phiên kết nối đã hết hạn. Hãy bấm \"Kết nối Zalo OA\" để bắt đầu lại.")
    oa_id = (oa_id or "").strip() or unit.zalo_oa_id
    if not oa_id:
        raise Invalid("Zalo không cho biết OA nào vừa cấp quyền.", fields={"oa_id": ["Thiếu mã OA."]})
    if unit.zalo_oa_id and unit.zalo_oa_id != oa_id:
        raise Conflict(f"OA vừa cấp quyền ({oa_id}) khác OA đã liên kết với {unit.name} ({unit.zalo_oa_id}).")
    try:
        pair = client().exchange_code(app.app_id, app.app_secret, code, decrypt_text(connection.oauth_verifier_enc))
    except AuthorizationRejected:
        raise Conflict("Zalo từ chối mã cấp quyền (mã chỉ dùng một lần và hết hạn sau 10 phút). "
                       "Hãy kết nối lại.") from None
    except ZaloError:
        raise Conflict("Không liên lạc được với Zalo. Vui lòng thử lại sau ít phút.") from None
    # Zalo accepted the app secret with the code: the proof that the app id is this tenant's.
    mark_verified(app)
    newly_linked = unit.zalo_oa_id != oa_id
    if newly_linked:
        connection = link_unit(unit, oa_id)
    tokens.store_pair(connection, pair)
    connection.connected_at = utcnow()
    connection.oauth_verifier_enc = connection.oauth_state_hash = connection.oauth_started_at = None
    db.session.flush()
    audit.record("zalo.connect", target=unit, unit_id=unit.id, details={"oa_id": oa_id})
    outbox.release_waiting(oa_id)
    if newly_linked:
        processing.requeue_unlinked()
    return connection


def disconnect(unit):
    """Forget the OA's tokens (the OA stays linked, so messages keep arriving); audited."""
    connection = connection_for_unit(unit)
    if connection is None:
        return None
    connection.access_token_enc = connection.refresh_token_enc = connection.expires_at = None
    connection.needs_reauth = False
    db.session.flush()
    audit.record("zalo.disconnect", target=unit, unit_id=unit.id, details={"oa_id": connection.oa_id})
    return connection
