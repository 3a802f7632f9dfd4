"""Encryption at rest for reporter identity and stored secrets, and keyed blind indexes for lookups.

`IDENTITY_KEY` holds one or more Fernet keys, comma-separated: the first encrypts, all decrypt, so a key is
rotated by putting a new one first and running `flask vault rotate`, which re-encrypts under it every column its
model declared with `@encrypted_columns` (and the inbox's evidence files).
A blind index is an HMAC of a normalised identifier under a key derived from each Fernet key; lookups try the
index under every key, so they keep working during a rotation.
"""
import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app


def _keys():
    return current_app.config["IDENTITY_KEYS"]


def _fernet():
    return MultiFernet([Fernet(key) for key in _keys()])


def encrypt(value) -> bytes | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = value.encode()
    return _fernet().encrypt(value)


def decrypt(token) -> bytes | None:
    if token is None:
        return None
    try:
        return _fernet().decrypt(bytes(token))
    except InvalidToken as exc:
        raise ValueError("stored value cannot be decrypted with the configured IDENTITY_KEY") from exc


def bound_cipher():
    """(encrypt, decrypt) over the keys configured now, usable after the app context ends (a file decrypted
    while its response streams to the client). `decrypt` raises ValueError for a token that does not
    authenticate, like `decrypt`."""
    fernet = _fernet()

    def decrypt_bound(token):
        try:
            return fernet.decrypt(bytes(token))
        except InvalidToken as exc:
            raise ValueError("stored value cannot be decrypted with the configured IDENTITY_KEY") from exc

    return fernet.encrypt, decrypt_bound


def decrypt_text(token):
    value = decrypt(token)
    return value.decode() if value is not None else None


def rotate(token):
    """Re-encrypt under the first key (no-op if already)."""
    return _fernet().rotate(bytes(token)) if token is not None else None


# {model: (column names, what a row is called in `vault rotate`'s report)}, declared by the models themselves.
ENCRYPTED = {}


def encrypted_columns(*columns, label):
    """Class decorator of a model whose `columns` hold `encrypt()`ed values, so `rotate_columns` finds them. A
    model with a method `after_rotation()` has it called on each row re-encrypted (e.g. to refresh blind
    indexes, which follow the first key)."""

    def declare(model):
        ENCRYPTED[model] = (columns, label)
        return model

    return declare


def rotate_columns(models=None):
    """Re-encrypt every declared column (of `models`, default every model) under the first key, in the caller's
    scope (`vault rotate` holds the platform scope). Returns {label: rows re-encrypted}, in declaration order."""
    from sqlalchemy import or_, select

    from core.extensions import db

    counts = {}
    for model, (columns, label) in ENCRYPTED.items():
        if models is not None and model not in models:
            continue
        holding = or_(*[getattr(model, column).is_not(None) for column in columns])
        rows = db.session.execute(select(model).where(holding)).scalars().all()
        for row in rows:
            for column in columns:
                setattr(row, column, rotate(getattr(row, column)))
            if hasattr(row, "after_rotation"):
                row.after_rotation()
        counts[label] = counts.get(label, 0) + len(rows)
    db.session.flush()
    return counts


def _index_key(key):
    return hashlib.sha256(b"ket-noi blind index|" + key.encode()).digest()


def blind_index(value, purpose):
    """The index under the current key. `purpose` separates kinds of identifier (zalo user, phone...)."""
    return _blind(value, purpose, _keys()[0])


def blind_indexes(value, purpose):
    """Every index the value may be stored under (one per configured key), for lookups."""
    return [_blind(value, purpose, key) for key in _keys()]


def _blind(value, purpose, key):
    normalised = f"{purpose}|{str(value).strip().lower()}".encode()
    return hmac.new(_index_key(key), normalised, hashlib.sha256).hexdigest()


def new_secret(nbytes=24):
    """A URL-safe random secret (24 bytes = 192 bits)."""
    return secrets.token_urlsafe(nbytes)


def hash_secret(secret):
    """Secrets we hand out (tip secrets, API tokens) carry ≥128 random bits, so a plain SHA-256 cannot be
    brute-forced and needs no key that a rotation of SECRET_KEY would invalidate."""
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(secret, stored_hash):
    return hmac.compare_digest(hash_secret(secret or ""), stored_hash or "")
