"""The `X-ZEvent-Signature` check on webhook deliveries, as Zalo's webhook documentation describes it
(`tests/zalo/test_signature.py` checks a worked example).

mac = lowercase hex SHA-256 of app_id + raw body + timestamp + OA Secret Key: a plain hash, not an HMAC.
The body must be the bytes exactly as received; re-serialising the JSON changes them (escaping, spacing)
and so the hash. The timestamp is the `timestamp` field inside the body.
"""

import hashlib
import hmac
import json

SIGNATURE_HEADER = "X-ZEvent-Signature"
_MAC_PREFIX = "mac="
_HEX_DIGITS = frozenset("0123456789abcdef")


def compute_signature(app_id: str, raw_body: bytes, timestamp: str, oa_secret_key: str) -> str:
    """The lowercase hex mac Zalo sends for this body."""
    signed = app_id.encode() + raw_body + timestamp.encode() + oa_secret_key.encode()
    return hashlib.sha256(signed).hexdigest()


def signature_header_value(app_id: str, raw_body: bytes, oa_secret_key: str) -> str:
    """The header value Zalo is reported to send (`mac=<hex>`), for simulated deliveries and tests."""
    timestamp = body_timestamp(raw_body)
    if timestamp is None:
        raise ValueError("the body has no string or integer `timestamp` field")
    return _MAC_PREFIX + compute_signature(app_id, raw_body, timestamp, oa_secret_key)


def body_timestamp(raw_body: bytes) -> str | None:
    """The `timestamp` field of a JSON body as a string, or None if the body has none."""
    try:
        payload = json.loads(raw_body)
    except (ValueError, UnicodeDecodeError):
        return None
    timestamp = payload.get("timestamp") if isinstance(payload, dict) else None
    # bool is an int subclass; Zalo never sends one here
    if isinstance(timestamp, int) and not isinstance(timestamp, bool):
        return str(timestamp)
    return timestamp if isinstance(timestamp, str) else None


def verify_signature(raw_body: bytes, header_value: str | None, *, app_id: str, oa_secret_key: str) -> bool:
    """Whether `header_value` is the valid signature of `raw_body` for this app and OA Secret Key.

    Accepts the value with or without the `mac=` prefix and in either hex case, because the sources
    disagree on both. A missing header, a garbled value or a body without a timestamp is invalid.
    """
    if not header_value:
        return False
    received = header_value.strip()
    if received[: len(_MAC_PREFIX)].lower() == _MAC_PREFIX:
        received = received[len(_MAC_PREFIX) :]
    received = received.lower()
    if len(received) != 64 or not _HEX_DIGITS.issuperset(received):
        return False
    timestamp = body_timestamp(raw_body)
    if timestamp is None:
        return False
    expected = compute_signature(app_id, raw_body, timestamp, oa_secret_key)
    return hmac.compare_digest(received, expected)
