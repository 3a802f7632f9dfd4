"""Typed failures of the Zalo channel, so a caller chooses its reaction by class rather than by number.

Zalo reports most failures as HTTP 200 with a non-zero `error` (Zalo's OA Open API). The reactions:

- `InvalidAccessToken`: refresh the OA's tokens once and retry the call once.
- `RecipientUnreachable` (and its `OutsideInteractionWindow`): keep the reply, mark it undeliverable, never retry.
- `RateLimited`, `ZaloUnavailable`, `ArticleProcessing`: retry later with backoff.
- `AuthorizationRejected`: the code or refresh token is dead; mark the OA as needing re-authorisation.
- `SetupRequired`: an OA or app administrator must act in Zalo's console.
- plain `ZaloError`: anything else; log the code and give up.
"""


class ZaloError(Exception):
    """A call to Zalo failed.

    `code` is Zalo's error number (None when the failure was at the HTTP or network level) and
    `http_status` the HTTP status when it was not 200. `delivered_message_ids` lists the parts of a
    split text message that Zalo accepted before this failure, so a retry can skip them.
    """

    def __init__(self, description: str, *, code: int | None = None, http_status: int | None = None):
        super().__init__(description)
        self.description = description
        self.code = code
        self.http_status = http_status
        self.delivered_message_ids: tuple[str, ...] = ()


class InvalidAccessToken(ZaloError):
    """The access token is invalid (-216) or expired/revoked (-220)."""


class RecipientUnreachable(ZaloError):
    """The citizen cannot receive this message now: not a follower, blocked, inactive or restricted."""


class OutsideInteractionWindow(RecipientUnreachable):
    """The citizen has not interacted with the OA within the last 7 days (-230, -232)."""


class RateLimited(ZaloError):
    """Too many requests (-32 or HTTP 429); Zalo's per-app quota resets each minute."""


class ZaloUnavailable(ZaloError):
    """Zalo could not be reached or answered with a 5xx, a timeout or an unreadable body."""


class ArticleProcessing(ZaloError):
    """The article is still being processed (-214); ask again later."""


class SetupRequired(ZaloError):
    """The OA or the app lacks a permission, verification, package or registration in Zalo's console."""


class AuthorizationRejected(ZaloError):
    """Zalo's OAuth server refused an authorisation code or a refresh token."""


RATE_LIMIT = -32
ARTICLE_BEING_PROCESSED = -214

_CLASS_BY_CODE: dict[int, type[ZaloError]] = {
    -216: InvalidAccessToken,
    -220: InvalidAccessToken,
    -213: RecipientUnreachable,
    -227: RecipientUnreachable,
    -244: RecipientUnreachable,
    -230: OutsideInteractionWindow,
    -232: OutsideInteractionWindow,
    RATE_LIMIT: RateLimited,
    ARTICLE_BEING_PROCESSED: ArticleProcessing,
    -209: SetupRequired,
    -212: SetupRequired,
    -221: SetupRequired,
    -223: SetupRequired,
    -224: SetupRequired,
    -242: SetupRequired,
}


def error_for_code(code: int, description: str) -> ZaloError:
    """The exception for an OpenAPI reply whose `error` is `code`."""
    return _CLASS_BY_CODE.get(code, ZaloError)(description, code=code)


class MediaFetchError(Exception):
    """Downloading an attachment named in a webhook event failed."""


class MediaRefused(MediaFetchError):
    """The URL, a redirect or a resolved address is not allowed; retrying cannot help."""


class MediaTooLarge(MediaFetchError):
    """The file is larger than the configured cap."""


class MediaUnavailable(MediaFetchError):
    """The host could not be resolved or reached, or answered with an error; a later retry may work."""
