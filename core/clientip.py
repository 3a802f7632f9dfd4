"""The client's address, kept only as a salted hash whose salt changes every local day.

Rate limits and view counts need to tell clients apart for a day; nothing needs to know who they were.
Which forwarded address is the client's is decided by `TRUSTED_PROXIES` (werkzeug's ProxyFix, set up in
the app factory), never by trusting any `X-Forwarded-For` a client sends.
"""
import hashlib
import hmac

from flask import current_app, request

from core.timeutil import local_today


def hashed_client(day=None):
    day = day or local_today()
    salt = hmac.new(current_app.config["SECRET_KEY"].encode(), f"client-salt:{day}".encode(), hashlib.sha256)
    return hmac.new(salt.digest(), (request.remote_addr or "-").encode(), hashlib.sha256).hexdigest()[:32]


def client_key():
    """Flask-Limiter key: the hashed client, so no limiter storage holds an address."""
    return hashed_client()
