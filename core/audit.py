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
    """Walk one chain in order; return None if intact, else the first broken record (or its expected seq).

    A record where another chain joined this one (`JOINED`) must match that chain's closing record, which must
    be its last and name this chain's record just before the join."""
    expected_prev, expected_seq = GENESIS, 1
    rows = db.session.execute(select(AuditLog).where(AuditLog.chain == chain).order_by(AuditLog.seq))
    for entry in rows.scalars():
        if entry.seq != expected_seq or entry.prev_hash != expected_prev or entry.compute_hash() != entry.hash:
            return entry
        if entry.action == JOINED and not _join_holds(entry):
            return entry
        expected_prev, expected_seq = entry.hash, expected_seq + 1
    head = db.session.get(AuditChainHead, chain)
    if head is not None and (head.last_seq != expected_seq - 1 or head.last_hash != expected_prev):
        return {"chain": chain, "missing_from_seq": expected_seq}
    return None


def chains(tenant_id=None):
    """Every chain, or a tenant's chain followed by the chains that were joined into it."""
    statement = select(AuditChainHead.chain)
    if tenant_id is None:
        return [row for row in db.session.execute(statement).scalars()]
    found, pending = [], [chain_name(tenant_id)]
    while pending:
        chain = pending.pop(0)
        if chain in found or db.session.get(AuditChainHead, chain) is None:
            continue
        found.append(chain)
        joins = db.session.execute(select(AuditLog.details).where(AuditLog.chain == chain,
                                                                  AuditLog.action == JOINED)).scalars()
        pending.extend(details.get("from_chain", {}).get("chain") for details in joins)
    return found


# --- chains joined by the 2025 reform: a carried tenant's chain is closed, the new tenant's records its arrival -
CLOSED, JOINED = "tenant.carried_out", "tenant.carried_in"


def head_of(chain):
    """{"chain", "seq", "hash"} of a chain's last record (seq 0 and the genesis hash for an empty chain)."""
    head = db.session.get(AuditChainHead, chain)
    return {"chain": chain, "seq": head.last_seq if head else 0, "hash": head.last_hash if head else GENESIS}


def join_chains(old_tenant_id, new_tenant_id, details):
    """Close the old tenant's chain with a record naming the new chain's head, then record the arrival in the
    new chain naming that closing record: `audit verify` of the new tenant checks both, across the join."""
    into = head_of(chain_name(new_tenant_id))
    closing = record(CLOSED, tenant_id=old_tenant_id, details={**details, "into_chain": into})
    source = {"chain": closing.chain, "seq": closing.seq, "hash": closing.hash}
    return record(JOINED, tenant_id=new_tenant_id, details={**details, "from_chain": source})


def _join_holds(entry):
    source = (entry.details or {}).get("from_chain") or {}
    closing = db.session.execute(select(AuditLog).where(AuditLog.chain == source.get("chain"),
                                                        AuditLog.seq == source.get("seq"))).scalar_one_or_none()
    if closing is None or closing.action != CLOSED or closing.hash != source.get("hash"):
        return False
    if head_of(closing.chain)["seq"] != closing.seq:  # nothing may follow the closing record
        return False
    into = (closing.details or {}).get("into_chain") or {}
    if into.get("chain") != entry.chain or into.get("seq") != entry.seq - 1:
        return False
    before = db.session.execute(select(AuditLog.hash).where(AuditLog.chain == entry.chain,
                                                            AuditLog.seq == into["seq"])).scalar_one_or_none()
    return (before or GENESIS) == into.get("hash")
