"""Anchors of the audit chains outside the database, so that rewriting a whole chain is detectable too.

A rewritten chain can be internally consistent (every hash recomputed), which `verify_chain` cannot see. So
every hour each chain's head (seq and hash) is appended to a JSON-lines file of the day under
`AUDIT_ANCHOR_DIR` and logged as the same line; an operator ships either elsewhere (log collector, WORM
bucket). `check_anchors(chain)` compares the database with the newest anchor: the anchored record must still
exist with the anchored hash. Lines hold chain names, numbers and hashes only: no identity.
"""
import json
import logging
import os
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from core.audit import AuditChainHead, AuditLog
from core.extensions import db
from core.jobs import job
from core.tenancy import platform_scope
from core.timeutil import utcnow

log = logging.getLogger("ketnoi.audit.anchor")
FILE_PREFIX = "audit-anchor-"


def anchor_dir():
    return Path(current_app.config["AUDIT_ANCHOR_DIR"])


def anchor_lines():
    """One anchor line (a dict) per chain: its latest seq and hash, and when they were read."""
    at = utcnow().isoformat(timespec="seconds")
    with platform_scope():
        heads = db.session.execute(select(AuditChainHead).order_by(AuditChainHead.chain)).scalars().all()
    return [{"chain": head.chain, "seq": head.last_seq, "hash": head.last_hash, "at": at} for head in heads]


def write_anchors():
    """Append every chain's head to today's (UTC) file and log it; returns the lines written."""
    lines = anchor_lines()
    directory = anchor_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{FILE_PREFIX}{utcnow():%Y-%m-%d}.jsonl"
    text = "".join(json.dumps(line, sort_keys=True) + "\n" for line in lines)
    with open(path, "a", encoding="utf-8") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())
    for line in lines:
        log.info("audit anchor %s", json.dumps(line, sort_keys=True))
    return lines


@job
def anchor_audit_chains():
    write_anchors()


def latest_anchor(chain):
    """The newest anchor line for `chain` across the day files, or None when it was never anchored."""
    directory = anchor_dir()
    if not directory.is_dir():
        return None
    for path in sorted(directory.glob(f"{FILE_PREFIX}*.jsonl"), reverse=True):
        found = None
        with open(path, encoding="utf-8") as lines:
            for raw in lines:
                try:
                    line = json.loads(raw)
                except ValueError:
                    continue
                if isinstance(line, dict) and line.get("chain") == chain:
                    found = line
        if found is not None:
            return found
    return None


def check_anchors(chain):
    """None if the chain still holds its newest anchored record unchanged, else a message naming the seq.

    Catches what `verify_chain` cannot: a chain truncated or rewritten from the start with fresh hashes.
    """
    anchor = latest_anchor(chain)
    if anchor is None or not anchor.get("seq"):
        return None
    with platform_scope():
        entry = db.session.execute(
            select(AuditLog).where(AuditLog.chain == chain, AuditLog.seq == int(anchor["seq"]))
        ).scalar_one_or_none()
    if entry is None:
        return f"chain {chain}: anchored record seq={anchor['seq']} (anchored {anchor['at']}) is missing"
    if entry.hash != anchor["hash"]:
        return (f"chain {chain}: record id={entry.id} seq={entry.seq} has hash {entry.hash[:16]}…, the anchor "
                f"of {anchor['at']} says {anchor['hash'][:16]}… (the chain was rewritten)")
    return None

