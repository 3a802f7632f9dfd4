"""Calls to Zalo's OA Open API and OAuth v4 server (consultation messages, articles, OAuth), over the standard library.

Zalo answers most failures with HTTP 200 and a non-zero `error`; every call goes through one path that
turns those, HTTP errors and network failures into the typed exceptions of `zalo.errors`. Logs name the
endpoint, the outcome and the duration only: never a token, a secret, a message text or a user id.
"""

import base64
import hashlib
import http.client
import json
import logging
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode

from zalo.errors import (
    RATE_LIMIT,
    AuthorizationRejected,
    RateLimited,
    ZaloError,
    ZaloUnavailable,
    error_for_code,
)

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 10.0
TEXT_LIMIT = 2000
_MAX_REPLY_BYTES = 1024 * 1024

CS_MESSAGE_PATH = "/v3.0/oa/message/cs"
ARTICLE_CREATE_PATH = "/v2.0/article/create"
ARTICLE_UPDATE_PATH = "/v2.0/article/update"
ARTICLE_REMOVE_PATH = "/v2.0/article/remove"
ARTICLE_VERIFY_PATH = "/v2.0/article/verify"
OAUTH_PERMISSION_PATH = "/v4/oa/permission"
OAUTH_TOKEN_PATH = "/v4/oa/access_token"


