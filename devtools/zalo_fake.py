"""A fake Zalo for development and tests: OA Open API, OAuth v4 server and a media host, on loopback only.

It keeps the habits of Zalo that callers must cope with: errors come as HTTP 200 with a
non-zero `error`; the access token is checked on every call; refresh tokens are single-use and rotating,
and a new pair kills the OA's previous access token; authorisation codes are single-use, expire after
10 minutes and must match their PKCE challenge. Failures can be scripted per endpoint with `fail_next`.

    python -m devtools.zalo_fake --port 8765
"""

import argparse
import json
import secrets
import ssl
import struct
import sys
import threading
import time
import zlib
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

from zalo.client import (
    ARTICLE_CREATE_PATH,
    ARTICLE_REMOVE_PATH,
    ARTICLE_UPDATE_PATH,
    ARTICLE_VERIFY_PATH,
    CS_MESSAGE_PATH,
    OAUTH_PERMISSION_PATH,
    OAUTH_TOKEN_PATH,
    TEXT_LIMIT,
    code_challenge_for,
)
from zalo.demo import DEFAULT_APP_ID, DEFAULT_APP_SECRET, DEFAULT_OA_ID  # the demo's app, accepted by default

LOOPBACK = "127.0.0.1"
MEDIA_PREFIX = "/media/"
REDIRECT_PATH = "/redirect"

INVALID_PARAMETER = -201
PARAMETER_OVER_LIMIT = -210
INVALID_ACCESS_TOKEN = -216
# Zalo does not document its OAuth error numbers; this stand-in is only ever compared with zero.
OAUTH_REJECTED = -14000
ACCESS_TOKEN_LIFETIME = "90000"
CODE_LIFETIME_SECONDS = 600


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        return {key: values[0] for key, values in parse_qs(self.body.decode()).items()}


@dataclass(frozen=True)
class _Scripted:
    error: int | None
    http_status: int | None
    delay: float
    body: bytes | None


@dataclass(frozen=True)
class _Reply:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    declare_length: bool = True


@dataclass(frozen=True)
class _Media:
    content: bytes
    content_type: str
    declare_length: bool


@dataclass(frozen=True)
class _Grant:
    app_id: str
    oa_id: str
    code_challenge: str | None
    expires_at: float


def _ok(data: dict) -> _Reply:
    return _json_reply({"data": data, "error": 0, "message": "Success"})


def _zalo_error(code: int, message: str) -> _Reply:
    return _json_reply({"error": code, "message": message})


def _json_reply(payload: dict, status: int = 200) -> _Reply:
    return _Reply(status=status, body=json.dumps(payload, ensure_ascii=False).encode())


