"""What one public tip costs in SQL statements: a behaviour guard (no timing), so intake keeps its round trips.

Counted: the statements a request sends before it commits (the tests' rolled-back transaction turns the commit
itself into savepoint statements, and the form's page reloads the unit after it). The metric tables belong to
`metrics.events.record`, which has its own budget, so statements on them are left out. The figures hold on
SQLite and PostgreSQL alike.
"""
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from core.extensions import db
from core.tenancy import tenant_scope
from core.timeutil import as_utc
from inbox.models import Tip

# The unit with its tenant's slug, routing rules, SLA policy; SAVEPOINT, the (pseudonymous) reporter, the tip,
# RELEASE; history; notifications of the unit's staff (one INSERT … SELECT).
ANONYMOUS_TIP = 9
# ... the same: a phone is never looked up (every public tip has a vault record of its own)
TIP_WITH_CONTACT = ANONYMOUS_TIP


@pytest.fixture
def inbox_statements(app_ctx):
    """`with inbox_statements() as seen: ...`: the statements a request sends until it commits, except those on
    metric tables."""
    from contextlib import contextmanager

    @contextmanager
    def _seen():
        statements, committed = [], []

        def _before(_conn, _cursor, statement, *_args):
            if " metric_" not in statement and not committed:
                statements.append(statement.split("\n")[0][:80])

        def _commit(session):
            if session.get_nested_transaction() is None:  # the request's commit, not a savepoint's release
                committed.append(True)

        db.session.execute(select(1))  # the tests' transaction opens its next savepoint now, not in the count
        event.listen(db.engine, "before_cursor_execute", _before)
        event.listen(Session, "before_commit", _commit)
        try:
            yield statements
        finally:
            event.remove(Session, "before_commit", _commit)
            event.remove(db.engine, "before_cursor_execute", _before)

    return _seen


@pytest.mark.parametrize("contact, budget", [(None, ANONYMOUS_TIP),
                                             ({"name": "Trần Thị Bình", "phone": "0912 345 678"}, TIP_WITH_CONTACT)])
def test_a_public_tip_costs_a_fixed_number_of_statements(post_tip, tenant_a, inbox_statements, contact, budget):
    post_tip(tenant_a.units["commune"].id)  # warm: the first request of a process loads more than a tip needs
    fields = {"contact": contact} if contact else {}
    with inbox_statements() as seen:
        response = post_tip(tenant_a.units["commune"].id, **fields)
    assert response.status_code == 201
    assert len(seen) <= budget, "\n".join(seen)


def test_the_form_costs_what_the_api_costs(client, tenant_a, inbox_statements):
    from tests.inbox.test_pages import csrf_of, form_url

    url = form_url(tenant_a)
    token = csrf_of(client.get(url).get_data(as_text=True))
    with inbox_statements() as seen:
        response = client.post(url, data={"csrf_token": token, "category": "security_report",
                                          "description": "Có nhóm thanh niên tụ tập gây ồn ào lúc nửa đêm."})
    assert response.status_code == 201
    assert len(seen) <= ANONYMOUS_TIP, "\n".join(seen)


def test_a_met_deadline_rearms_the_timer_at_the_next_one(make_tip, tip_of, tenant_a, monkeypatch):
    """One timer per tip: at the acknowledge deadline of an acknowledged tip, the job schedules the resolve one."""
    from inbox import deadlines
    from inbox.jobs import check_deadlines

    scheduled = []
    monkeypatch.setattr(deadlines, "enqueue", lambda func, *args, **kwargs: scheduled.append(kwargs["job_id"]))
    tip_id, _ = make_tip("commune")
    assert [job.split("-")[3] for job in scheduled] == ["ack"]
    with tenant_scope(tenant_a.tenant_id):
        tip = tip_of(tip_id)
        tip.status = "acknowledged"
        ack_due, resolve_due = as_utc(tip.ack_due_at), as_utc(tip.resolve_due_at)
        db.session.commit()
    with time_machine.travel(ack_due + timedelta(seconds=1), tick=False):
        check_deadlines(tenant_a.tenant_id, tip_id)
    assert scheduled[1:] == [f"inbox-deadline-{tip_id}-resolve-{int(resolve_due.timestamp())}"]
    with tenant_scope(tenant_a.tenant_id):
        assert db.session.execute(select(Tip.unit_id).where(Tip.id == tip_id)).scalar_one() == \
            tenant_a.units["commune"].id
