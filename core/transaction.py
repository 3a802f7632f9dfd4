"""Work that must wait for the commit: services queue it, any `db.session.commit()` runs it.

A service that needs something done only once its changes are saved (enqueueing a job: a tip is saved before any
job about it exists) calls `after_commit(func, *args, **kwargs)`. Whoever commits — a request, a job, a CLI
command — commits the one way, `db.session.commit()`, and SQLAlchemy's session events run the queue once the
transaction is over:

- the outermost transaction commits: everything queued runs, in order, in the committer's tenant scope;
- it rolls back, or the session closes without committing: everything queued is dropped;
- a savepoint (`begin_nested()`) that rolls back drops what was queued inside it, and only that; one that is
  released keeps its work for the outer commit.

A queued action that fails is logged and the others still run: the data is saved, and the periodic sweeps find
whatever was not scheduled, so the queue is an accelerator, never the record. The actions run after the
transaction ended, so they may use the session (an embedded-mode job runs in-process and commits its own work).
"""
import logging

from sqlalchemy import event
from sqlalchemy.orm import Session

from core.extensions import db

QUEUE = "after_commit"  # [(func, args, kwargs)] in session.info
MARKS = "after_commit_savepoints"  # {savepoint: length of the queue when it began}
COMMITTED = "after_commit_committed"  # transactions (outermost or savepoints) whose commit event fired
log = logging.getLogger(__name__)


def after_commit(func, *args, **kwargs):
    """Run `func(*args, **kwargs)` once the current transaction commits (never if it rolls back)."""
    session = db.session()
    if session.get_transaction() is None:
        session.begin()  # the work belongs to a transaction, even when nothing was written yet
    session.info.setdefault(QUEUE, []).append((func, args, kwargs))


def discard():
    """Drop what was queued (the demo writes the past: its deadlines are the sweep's business)."""
    db.session.info.pop(QUEUE, None)


@event.listens_for(Session, "after_transaction_create")
def _mark_savepoint(session, transaction):
    if transaction.nested:
        session.info.setdefault(MARKS, {})[transaction] = len(session.info.get(QUEUE, ()))


@event.listens_for(Session, "after_commit")
def _note_commit(session):
    """Fires for the outermost transaction and for every released savepoint; the innermost one is committing."""
    committing = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(COMMITTED, set()).add(committing)


@event.listens_for(Session, "after_transaction_end")
def _settle(session, transaction):
    committed = transaction in session.info.get(COMMITTED, ())
    session.info.get(COMMITTED, set()).discard(transaction)
    if transaction.nested:
        mark = session.info.get(MARKS, {}).pop(transaction, None)
        if not committed and mark is not None:
            del session.info.get(QUEUE, [])[mark:]
        return
    if transaction.parent is not None:  # the inner transaction of a flush: not a boundary
        return
    queued = session.info.pop(QUEUE, [])
    session.info.pop(MARKS, None)
    if committed:
        _run(session, queued)


def _run(session, queued):
    for func, args, kwargs in queued:
        try:
            func(*args, **kwargs)
        except Exception:  # the data is saved; a lost enqueue is recovered by the sweep
            log.exception("after-commit action %s failed", getattr(func, "__name__", func))
            session.rollback()  # what the failed action left half-done must not ride on the caller's next commit
