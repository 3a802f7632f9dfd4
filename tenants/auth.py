"""Who is calling: the sign-in session (Flask-Login) or a bearer token, never both.

A request with `Authorization: Bearer` is authenticated by the token alone, so a cookie cannot lend it
authority; cookie-authenticated API writes need the CSRF header (core.security).
"""
from flask import g, request
from flask_login import AnonymousUserMixin
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
