"""Failed sign-ins slow the next attempt down; nothing locks an account.

Failures are kept for `WINDOW` under hashed keys only (no e-mail, no address): the account (password step),
the account's second factor, and the client (its address hashed with a salt of the day). A key with n
failures in the window may try again `delay(n)` after its last failure: a few attempts free, then 1, 2, 4 ...
seconds, up to the rule's cap. An attempt inside the wait is refused (429, Retry-After) and not counted, so
hammering gains nothing and the wait never grows past the cap.

A browser that completed a sign-in to an account carries a signed "known device" cookie naming it. The
account's delays do not apply there (only its client's): failures an attacker makes from elsewhere slow the
attacker down and never keep the real user out.
"""
import math
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import delete, func, select

from core.clientip import hashed_client
from core.crypto import hash_secret
from core.extensions import db
from core.timeutil import as_utc, utcnow
from tenants.models import LoginAttempt


@dataclass(frozen=True)
class Rule:
    free: int  # failures before the first wait
    cap: int  # the longest wait, in seconds


ACCOUNT = Rule(free=3, cap=300)
SECOND_FACTOR = Rule(free=3, cap=3600)  # whoever gets here has the password: slow guessing of six digits down
CLIENT = Rule(free=10, cap=900)
WINDOW = timedelta(hours=1)

DEVICE_COOKIE = "ketnoi_device"
DEVICE_DAYS = 180
DEVICE_ACCOUNTS = 5  # accounts one browser remembers (a shared office computer)


def account_key(email):
    return f"acct:{hash_secret('login|' + (email or '').strip().lower())[:40]}"


def second_factor_key(user):
    return f"totp:{user.id}"


def client_key():
    return f"client:{hashed_client()}"


def delay(rule, failures):
    return 0 if failures < rule.free else min(2 ** (failures - rule.free), rule.cap)


def wait_seconds(checks):
    """Seconds before an attempt is allowed under every (key, rule) of `checks`; 0 when it is allowed now."""
    rules = dict(checks)
    now = utcnow()
    rows = db.session.execute(
        select(LoginAttempt.key, func.count(), func.max(LoginAttempt.at))
        .where(LoginAttempt.key.in_(rules), LoginAttempt.at >= now - WINDOW).group_by(LoginAttempt.key)).all()
    waits = [(as_utc(last) + timedelta(seconds=delay(rules[key], count)) - now).total_seconds()
             for key, count, last in rows]
    return math.ceil(max([0, *waits]))


def note_failure(*keys):
    for key in keys:
        db.session.add(LoginAttempt(key=key))
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.at < utcnow() - WINDOW))


def forget(key):
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.key == key))


def _devices():
    return URLSafeTimedSerializer(current_app.secret_key, salt="ketnoi-known-device")


def _known_accounts():
    try:
        return list(_devices().loads(request.cookies.get(DEVICE_COOKIE, ""), max_age=DEVICE_DAYS * 86400))
    except (BadSignature, TypeError, ValueError):
        return []


def known_device(key):
    """Whether this browser completed a sign-in to the account of `key` (its `account_key`)."""
    return key in _known_accounts()


def remember_device(response, key):
    accounts = [key] + [known for known in _known_accounts() if known != key]
    response.set_cookie(DEVICE_COOKIE, _devices().dumps(accounts[:DEVICE_ACCOUNTS]), max_age=DEVICE_DAYS * 86400,
                        path="/login", httponly=True, samesite="Lax",
                        secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response
