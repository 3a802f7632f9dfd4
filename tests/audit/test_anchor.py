"""Anchors outside the database: a chain rewritten from the start, with fresh hashes, is still caught."""
import json
import logging

import pytest
from sqlalchemy import select, text

from audit.anchor import anchor_audit_chains, check_anchors, write_anchors
from core import audit
from core.audit import AuditChainHead, AuditLog, chain_name, verify_chain
from core.extensions import db
from core.registry import registry
from core.tenancy import platform_scope


@pytest.fixture
def anchor_dir(app_ctx, tmp_path, monkeypatch):
    """Anchors of a rolled-back test must not outlive it: each test writes to its own directory."""
    monkeypatch.setitem(app_ctx.config, "AUDIT_ANCHOR_DIR", str(tmp_path))
    return tmp_path


def _rewrite_from(chain, seq, table_owner):
    """What an insider with the database owner's rights would do: edit a record and recompute every hash
    after it."""
    with platform_scope(), table_owner():
        entries = db.session.execute(select(AuditLog).where(AuditLog.chain == chain, AuditLog.seq >= seq)
                                     .order_by(AuditLog.seq)).scalars().all()
        previous = entries[0].prev_hash
        for index, entry in enumerate(entries):
            if index == 0:
                entry.details = {**entry.details, "rewritten": True}
            entry.prev_hash = previous
            entry.hash = entry.compute_hash()
            previous = entry.hash
            db.session.execute(text("UPDATE audit_log SET details = :details, prev_hash = :prev, hash = :hash "
                                    "WHERE id = :id"), {"details": json.dumps(entry.details), "prev": entry.prev_hash,
                                                        "hash": entry.hash, "id": entry.id})
        db.session.execute(text("UPDATE audit_chain_heads SET last_hash = :hash WHERE chain = :chain"),
                           {"hash": previous, "chain": chain})
        db.session.commit()
        db.session.expire_all()


def test_anchor_command_writes_every_chain_head_to_todays_file(app_ctx, anchor_dir, world, caplog):
    caplog.set_level(logging.INFO, logger="ketnoi.audit.anchor")
    result = app_ctx.test_cli_runner().invoke(args=["audit", "anchor"])
    assert result.exit_code == 0, result.output
    files = list(anchor_dir.glob("audit-anchor-*.jsonl"))
    assert len(files) == 1
    lines = [json.loads(line) for line in files[0].read_text().splitlines()]
    chains = {line["chain"] for line in lines}
    assert {chain_name(world["a"].tenant_id), chain_name(world["b"].tenant_id), "platform"} <= chains
    with platform_scope():
        head = db.session.get(AuditChainHead, chain_name(world["a"].tenant_id))
    mine = next(line for line in lines if line["chain"] == head.chain)
    assert (mine["seq"], mine["hash"]) == (head.last_seq, head.last_hash)
    assert set(mine) == {"chain", "seq", "hash", "at"}
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert head.last_hash in logged and "@" not in logged
    anchor_audit_chains()  # the hourly job appends to the same day's file
    assert len(files[0].read_text().splitlines()) == 2 * len(lines)
    assert (anchor_audit_chains, 3600) in registry("periodic")


def test_a_consistent_rewrite_passes_verify_chain_but_not_the_anchor(app_ctx, anchor_dir, world, in_tenant,
                                                                     tenant_a, table_owner):
    chain = chain_name(tenant_a.tenant_id)
    with in_tenant(tenant_a):
        audit.record("seed.before_anchor")
        db.session.commit()
    write_anchors()
    assert check_anchors(chain) is None
    with in_tenant(tenant_a):
        audit.record("seed.after_anchor")
        db.session.commit()
    assert check_anchors(chain) is None  # appending is what a chain is for
    _rewrite_from(chain, 1, table_owner)
    with platform_scope():
        assert verify_chain(chain) is None
    problem = check_anchors(chain)
    assert problem and chain in problem and "rewritten" in problem


def test_a_truncated_chain_is_caught_by_the_anchor(app_ctx, anchor_dir, tenant_a, in_tenant, table_owner):
    chain = chain_name(tenant_a.tenant_id)
    write_anchors()
    with platform_scope(), table_owner():
        head = db.session.get(AuditChainHead, chain)
        last_seq = head.last_seq
        db.session.execute(text("DELETE FROM audit_log WHERE chain = :chain AND seq = :seq"),
                           {"chain": chain, "seq": last_seq})
        db.session.execute(text("UPDATE audit_chain_heads SET last_seq = :seq, last_hash = (SELECT hash FROM "
                                "audit_log WHERE chain = :chain AND seq = :seq) WHERE chain = :chain"),
                           {"seq": last_seq - 1, "chain": chain})
        db.session.commit()
        db.session.expire_all()
        assert verify_chain(chain) is None
    problem = check_anchors(chain)
    assert problem and f"seq={last_seq}" in problem and "missing" in problem


def test_no_anchor_file_means_nothing_to_compare(app_ctx, anchor_dir, tenant_a):
    assert check_anchors(chain_name(tenant_a.tenant_id)) is None
