"""The reporter-identity vault: who sent a tip, encrypted, and found again only through blind indexes.

Name, phone and Zalo user id are Fernet-encrypted with `IDENTITY_KEY`; a phone or a Zalo user (per Official
Account, since Zalo user ids are per OA) is looked up by a keyed HMAC of it. Staff see `pseudonym()`, a stable
"Người báo tin #4821"; the plain values leave the vault only through `reveal()` (audited by the caller).

A record belongs to one web or API tip (a phone typed in a form proves nothing, so it is never matched to an
earlier reporter), or to one Zalo user of one OA (the OA user id is Zalo's proof of the sender, so their
messages thread into one tip under one pseudonym). Records of the same phone or Zalo user are linked only
inside the vault, by their blind indexes: `linked_reporters()` serves the audited reveal and nothing else.
"""
import secrets

from sqlalchemy import DateTime, Integer, LargeBinary, String, UniqueConstraint, false, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from core.crypto import blind_index, blind_indexes, decrypt_text, encrypt, encrypted_columns
from core.extensions import db
from core.tenancy import TenantScoped, current_tenant_id
from core.timeutil import utcnow

PHONE = "reporter-phone"
ZALO = "reporter-zalo"


@encrypted_columns("name_enc", "phone_enc", "zalo_user_enc", label="danh tính")
class ReporterIdentity(TenantScoped, db.Model):
    __tablename__ = "reporter_identities"
    __table_args__ = (UniqueConstraint("tenant_id", "alias"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    alias: Mapped[int] = mapped_column(Integer)  # the number in the pseudonym; random, so it tells nothing
    name_enc: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    phone_enc: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    zalo_user_enc: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    phone_index: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    zalo_index: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    zalo_oa_id: Mapped[str | None] = mapped_column(String(40), nullable=True)  # the OA's id, public
    created_at: Mapped[object] = mapped_column(DateTime(timezone=True), default=utcnow)
    erased_at: Mapped[object | None] = mapped_column(DateTime(timezone=True), nullable=True)

    def after_rotation(self):
        """The blind indexes follow the first key: recomputed once the identity is re-encrypted under it."""
        phone = decrypt_text(self.phone_enc)
        if phone:
            self.phone_index = blind_index(phone, PHONE)
        zalo_user_id = decrypt_text(self.zalo_user_enc)
        if zalo_user_id:
            self.zalo_index = blind_index(_zalo_key(self.zalo_oa_id, zalo_user_id), ZALO)


def pseudonym(reporter):
    return f"Người báo tin #{reporter.alias}" if reporter is not None else "Người báo tin ẩn danh"


def normalise_phone(phone):
    digits = "".join(ch for ch in str(phone or "") if ch.isdigit() or ch == "+")
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) >= 11:
        digits = "0" + digits[2:]
    return digits


def _zalo_key(oa_id, zalo_user_id):
    return f"{oa_id}:{zalo_user_id}"


# Pseudonym numbers: four digits while they last; attempts 3-4 of a draw, then 5 on, take the larger ranges.
ALIAS_RANGES = ((1000, 9999), (10000, 999999), (1_000_000, 9_999_999))
FIRST_ATTEMPT_OF_RANGE = (0, 3, 5)
# Per process, per tenant: the range a draw last had to move on to. A province whose four-digit numbers are
# crowded (three draws in a row taken) starts its next reporters there, instead of paying three failed
# inserts (a savepoint round trip each, and a reset of the connection's prepared statements) every time.
_crowded_range = {}


def _range_of(attempt):
    return sum(attempt >= first for first in FIRST_ATTEMPT_OF_RANGE) - 1


def _new_alias(attempt=0):
    """A random pseudonym number from the range of this attempt."""
    low, high = ALIAS_RANGES[_range_of(attempt)]
    return low + secrets.randbelow(high - low + 1)


def insert_drawn(objects, draw, attempts=8):
    """Insert new `objects` whose unique keys are drawn at random (an alias, a tracking code), optimistically:
    `draw(attempt)` sets the keys, the insert runs in a savepoint, and a unique violation (a key just taken,
    perhaps by a concurrent request) draws again. No SELECT-then-INSERT: one round trip fewer per key, and no
    race between the check and the insert. Changes already pending are flushed first, so a redraw cannot undo
    them."""
    db.session.flush()
    for attempt in range(attempts):
        draw(attempt)
        try:
            with db.session.begin_nested():
                db.session.add_all(objects)
        except IntegrityError:
            if attempt == attempts - 1:
                raise
            continue
        return objects


def new_reporter(name=None, phone=None, zalo_user_id=None, oa_id=None):
    """An unsaved reporter holding this identity; `insert_drawn` with `draw_alias` saves it."""
    return store_identity(ReporterIdentity(), name=name, phone=phone, zalo_user_id=zalo_user_id, oa_id=oa_id)


def draw_alias(reporter, attempt=0):
    """Attempt `attempt` of a draw, counted from the tenant's crowded range when one was met."""
    tenant = current_tenant_id()
    attempt += FIRST_ATTEMPT_OF_RANGE[_crowded_range.get(tenant, 0)]
    if _range_of(attempt) > _crowded_range.get(tenant, 0):
        _crowded_range[tenant] = _range_of(attempt)
    reporter.alias = _new_alias(attempt)


def create_reporter(name=None, phone=None, zalo_user_id=None, oa_id=None):
    reporter = new_reporter(name=name, phone=phone, zalo_user_id=zalo_user_id, oa_id=oa_id)
    insert_drawn([reporter], lambda attempt: draw_alias(reporter, attempt))
    return reporter


def store_identity(reporter, name=None, phone=None, zalo_user_id=None, oa_id=None):
    """Add what we learnt about a reporter (e.g. Zalo `user_submit_info`); empty values change nothing."""
    name = (name or "").strip()
    phone = normalise_phone(phone)
    if name:
        reporter.name_enc = encrypt(name)
    if phone:
        reporter.phone_enc = encrypt(phone)
        reporter.phone_index = blind_index(phone, PHONE)
    if zalo_user_id:
        reporter.zalo_user_enc = encrypt(str(zalo_user_id))
        reporter.zalo_index = blind_index(_zalo_key(oa_id, zalo_user_id), ZALO)
        reporter.zalo_oa_id = oa_id
    if name or phone or zalo_user_id:
        reporter.erased_at = None
    return reporter


def reporters_by_phone(phone):
    """SELECT of the ids of every record holding this phone (under any configured key)."""
    phone = normalise_phone(phone)
    return select(ReporterIdentity.id).where(
        ReporterIdentity.phone_index.in_(blind_indexes(phone, PHONE)) if phone else false())


def linked_reporters(reporter):
    """SELECT of the ids of the other records with the reporter's phone or Zalo user: the vault-internal link
    between tips of one person. Only for the audited reveal (`inbox.services.reveal_identity`)."""
    phone, zalo_user_id = decrypt_text(reporter.phone_enc), decrypt_text(reporter.zalo_user_enc)
    same = [ReporterIdentity.id.in_(reporters_by_phone(phone))] if phone else []
    if zalo_user_id:
        same.append(ReporterIdentity.zalo_index.in_(
            blind_indexes(_zalo_key(reporter.zalo_oa_id, zalo_user_id), ZALO)))
    return select(ReporterIdentity.id).where(or_(false(), *same), ReporterIdentity.id != reporter.id)


def reporter_by_zalo(oa_id, zalo_user_id):
    """The reporter behind a Zalo user of one Official Account, or None."""
    return _first_by_index(ReporterIdentity.zalo_index, blind_indexes(_zalo_key(oa_id, zalo_user_id), ZALO))


def _first_by_index(column, indexes):
    statement = select(ReporterIdentity).where(or_(*[column == index for index in indexes]))
    return db.session.execute(statement.order_by(ReporterIdentity.id)).scalars().first()


def reveal(reporter):
    """The plain identity. Only for callers that checked `tip.reveal` and audit the call."""
    if reporter is None:
        return {"name": None, "phone": None, "zalo_user_id": None, "pseudonym": pseudonym(None)}
    return {"name": decrypt_text(reporter.name_enc), "phone": decrypt_text(reporter.phone_enc),
            "zalo_user_id": decrypt_text(reporter.zalo_user_enc), "pseudonym": pseudonym(reporter)}


def erase_identity(reporter):
    """Forget who the reporter is (Zalo `user_withdraw`, a deletion request); their tips stay, pseudonymous."""
    reporter.name_enc = reporter.phone_enc = reporter.zalo_user_enc = None
    reporter.phone_index = reporter.zalo_index = None
    reporter.erased_at = utcnow()
    db.session.flush()
    return reporter


