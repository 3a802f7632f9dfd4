"""Request-wide protections: CSRF for forms and cookie-authenticated API writes, and security headers."""
import re
from urllib.parse import urlsplit

from flask import current_app, request
from flask_wtf.csrf import CSRFError

from core.errors import AppError, Invalid, respond
from core.extensions import csrf

SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}
# Blueprints whose writes are anonymous by design (public intake, Zalo's webhook): no session to ride on.
CSRF_EXEMPT_BLUEPRINTS = set()

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
    "object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


def csrf_exempt(blueprint):
    CSRF_EXEMPT_BLUEPRINTS.add(blueprint.name)
    return blueprint


def uses_bearer_token():
    return request.headers.get("Authorization", "").startswith("Bearer ")


def check_csrf():
    """Every form and every cookie-authenticated API write carries the CSRF token (form field or
    `X-CSRFToken`). A request that authenticates with a bearer token has no cookie to abuse."""
    if request.method in SAFE_METHODS or uses_bearer_token():
        return
    if request.blueprint in CSRF_EXEMPT_BLUEPRINTS:
        refuse_cross_site()
        return
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return
    csrf.protect()


def refuse_cross_site():
    """Anonymous writes (public tips API, webhooks) take no CSRF token, so a browser on another site could
    send them with its visitors' addresses: one that says so (`Origin` other than ours, or
    `Sec-Fetch-Site: cross-site`) is refused. Servers and scripts send neither and keep working."""
    origin = request.headers.get("Origin")
    ours = urlsplit(current_app.config["PUBLIC_BASE_URL"])
    if request.headers.get("Sec-Fetch-Site") == "cross-site" or (
            origin is not None and origin.rstrip("/") != f"{ours.scheme}://{ours.netloc}"):
        raise AppError("Không nhận yêu cầu gửi từ trang web khác.", code="cross_site", status=403)


MAX_JSON_DEPTH = 32  # our bodies nest three deep, Zalo's events six
_JSON_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def json_too_deep(raw, limit=MAX_JSON_DEPTH):
    """Whether a JSON text nests arrays and objects deeper than `limit`. Parsers recurse per level, so a body of
    a hundred thousand brackets would exhaust the stack (a RecursionError, a server error) before any check."""
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    depth = 0
    for token in _JSON_TOKENS.finditer(raw):
        bracket = token.group()
        if bracket in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        elif bracket in (b"]", b"}"):
            depth -= 1
    return False


def refuse_deep_json():
    """A JSON body nested beyond reason is a 400, before any parser sees it. Webhooks read their raw body
    themselves (their signature is over its exact bytes) and ask `json_too_deep` on their own."""
    if request.is_json and not request.path.startswith("/webhooks/") and json_too_deep(request.get_data(cache=True)):
        raise AppError("Nội dung JSON lồng nhau quá sâu.", fields={"_body": [
            f"Tối đa {MAX_JSON_DEPTH} cấp lồng nhau."]}, status=400)


def refuse_nul_characters():
    """No text we store or search may hold NUL (PostgreSQL's text cannot): refuse it at the door, naming the
    field, rather than let it reach SQL as a server error."""
    for source in (request.args, request.form):
        for name, value in source.items(multi=True):
            if "\x00" in value:
                raise Invalid(fields={name: ["Ký tự không hợp lệ (NUL)."]})
    # Webhooks read their raw body themselves (signatures are over its exact bytes): left to them.
    if request.is_json and not request.path.startswith("/webhooks/") and b"\\u0000" in request.get_data(cache=True):
        raise Invalid(fields={"_body": ["Ký tự không hợp lệ (NUL)."]})


def add_security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if current_app.config["APP_ENV"] == "production":
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if request.path.startswith("/app/") or request.path.startswith("/api/v1/") and not request.path.endswith(
        "openapi.json"
    ):
        headers.setdefault("Cache-Control", "no-store")
    return response


def init_security(app):
    app.before_request(check_csrf)
    app.before_request(refuse_deep_json)
    app.before_request(refuse_nul_characters)
    app.after_request(add_security_headers)

    @app.errorhandler(CSRFError)
    def handle_csrf_error(error):
        return respond(403, message="Thiếu hoặc sai mã CSRF.", code="csrf_failed")
