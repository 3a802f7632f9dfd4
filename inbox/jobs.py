"""Inbox jobs: the timer at each deadline and the periodic sweep that catches what a lost timer missed; the
playable copy of voice evidence and its sweep."""
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


@job
def prepare_playback(tenant_id, attachment_id):
    """The playable copy of a voice recording (`inbox.playback`); a failure worth retrying is committed, then
    raised, so rq retries the job."""
    from inbox.playback import PlaybackRetry
    from inbox.playback import prepare_playback as prepare

    with tenant_scope(tenant_id):
        state = prepare(attachment_id)
        db.session.commit()
    if state == "retrying":
        raise PlaybackRetry(f"evidence {attachment_id}: conversion failed, to be retried")
    return state


@job
def sweep_playback():
    from inbox.playback import sweep

    return sweep()
