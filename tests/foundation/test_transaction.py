"""The one transaction pipeline: what services queue with `after_commit` runs when any commit succeeds, and
never for work that was rolled back (the whole transaction, or only the savepoint it was queued in)."""
import logging

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.extensions import db
from core.tenancy import tenant_scope
from core.transaction import after_commit, discard
from tenants.models import Tenant


@pytest.fixture
def ran(app_ctx):
    return []


def test_a_plain_commit_runs_what_was_queued_in_order(ran):
    after_commit(ran.append, "first")
    after_commit(ran.append, "second")
    assert ran == []  # nothing runs before the commit
    db.session.commit()
    assert ran == ["first", "second"]
    db.session.commit()
    assert ran == ["first", "second"]  # once


def test_a_rollback_or_a_closed_session_drops_the_queue(ran):
    after_commit(ran.append, "rolled back")
    db.session.rollback()
    db.session.commit()
    after_commit(ran.append, "closed")
    db.session.execute(select(1))
    db.session.close()
    db.session.commit()
    assert ran == []


def test_a_savepoint_rolled_back_drops_only_its_own_work(ran):
    after_commit(ran.append, "outer")
    try:
        with db.session.begin_nested():
            after_commit(ran.append, "inner, undone")
            raise RuntimeError("undo this savepoint")
    except RuntimeError:
        pass
    with db.session.begin_nested():
        after_commit(ran.append, "inner, kept")
    assert ran == []  # releasing a savepoint is not the commit
    db.session.commit()
    assert ran == ["outer", "inner, kept"]


def test_a_savepoint_lost_to_a_constraint_drops_its_work(ran, tenant_a):
    after_commit(ran.append, "outer")
    with tenant_scope(tenant_a.tenant_id):
        try:
            with db.session.begin_nested():
                after_commit(ran.append, "duplicate slug")
                db.session.add(Tenant(slug=tenant_a.slug, name="again", province_code="84"))
                db.session.flush()
        except IntegrityError:
            pass
    db.session.commit()
    assert ran == ["outer"]


def test_discard_forgets_what_was_queued(ran):
    after_commit(ran.append, "forgotten")
    discard()
    db.session.commit()
    assert ran == []


def test_a_failing_action_is_logged_and_the_others_still_run(ran, caplog):
    def broken():
        db.session.execute(select(1))  # leaves a transaction open, as a half-done job would
        raise RuntimeError("queue is down")

    after_commit(broken)
    after_commit(ran.append, "after the failure")
    with caplog.at_level(logging.ERROR, logger="core.transaction"):
        db.session.commit()
    assert ran == ["after the failure"]
    assert "after-commit action broken failed" in caplog.text


def test_an_action_may_commit_and_queue_its_own_work(ran):
    def job():
        after_commit(ran.append, "queued by the job")
        db.session.commit()
        ran.append("job done")

    after_commit(job)
    db.session.commit()
    assert ran == ["queued by the job", "job done"]
