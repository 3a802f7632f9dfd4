"""The audit log: append-only, one hash chain per tenant plus a platform chain.

Each record stores the previous record's hash and its own hash over its content, so editing, deleting or
re-ordering any record breaks the chain at that record (`flask audit verify` names it). Appends to one chain
are serialised by locking the chain's head row, so two concurrent appends never fork it. On PostgreSQL a
trigger (see the migration) refuses UPDATE and DELETE on the table.

`record()` is called in the same transaction as the action it records; it flushes, never commits.
"""
import hashlib
import json
from contextlib import nullcontext

from flask import has_request_context
from flask_login import current_user
from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column

from core.extensions import db
from core.tenancy import PLATFORM, TenantScoped, current_scope, platform_scope
from core.timeutil import as_utc, utcnow

GENESIS = "0" * 64


class AuditChainHead(db.Model):
    """The last record of each chain; its row is the lock that serialises appends."""

    __tablename__ = "audit_chain_heads"
    chain: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    last_hash: Mapped[str] = mapped_column(String(64), default=GENESIS)


class AuditLog(TenantScoped, db.Model):
    __tablename__ = "audit_log"
    __tenant_optional__ = True  # platform records (e.g. a failed sign-in for an unknown e-mail) have no tenant
    __table_args__ = (UniqueConstraint("chain", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id"), index=True, nullable=True)
    chain: Mapped[str] = mapped_column(String(40))
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[object] = mapped_column(DateTime(timezone=True), index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    actor: Mapped[str] = mapped_column(String(255), default="")
    action: Mapped[str] = mapped_column(String(64), index=True)
    unit_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    target_type: Mapped[str] = mapped_column(String(40), default="")
    target_id: Mapped[str] = mapped_column(String(64), default="")
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    client: Mapped[str] = mapped_column(String(32), default="")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    def content(self):
        """Everything the hash covers, in a canonical form."""
        return {
            "tenant_id": self.tenant_id, "chain": self.chain, "seq": self.seq,
            "at": as_utc(self.at).isoformat(timespec="microseconds"),
            "actor_id": self.actor_id, "actor": self.actor, "action": self.action, "unit_id": self.unit_id,
            "target_type": self.target_type, "target_id": self.target_id, "details": self.details,
            "client": self.client, "prev_hash": self.prev_hash,
        }

    def compute_hash(self):
        canonical = json.dumps(self.content(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


def chain_name(tenant_id):
    return f"tenant:{tenant_id}" if tenant_id else "platform"


def _lock_head(chain):
    head = db.session.execute(
        select(AuditChainHead).where(AuditChainHead.chain == chain).with_for_update()
    ).scalar_one_or_none()
    if head is None:
        head = AuditChainHead(chain=chain, last_seq=0, last_hash=GENESIS)
        db.session.add(head)
        db.session.flush()
    return head


def _actor():
    if has_request_context() and getattr(current_user, "is_authenticated", False):
        return current_user.id, current_user.email
    return None, "system"


def record(action, target=None, unit_id=None, details=None, tenant_id=None, actor=None):
    """Append one record to the current tenant's chain (or the platform chain) and flush.

    `target` is a model instance (its class name and id are kept), `details` a small JSON-able dict that must
    never hold a reporter's identity or free text from a citizen.
    """
    scope = current_scope()
    if tenant_id is None and isinstance(scope, int):
        tenant_id = scope
    actor_id, actor_label = actor if actor is not None else _actor()
    from core.clientip import hashed_client

    entry = AuditLog(
        tenant_id=tenant_id,
        chain=chain_name(tenant_id),
        at=utcnow(),
        actor_id=actor_id,
        actor=actor_label or "",
        action=action,
        unit_id=unit_id if unit_id is not None else getattr(target, "unit_id", None),
        target_type=type(target).__name__ if target is not None else "",
        target_id=str(getattr(target, "id", "") or "") if target is not None else "",
        details=details or {},
        client=hashed_client() if has_request_context() else "",
    )
    with platform_scope() if tenant_id is None or scope == PLATFORM else nullcontext():
        head = _lock_head(entry.chain)
        entry.seq = head.last_seq + 1
        entry.prev_hash = head.last_hash
        entry.hash = entry.compute_hash()
        head.last_seq, head.last_hash = entry.seq, entry.hash
        db.session.add(entry)
        db.session.flush()
    return entry


def verify_chain(chain):
    """Walk one chain in order; return None if intact, else the first broken record (or its expected seq)."""
    expected_prev, expected_seq = GENESIS, 1
    rows = db.session.execute(select(AuditLog).where(AuditLog.chain == chain).order_by(AuditLog.seq))
    for entry in rows.scalars():
        if entry.seq != expected_seq or entry.prev_hash != expected_prev or entry.compute_hash() != entry.hash:
            return entry
        expected_prev, expected_seq = entry.hash, expected_seq + 1
    head = db.session.get(AuditChainHead, chain)
    if head is not None and (head.last_seq != expected_seq - 1 or head.last_hash != expected_prev):
        return {"chain": chain, "missing_from_seq": expected_seq}
    return None


def chains(tenant_id=None):
    statement = select(AuditChainHead.chain)
    if tenant_id is not None:
        statement = statement.where(AuditChainHead.chain == chain_name(tenant_id))
    return [row for row in db.session.execute(statement).scalars()]
