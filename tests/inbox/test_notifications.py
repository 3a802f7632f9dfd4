"""Notifications: in-app for the unit's staff, and an e-mail job on the `notifications` queue with SMTP."""
from sqlalchemy import select

from core.extensions import db
from core.tenancy import tenant_scope
from inbox.notify import Notification, send_notification_email


def test_email_copies_are_sent_by_a_job_only_when_smtp_is_configured(app_ctx, make_tip, tenant_a, monkeypatch):
    """The job is called here rather than through a worker: the queue (a shared Redis on the services leg) is
    not what is under test, the enqueue after the commit and the job's work are."""
    import inbox.notify

    sent, queued = [], []
    monkeypatch.setattr(inbox.notify, "_send", lambda url, message: sent.append((url, message)))
    monkeypatch.setattr(inbox.notify, "enqueue", lambda func, *args, **kwargs: queued.append((func, args, kwargs)))
    make_tip("commune")
    assert queued == []
    monkeypatch.setitem(app_ctx.config, "SMTP_URL", "smtp://mail.example:25")
    tip_id, _ = make_tip("commune", description="Mất trộm gà vịt ban đêm.")
    assert {kwargs["queue_name"] for _func, _args, kwargs in queued} == {"notifications"}
    for func, args, _kwargs in queued:
        func(*args)
    recipients = sorted(message["To"] for _url, message in sent)
    assert recipients == sorted([tenant_a.users["officer"].email, tenant_a.users["commune_admin"].email])
    body = sent[0][1].get_content()
    assert f"/app/inbox/{tip_id}" in body and "gà vịt" not in body  # no citizen text leaves by e-mail
    with tenant_scope(tenant_a.tenant_id):
        notes = db.session.execute(select(Notification).where(Notification.tip_id == tip_id)).scalars().all()
        assert notes and all(note.emailed for note in notes)
    send_notification_email(tenant_a.tenant_id, notes[0].id)  # a retried job sends nothing twice
    assert len(sent) == 2
