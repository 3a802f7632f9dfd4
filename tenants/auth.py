"""Who is calling: the sign-in session (Flask-Login) or a bearer token, never both.

A request with `Authorization: Bearer` is authenticated by the token alone, so a cookie cannot lend it
authority; cookie-authenticated API writes need the CSRF header (core.security).

A session is the signed cookie Flask-Login fills, naming the user and their session version (bumped at
sign-out, deactivation, password reset and role change, which ends every session minted before). It also
carries when it was signed in and last used: `end_stale_session` ends it after `SESSION_IDLE_MINUTES` without
a request, and `SESSION_MAX_HOURS` after sign-in however busy. Both times sit inside the signed cookie, so a
copy of it cannot be made younger.
"""
import time

from flask import current_app, g, request, session
from flask_login import AnonymousUserMixin, login_user, logout_user
from sqlalchemy import select

from core.extensions import db, login_manager
from core.tenancy import platform_scope
from tenants.models import User
from tenants.services import user_for_token


class Anonymous(AnonymousUserMixin):
    id = None
    tenant_id = None
    is_platform_admin = False
    memberships = ()
    email = ""


@login_manager.user_loader
def load_user(session_id):
    """Session ids are `<user id>:<session version>`; bumping the version ends every older session."""
    user_id, _, version = str(session_id).partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    with platform_scope():
        user = db.session.execute(select(User).where(User.id == int(user_id))).scalar_one_or_none()
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


SIGNED_IN_AT, SEEN_AT = "signed_in_at", "seen_at"
# How often the "last seen" time is written back (each write re-sends the cookie).
SEEN_RESOLUTION = 60


def start_session(user):
    """A fresh session for `user`: nothing of the anonymous one (its CSRF secret included) carries over but
    the chosen language."""
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language
    g.pop("csrf_token", None)
    login_user(user)
    session[SIGNED_IN_AT] = session[SEEN_AT] = time.time()


def end_stale_session():
    """Sign out a cookie session that has been idle or alive too long; the request goes on anonymous."""
    if "_user_id" not in session or request.headers.get("Authorization", "").startswith("Bearer "):
        return
    now, config = time.time(), current_app.config
    signed_in_at, seen_at = session.get(SIGNED_IN_AT), session.get(SEEN_AT)
    if (signed_in_at is None or seen_at is None or now - seen_at > config["SESSION_IDLE_MINUTES"] * 60
            or now - signed_in_at > config["SESSION_MAX_HOURS"] * 3600):
        logout_user()
        session.clear()
    elif now - seen_at >= SEEN_RESOLUTION:
        session[SEEN_AT] = now


def authenticate_bearer():
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        g._login_user = user_for_token(header[len("Bearer "):].strip()) or Anonymous()


@login_manager.unauthorized_handler
def unauthorized():
    """Raised, not returned, so it passes through any response-serialising decorator (flask-smorest)."""
    from flask import abort, redirect, url_for

    from core.errors import wants_json

    if wants_json():
        abort(401)
    abort(redirect(url_for("tenants.login", next=request.full_path if request.method == "GET" else None)))


def init_auth(app):
    login_manager.anonymous_user = Anonymous
    # Runs before core's tenant resolution, which reads current_user.
    app.before_request_funcs.setdefault(None, []).insert(0, authenticate_bearer)
    app.before_request_funcs[None].insert(1, end_stale_session)
