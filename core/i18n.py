"""Vietnamese first, English second; dates shown in Asia/Ho_Chi_Minh."""
from flask import has_request_context, request, session
from flask_babel import format_datetime

from core.timeutil import as_utc

LANGUAGES = ("vi", "en")


def select_locale():
    """The `?lang=` choice, kept for the session; Vietnamese outside a request (jobs, CLI)."""
    if not has_request_context():
        return "vi"
    requested = request.args.get("lang")
    if requested in LANGUAGES:
        session["lang"] = requested
    return session.get("lang", "vi")


def localtime(value, fmt="dd/MM/yyyy HH:mm"):
    """Jinja filter: a stored UTC time in local time."""
    return format_datetime(as_utc(value), fmt) if value is not None else ""
