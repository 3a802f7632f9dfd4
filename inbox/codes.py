"""Tracking codes that read aloud well (`TV-7K3M-9QPA`) and reporter secrets (≥ 128 random bits).

Both use Crockford's alphabet without 0 and 1 (so no O/0 or I/1/L confusion on a phone line); lower case,
spaces and missing dashes are forgiven when a citizen types them back.
"""
import re
import secrets
import unicodedata

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_RANDOM = 8  # 30**8 ≈ 6.6e11 codes per prefix: not enumerable, and the secret guards access anyway
SECRET_LENGTH = 28  # 28 × log2(30) ≈ 137 bits
_CLEAN = re.compile(r"[^0-9A-Z]")


def _random(length):
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def tenant_prefix(slug):
    """`tra-vinh` → `TV`, `ho-chi-minh` → `HCM`: initials of the slug, ASCII letters only."""
    initials = "".join(part[0] for part in (slug or "").split("-") if part)
    ascii_initials = unicodedata.normalize("NFKD", initials).encode("ascii", "ignore").decode().upper()
    return "".join(ch for ch in ascii_initials if ch.isalpha())[:4] or "KN"


def new_tracking_code(slug):
    body = _random(CODE_RANDOM)
    return f"{tenant_prefix(slug)}-{body[:4]}-{body[4:]}"


def normalise_code(code):
    """The canonical form of a typed code, or None when it cannot be one."""
    cleaned = _CLEAN.sub("", (code or "").upper())
    if len(cleaned) < CODE_RANDOM + 1 or len(cleaned) > CODE_RANDOM + 4:
        return None
    prefix, body = cleaned[:-CODE_RANDOM], cleaned[-CODE_RANDOM:]
    return f"{prefix}-{body[:4]}-{body[4:]}"


def new_secret():
    body = _random(SECRET_LENGTH)
    return "-".join(body[i:i + 4] for i in range(0, SECRET_LENGTH, 4))


def normalise_secret(secret):
    """Secrets are hashed in this form, so `abcd efgh...` and `ABCD-EFGH-...` are the same secret."""
    return _CLEAN.sub("", (secret or "").upper())
