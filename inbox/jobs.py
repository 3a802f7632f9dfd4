"""Inbox jobs: the timer at each deadline and the periodic sweep that catches what a lost timer missed."""
from core.extensions import db
from core.jobs import job
from core.tenancy import tenant_scope


@job
def check_deadlines(tenant_id, tip_id):
    """Enqueued at a deadline; a no-op when the tip was answered, moved or already dealt with."""
    from inbox.sla import process_safely

    with tenant_scope(tenant_id):
        process_safely(tip_id)
        db.session.commit()


@job
def sweep_deadlines():
    from inbox.sla import sweep

    return sweep()
