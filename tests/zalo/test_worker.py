"""`flask jobs worker`, the platform's rq worker, running the channel's jobs (services leg: it needs Redis)."""
import os

import pytest
from sqlalchemy import select

from core.extensions import db
from inbox.models import TipMessage
from zalo import processing
from zalo.models import WebhookDelivery
from zalo.signature import SIGNATURE_HEADER, signature_header_value

from .conftest import APP_ID, count, event

pytestmark = pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="the rq worker needs REDIS_URL")


def test_the_worker_runs_each_queued_delivery_once_each_in_a_session_of_its_own(channel, app_ctx, monkeypatch):
    sessions = []

    def process_and_note_the_session(delivery_id):
        sessions.append(db.session())
        return process(delivery_id)

    process = processing.process
    monkeypatch.setattr(processing, "process", process_and_note_the_session)
    for number in (1, 2):
        raw = event(number)
        response = channel.client.post("/webhooks/zalo", data=raw, headers={
            "Content-Type": "application/json", SIGNATURE_HEADER: signature_header_value(APP_ID, raw, channel.secret)})
        assert response.status_code == 200
    result = app_ctx.test_cli_runner().invoke(args=["jobs", "worker", "--burst"])
    assert result.exit_code == 0, result.output
    assert len(sessions) == 2 and len({id(session) for session in sessions + [db.session()]}) == 3
    with channel.scope():
        assert count(WebhookDelivery, WebhookDelivery.processed_at.is_(None)) == 0
        external_ids = db.session.execute(select(TipMessage.external_id).where(
            TipMessage.direction == "in")).scalars().all()
        assert len(external_ids) == 2 and len(set(external_ids)) == 2
