"""Claiming a row of work, and writing after a network call, safely on SQLite as on PostgreSQL.

On SQLite (WAL) a transaction that read first and writes later fails at once with "database is locked" if
another connection committed in between: its snapshot is stale and waiting cannot help. So every write phase
that follows a call to Zalo starts by ending whatever was read before and taking the lock with a write:
on SQLite that is the database write lock (later writers wait for it, `busy_timeout`), on PostgreSQL the
row lock. Everything read afterwards is fresh, because the commit expired the loaded objects.
"""
from datetime import timedelta

from sqlalchemy import or_, update

from core.extensions import db

CLAIM = timedelta(minutes=5)  # how long a claimed row is left to the attempt that claimed it


def begin_writing(column, row_id):
    """Commit, then lock the row of `column`'s table with id `row_id` by writing `column` to itself."""
    model = column.class_
    db.session.commit()
    db.session.execute(update(model).where(model.id == row_id).values({column: column})
                       .execution_options(synchronize_session=False))


def due(next_attempt_at, now):
    """SQL: a row's next attempt is due (never set, or passed)."""
    return or_(next_attempt_at.is_(None), next_attempt_at <= now)


def claim_due(model, row_id, ready, **values):
    """Claim one row of work (a delivery, an outbox message, a media fetch, an article) for this attempt: one
    conditional UPDATE of the row while `ready` holds (still waiting and due), which adds one to `attempts` and
    sets `values` (how long the claim holds), then a commit. A job and a sweep racing for the same row run it
    once: only the caller whose UPDATE matched gets True."""
    claimed = db.session.execute(update(model).where(model.id == row_id, ready)
                                 .values(attempts=model.attempts + 1, **values)
                                 .execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return bool(claimed)
