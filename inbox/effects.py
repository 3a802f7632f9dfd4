"""Work that must wait for the commit: enqueueing jobs (a tip is saved before any job about it exists).

Services call `after_commit(func, ...)`; whoever commits (a request, a job, a CLI command, the Zalo package)
calls `commit()` here instead of `db.session.commit()`. Anything left unscheduled (a crash between the two, a
caller that forgot) is found by the periodic sweep, so the queue is an accelerator, never the record.
"""
import logging

from sqlalchemy import event
from sqlalchemy.orm import Session

from core.extensions import db

KEY = "inbox_after_commit"
log = logging.getLogger(__name__)


def after_commit(func, *args, **kwargs):
    db.session.info.setdefault(KEY, []).append((func, args, kwargs))


def commit():
    """Commit the session, then run what the committed changes scheduled."""
    db.session.commit()
    pending = db.session.info.pop(KEY, [])
    for func, args, kwargs in pending:
        try:
            func(*args, **kwargs)
        except Exception:  # the data is saved; a lost enqueue is recovered by the sweep
            log.exception("after-commit action %s failed", getattr(func, "__name__", func))


def discard():
    """Drop what was scheduled (the demo writes the past: its deadlines are the sweep's business)."""
    db.session.info.pop(KEY, None)


@event.listens_for(Session, "after_rollback")
def _forget_pending(session):
    session.info.pop(KEY, None)