def _tiny_png() -> bytes:
    """A valid 1×1 RGB PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xc0\x30\x30")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def _tiny_mp4() -> bytes:
    """An MP4 `ftyp` box followed by padding: enough for type sniffing, not a playable video."""
    return struct.pack(">I4s4sI4s4s", 24, b"ftyp", b"isom", 512, b"isom", b"mp41") + bytes(1000)


class _Handler(BaseHTTPRequestHandler):
    server_version = "FakeZalo/1"

    def do_GET(self):
        self.server.fake.handle(self, "GET")

    def do_POST(self):
        self.server.fake.handle(self, "POST")

    def log_message(self, format, *args):
        """Silent: requests are kept in FakeZalo.requests instead of printed."""


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A client that gave up (a scripted delay outlasting its timeout, a refused certificate) is expected
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError, ssl.SSLError)):
            super().handle_error(request, client_address)


class FakeZalo:
    """`start()` serves on 127.0.0.1 (a free port unless `port` is given) from a background thread.

    Point both ZALO_API_BASE and ZALO_OAUTH_BASE at `base_url`; their paths do not overlap. `apps` maps app
    ids to the app secrets the OAuth endpoint accepts. With a `tls_context` it serves HTTPS, for tests of
    certificate checks.
    """

    def __init__(
        self,
        *,
        port: int = 0,
        apps: dict[str, str] | None = None,
        default_oa_id: str = DEFAULT_OA_ID,
        tls_context: ssl.SSLContext | None = None,
    ):
        self._port = port
        self._apps = dict(apps or {DEFAULT_APP_ID: DEFAULT_APP_SECRET})
        self.default_oa_id = default_oa_id
        self._tls_context = tls_context
        self._server: _QuietServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._scripts: dict[str, deque[_Scripted | None]] = defaultdict(deque)
        self._access_tokens: dict[str, str] = {}
        self._refresh_tokens: dict[str, tuple[str, str]] = {}
        self._codes: dict[str, _Grant] = {}
        self._sent_messages: list[dict] = []
        self._articles: dict[str, dict] = {}
        self._article_tokens: dict[str, str] = {}
        self._media: dict[str, _Media] = {}
        self._api_routes = {
            CS_MESSAGE_PATH: self._send_cs,
            ARTICLE_CREATE_PATH: self._create_article,
            ARTICLE_VERIFY_PATH: self._verify_article,
            ARTICLE_UPDATE_PATH: self._update_article,
            ARTICLE_REMOVE_PATH: self._remove_article,
        }
        self.add_media("photo.png", _tiny_png(), "image/png")
        self.add_media("clip.mp4", _tiny_mp4(), "video/mp4")

    # Lifecycle

    def start(self) -> "FakeZalo":
        self._server = _QuietServer((LOOPBACK, self._port), _Handler)
        self._server.fake = self
        if self._tls_context is not None:
            # The handshake then happens in the handler thread, so a stalled client cannot block accept()
            self._server.socket = self._tls_context.wrap_socket(
                self._server.socket, server_side=True, do_handshake_on_connect=False
            )
        # A short poll keeps stop() quick: shutdown() waits for the serving loop to notice it
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-zalo", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = None

    def __enter__(self) -> "FakeZalo":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        scheme = "https" if self._tls_context is not None else "http"
        return f"{scheme}://{LOOPBACK}:{self.port}"

    # What tests arrange and inspect

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def sent_messages(self) -> list[dict]:
        """CS messages accepted, each `{oa_id, user_id, message, message_id}`."""
        with self._lock:
            return list(self._sent_messages)

    @property
    def articles(self) -> dict[str, dict]:
        with self._lock:
            return dict(self._articles)

    def fail_next(
        self,
        path: str,
        *,
        error: int | None = None,
        http_status: int | None = None,
        delay: float = 0.0,
        body: bytes | None = None,
        times: int = 1,
        after: int = 0,
    ) -> None:
        """Script the next `times` calls to `path`, once `after` more calls have been answered normally.

        `error`: HTTP 200 with that Zalo error number. `http_status`: that status (with `body`, or a small
        HTML page). `body` alone: HTTP 200 with those bytes. `delay` alone: answer normally after that many
        seconds (longer than the client's timeout to simulate a timeout).
        """
        if error is None and http_status is None and body is None and not delay:
            raise ValueError("script an error, an HTTP status, a body or a delay")
        with self._lock:
            self._scripts[path].extend([None] * after + [_Scripted(error, http_status, delay, body)] * times)

    def issue_tokens(self, oa_id: str | None = None, app_id: str = DEFAULT_APP_ID) -> dict:
        """A fresh token pair for an OA, as an administrator would get from API Explorer."""
        with self._lock:
            return self._issue_pair(app_id, oa_id or self.default_oa_id)

    def grant_consent(self, *, app_id: str = DEFAULT_APP_ID, code_challenge: str | None = None,
                      oa_id: str | None = None) -> str:
        """An authorisation code, as if an OA administrator had just consented."""
        code = secrets.token_urlsafe(24)
        grant = _Grant(app_id, oa_id or self.default_oa_id, code_challenge, time.monotonic() + CODE_LIFETIME_SECONDS)
        with self._lock:
            self._codes[code] = grant
        return code

    def add_media(self, name: str, content: bytes, content_type: str, *, declare_length: bool = True) -> None:
        """Serve `content` at `media_url(name)`; without `declare_length` it is sent with no Content-Length."""
        with self._lock:
            self._media[name] = _Media(content, content_type, declare_length)

    def media_url(self, name: str) -> str:
        return f"{self.base_url}{MEDIA_PREFIX}{name}"

    def redirect_url(self, target: str) -> str:
        """A URL on this server that answers 302 to `target`."""
        return f"{self.base_url}{REDIRECT_PATH}?{urlencode({'to': target})}"

    # Request handling

    def handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        record = RecordedRequest(
            method=method,
            path=parts.path,
            query={key: values[0] for key, values in parse_qs(parts.query).items()},
            headers={key.lower(): value for key, value in handler.headers.items()},
            body=handler.rfile.read(length) if length else b"",
        )
        with self._lock:
            self._requests.append(record)
            queue = self._scripts.get(parts.path)
            scripted = queue.popleft() if queue else None
        if scripted is not None and scripted.delay:
            time.sleep(scripted.delay)
        if scripted is not None and (scripted.error, scripted.http_status, scripted.body) != (None, None, None):
            reply = self._scripted_reply(scripted)
        else:
            reply = self._route(record)
        self._write(handler, reply)

    @staticmethod
    def _scripted_reply(scripted: _Scripted) -> _Reply:
        if scripted.http_status is not None:
            body = scripted.body if scripted.body is not None else b"<html><body>Server error</body></html>"
            return _Reply(status=scripted.http_status, body=body, content_type="text/html")
        if scripted.error is not None:
            return _zalo_error(scripted.error, "Scripted failure")
        return _Reply(body=scripted.body, content_type="text/html")

    @staticmethod
    def _write(handler: BaseHTTPRequestHandler, reply: _Reply) -> None:
        handler.send_response(reply.status)
        handler.send_header("Content-Type", reply.content_type)
        if reply.declare_length:
            handler.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(reply.body)

    def _route(self, record: RecordedRequest) -> _Reply:
        if record.method == "GET" and record.path.startswith(MEDIA_PREFIX):
            return self._serve_media(record.path[len(MEDIA_PREFIX) :])
        if record.method == "GET" and record.path == REDIRECT_PATH:
            return _Reply(status=302, content_type="text/plain", headers={"Location": record.query.get("to", "/")})
        if record.method == "GET" and record.path == OAUTH_PERMISSION_PATH:
            return self._consent(record)
        if record.method == "POST" and record.path == OAUTH_TOKEN_PATH:
            return self._token(record)
        api_route = self._api_routes.get(record.path)
        if record.method == "POST" and api_route is not None:
            oa_id = self._oa_for_token(record.headers.get("access_token"))
            if oa_id is None:
                return _zalo_error(INVALID_ACCESS_TOKEN, "Access token is invalid")
            try:
                payload = record.json()
            except ValueError:
                return _zalo_error(INVALID_PARAMETER, "Body is not JSON")
            if not isinstance(payload, dict):
                return _zalo_error(INVALID_PARAMETER, "Body is not a JSON object")
            return api_route(oa_id, payload)
        return _json_reply({"error": 404, "message": "Not found"}, status=404)

    def _serve_media(self, name: str) -> _Reply:
        with self._lock:
            media = self._media.get(name)
        if media is None:
            return _Reply(status=404, body=b"not found", content_type="text/plain")
        return _Reply(body=media.content, content_type=media.content_type, declare_length=media.declare_length)

    # OAuth v4

    def _consent(self, record: RecordedRequest) -> _Reply:
        """Stands in for the consent page: consents at once and redirects to the callback."""
        app_id = record.query.get("app_id", "")
        redirect_uri = record.query.get("redirect_uri")
        if app_id not in self._apps or not redirect_uri:
            return _json_reply({"error": OAUTH_REJECTED, "error_name": "Invalid app_id or redirect_uri"})
        oa_id = record.query.get("oa_id") or self.default_oa_id
        code = self.grant_consent(app_id=app_id, code_challenge=record.query.get("code_challenge"), oa_id=oa_id)
        callback = {"code": code, "oa_id": oa_id, "state": record.query.get("state", "")}
        separator = "&" if "?" in redirect_uri else "?"
        return _Reply(status=302, content_type="text/plain",
                      headers={"Location": redirect_uri + separator + urlencode(callback)})

    def _token(self, record: RecordedRequest) -> _Reply:
        form = record.form()
        app_id = form.get("app_id", "")
        if app_id not in self._apps or record.headers.get("secret_key") != self._apps[app_id]:
            return _oauth_rejected("Invalid app_id or secret_key")
        grant_type = form.get("grant_type")
        with self._lock:
            if grant_type == "authorization_code":
                return self._exchange_code(app_id, form)
            if grant_type == "refresh_token":
                return self._rotate_refresh_token(app_id, form.get("refresh_token", ""))
        return _oauth_rejected("Invalid grant_type")

    def _exchange_code(self, app_id: str, form: dict[str, str]) -> _Reply:
        grant = self._codes.pop(form.get("code", ""), None)
        if grant is None or grant.app_id != app_id or grant.expires_at < time.monotonic():
            return _oauth_rejected("Invalid or used authorization code")
        verifier = form.get("code_verifier", "")
        if grant.code_challenge is not None and code_challenge_for(verifier) != grant.code_challenge:
            return _oauth_rejected("Invalid code_verifier")
        return _json_reply(self._issue_pair(app_id, grant.oa_id))

    def _rotate_refresh_token(self, app_id: str, refresh_token: str) -> _Reply:
        owner = self._refresh_tokens.pop(refresh_token, None)
        if owner is None or owner[0] != app_id:
            return _oauth_rejected("Invalid refresh token")
        return _json_reply(self._issue_pair(app_id, owner[1]))

    def _issue_pair(self, app_id: str, oa_id: str) -> dict:
        """A new pair for an OA; its previous access tokens stop working, as at Zalo. Caller holds the lock."""
        self._access_tokens = {token: owner for token, owner in self._access_tokens.items() if owner != oa_id}
        access_token, refresh_token = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        self._access_tokens[access_token] = oa_id
        self._refresh_tokens[refresh_token] = (app_id, oa_id)
        return {"access_token": access_token, "refresh_token": refresh_token, "expires_in": ACCESS_TOKEN_LIFETIME}

    def _oa_for_token(self, access_token: str | None) -> str | None:
        with self._lock:
            return self._access_tokens.get(access_token or "")

    # OpenAPI

    def _send_cs(self, oa_id: str, payload: dict) -> _Reply:
        recipient = payload.get("recipient")
        user_id = recipient.get("user_id") if isinstance(recipient, dict) else None
        message = payload.get("message")
        if not user_id or not isinstance(message, dict) or not ("text" in message or "attachment" in message):
            return _zalo_error(INVALID_PARAMETER, "Invalid recipient or message")
        if len(message.get("text") or "") > TEXT_LIMIT:
            return _zalo_error(PARAMETER_OVER_LIMIT, "Text is too long")
        message_id = secrets.token_hex(10)
        with self._lock:
            self._sent_messages.append(
                {"oa_id": oa_id, "user_id": user_id, "message": message, "message_id": message_id}
            )
        return _ok({"message_id": message_id, "user_id": user_id, "quota": {"quota_type": "reply"}})

    def _create_article(self, oa_id: str, payload: dict) -> _Reply:
        if not payload.get("title") or payload.get("type") not in ("normal", "video"):
            return _zalo_error(INVALID_PARAMETER, "Invalid article")
        with self._lock:
            return _ok({"token": self._store_article(secrets.token_hex(8), oa_id, payload)})

    def _update_article(self, oa_id: str, payload: dict) -> _Reply:
        with self._lock:
            if not self._owns_article(oa_id, payload.get("id")):
                return _zalo_error(INVALID_PARAMETER, "Unknown article id")
            return _ok({"token": self._store_article(payload["id"], oa_id, payload)})

    def _owns_article(self, oa_id: str, article_id) -> bool:
        """Caller holds the lock."""
        return isinstance(article_id, str) and self._articles.get(article_id, {}).get("oa_id") == oa_id

    def _store_article(self, article_id: str, oa_id: str, payload: dict) -> str:
        """Keep the article and return the token `verify` resolves to its id. Caller holds the lock."""
        token = secrets.token_urlsafe(16)
        self._articles[article_id] = {**payload, "id": article_id, "oa_id": oa_id}
        self._article_tokens[token] = article_id
        return token

    def _verify_article(self, oa_id: str, payload: dict) -> _Reply:
        with self._lock:
            article_id = self._article_tokens.get(str(payload.get("token")))
        if article_id is None:
            return _zalo_error(INVALID_PARAMETER, "Unknown token")
        return _ok({"id": article_id})

    def _remove_article(self, oa_id: str, payload: dict) -> _Reply:
        with self._lock:
            if not self._owns_article(oa_id, payload.get("id")):
                return _zalo_error(INVALID_PARAMETER, "Unknown article id")
            del self._articles[payload["id"]]
        return _ok({})


def _oauth_rejected(reason: str) -> _Reply:
    return _json_reply({"error": OAUTH_REJECTED, "error_name": reason})


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m devtools.zalo_fake", description="Fake Zalo on 127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--app", action="append", metavar="APP_ID:SECRET",
                        help=f"an app the OAuth endpoint accepts (default {DEFAULT_APP_ID}:{DEFAULT_APP_SECRET})")
    parser.add_argument("--oa-id", default=DEFAULT_OA_ID, help="the OA that consents and gets the printed tokens")
    args = parser.parse_args(argv)
    apps = dict(entry.split(":", 1) for entry in args.app) if args.app else None
    fake = FakeZalo(port=args.port, apps=apps, default_oa_id=args.oa_id).start()
    pair = fake.issue_tokens(app_id=next(iter(apps)) if apps else DEFAULT_APP_ID)
    print(f"Fake Zalo listening on {fake.base_url}")
    print(f"  ZALO_API_BASE={fake.base_url} ZALO_OAUTH_BASE={fake.base_url}")
    print(f"  ZALO_MEDIA_HOSTS={LOOPBACK} ZALO_ALLOW_PRIVATE_MEDIA=1 (media: {fake.media_url('photo.png')})")
    print(f"  fake tokens for OA {args.oa_id}:", f"access_token={pair['access_token']}",
          f"refresh_token={pair['refresh_token']}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        fake.stop()


if __name__ == "__main__":
    main()