@dataclass(frozen=True)
class TokenPair:
    """An OA's access and refresh tokens; the repr leaves the tokens out so they never reach a log."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_in: int


def make_code_verifier() -> str:
    """A fresh PKCE code verifier: 43 base64url characters (32 random bytes)."""
    return secrets.token_urlsafe(32)


def code_challenge_for(code_verifier: str) -> str:
    """The PKCE S256 challenge: base64url(SHA-256(verifier)) without padding."""
    digest = hashlib.sha256(code_verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Cut `text` into parts Zalo accepts, preferring to cut after a line break, then after a space.

    Length is counted in UTF-16 code units, the stricter of the ways Zalo may count "characters", so an
    emoji counts twice. The parts joined give back `text` exactly.
    """
    parts = []
    rest = text
    while _utf16_length(rest) > limit:
        cut = _longest_prefix_within(rest, limit)
        for separator in ("\n", " "):
            position = rest.rfind(separator, 0, cut)
            if position >= cut // 2:
                cut = position + 1
                break
        parts.append(rest[:cut])
        rest = rest[cut:]
    parts.append(rest)
    return parts


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _longest_prefix_within(text: str, limit: int) -> int:
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return index
    return len(text)


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    """Zalo's API never redirects; following one would resend the access_token header elsewhere."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class ZaloClient:
    """One OA-independent client; tokens and app credentials are passed to each call.

    `api_base` and `oauth_base` are the app's ZALO_API_BASE and ZALO_OAUTH_BASE, so tests and the demo
    can point them at `devtools.zalo_fake`.
    """

    def __init__(self, api_base: str, oauth_base: str, *, timeout: float = DEFAULT_TIMEOUT):
        self.api_base = api_base.rstrip("/")
        self.oauth_base = oauth_base.rstrip("/")
        self.timeout = timeout
        self._opener = urllib.request.build_opener(_RefuseRedirects)

    # OAuth v4 (README §5)

    def authorization_url(self, app_id: str, redirect_uri: str, code_challenge: str, state: str) -> str:
        """The consent page an OA administrator opens to grant this app access to the OA."""
        query = urlencode(
            {"app_id": app_id, "redirect_uri": redirect_uri, "code_challenge": code_challenge, "state": state}
        )
        return f"{self.oauth_base}{OAUTH_PERMISSION_PATH}?{query}"

    def exchange_code(self, app_id: str, app_secret: str, code: str, code_verifier: str) -> TokenPair:
        """Trade the single-use authorisation code from the consent callback for a token pair."""
        form = {"app_id": app_id, "grant_type": "authorization_code", "code": code, "code_verifier": code_verifier}
        return self._request_tokens(app_secret, form)

    def refresh_tokens(self, app_id: str, app_secret: str, refresh_token: str) -> TokenPair:
        """Trade a refresh token for a new pair.

        The refresh token is single-use and the old access token dies with it: store the new pair before
        using it, and refresh under a per-OA lock.
        """
        form = {"app_id": app_id, "grant_type": "refresh_token", "refresh_token": refresh_token}
        return self._request_tokens(app_secret, form)

    def _request_tokens(self, app_secret: str, form: Mapping[str, str]) -> TokenPair:
        headers = {"secret_key": app_secret, "Content-Type": "application/x-www-form-urlencoded"}
        reply = self._post(self.oauth_base, OAUTH_TOKEN_PATH, urlencode(form).encode(), headers)
        code = _error_code(reply)
        if code == RATE_LIMIT:
            raise RateLimited("OAuth rate limit reached", code=code)
        if code:
            reason = reply.get("error_name") or reply.get("error_reason") or reply.get("message") or "rejected"
            raise AuthorizationRejected(str(reason), code=code)
        try:
            return TokenPair(
                access_token=str(reply["access_token"]),
                refresh_token=str(reply["refresh_token"]),
                expires_in=int(reply["expires_in"]),
            )
        except (KeyError, TypeError, ValueError):
            raise ZaloError("token reply without access_token, refresh_token or expires_in") from None

    # Consultation messages (README §3)

    def send_text(
        self, access_token: str, user_id: str, text: str, *, quote_message_id: str | None = None
    ) -> list[str]:
        """Send a reply as one or more CS text messages; returns Zalo's message id of each part.

        If a later part fails, the raised error's `delivered_message_ids` names the parts already sent.
        """
        if not text.strip():
            raise ValueError("a Zalo text message cannot be empty")
        delivered: list[str] = []
        for part in split_text(text):
            message = {"text": part}
            if quote_message_id and not delivered:
                message["quote_message_id"] = quote_message_id
            try:
                delivered.append(self._send_cs(access_token, user_id, message))
            except ZaloError as error:
                error.delivered_message_ids = tuple(delivered)
                raise
        return delivered

    def send_image(
        self,
        access_token: str,
        user_id: str,
        *,
        image_url: str | None = None,
        attachment_id: str | None = None,
        caption: str | None = None,
    ) -> str:
        """Send an image by public URL or by an uploaded attachment id (exactly one); returns the message id."""
        if (image_url is None) == (attachment_id is None):
            raise ValueError("give exactly one of image_url and attachment_id")
        source = {"url": image_url} if image_url is not None else {"attachment_id": attachment_id}
        element = {"media_type": "image", **source}
        payload = {"template_type": "media", "elements": [element]}
        message: dict = {"attachment": {"type": "template", "payload": payload}}
        if caption:
            message["text"] = caption
        return self._send_cs(access_token, user_id, message)

    def _send_cs(self, access_token: str, user_id: str, message: Mapping) -> str:
        data = self._call_api(CS_MESSAGE_PATH, access_token, {"recipient": {"user_id": user_id}, "message": message})
        # Zalo accepted the message: a missing id must not turn into an error that invites a resend
        return str(data.get("message_id") or "")

    # Articles (README §4)

    def create_article(self, access_token: str, article: Mapping) -> str:
        """Start creating an article; returns the token that `verify_article` turns into the article id."""
        return _required(self._call_api(ARTICLE_CREATE_PATH, access_token, article), "token")

    def verify_article(self, access_token: str, token: str) -> str:
        """The id of the article a create or update token refers to; ArticleProcessing while Zalo works."""
        return _required(self._call_api(ARTICLE_VERIFY_PATH, access_token, {"token": token}), "id")

    def update_article(self, access_token: str, article_id: str, article: Mapping) -> str:
        """Replace an article's content; returns a token like `create_article`."""
        return _required(self._call_api(ARTICLE_UPDATE_PATH, access_token, {**article, "id": article_id}), "token")

    def remove_article(self, access_token: str, article_id: str) -> None:
        self._call_api(ARTICLE_REMOVE_PATH, access_token, {"id": article_id})

    # Transport

    def _call_api(self, path: str, access_token: str, payload: Mapping) -> dict:
        """POST JSON to the OpenAPI and return the reply's `data`, raising on a non-zero `error`."""
        body = json.dumps(payload, ensure_ascii=False).encode()
        headers = {"access_token": access_token, "Content-Type": "application/json"}
        reply = self._post(self.api_base, path, body, headers)
        code = _error_code(reply)
        if code:
            raise error_for_code(code, str(reply.get("message") or "error"))
        data = reply.get("data")
        return data if isinstance(data, dict) else {}

    def _post(self, base: str, path: str, body: bytes, headers: Mapping[str, str]) -> dict:
        request = urllib.request.Request(base + path, data=body, headers=dict(headers), method="POST")
        started = time.monotonic()
        try:
            reply = self._exchange(request)
        except ZaloError as error:
            log.warning("zalo %s failed: %s code=%s http=%s after %.0f ms", path, type(error).__name__,
                        error.code, error.http_status, _elapsed_ms(started))
            raise
        code = _error_code(reply)
        log.log(logging.WARNING if code else logging.INFO, "zalo %s error=%s in %.0f ms", path, code,
                _elapsed_ms(started))
        return reply

    def _exchange(self, request: urllib.request.Request) -> dict:
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                raw = response.read(_MAX_REPLY_BYTES)
        except urllib.error.HTTPError as error:
            error.close()
            raise _http_failure(error.code) from None
        except (OSError, http.client.HTTPException) as error:
            raise ZaloUnavailable(f"network failure: {type(error).__name__}") from error
        try:
            reply = json.loads(raw)
        except ValueError:
            raise ZaloUnavailable("reply is not JSON", http_status=200) from None
        if not isinstance(reply, dict):
            raise ZaloUnavailable("reply is not a JSON object", http_status=200)
        return reply


def _required(data: Mapping, key: str) -> str:
    value = data.get(key)
    if value in (None, ""):
        raise ZaloError(f"reply data has no {key}")
    return str(value)


def _error_code(reply: Mapping) -> int:
    try:
        return int(reply.get("error") or 0)
    except (TypeError, ValueError):
        return 0


def _http_failure(status: int) -> ZaloError:
    if status == 429:
        return RateLimited("HTTP 429", http_status=status)
    if status >= 500:
        return ZaloUnavailable(f"HTTP {status}", http_status=status)
    return ZaloError(f"HTTP {status}", http_status=status)


def _elapsed_ms(started: float) -> float:
    return (time.monotonic() - started) * 1000
