"""Replies out through the fake Zalo: the automatic reply, staff replies, and every scripted failure.
Nothing a staff member wrote is ever lost; its delivery state shows what became of it."""
import json
import re
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from core.extensions import db
from core.timeutil import as_utc, utcnow
from inbox.intake import tip_for_reporter
from inbox.models import Tip, TipMessage
from zalo.client import CS_MESSAGE_PATH, OAUTH_TOKEN_PATH, TokenPair
from zalo.jobs import sweep_zalo
from zalo.models import Outbox
from zalo.outbox import UNDELIVERABLE_NOTE, delivery_note
from zalo.services import connection_for_oa
from zalo.tokens import store_pair

from .conftest import CITIZEN, event, thread


@pytest.fixture
def connected(channel, fake):
    channel.connect(fake)
    return channel


@pytest.fixture
def tip(connected, fake):
    connected.deliver(event(1))
    with connected.scope():
        return db.session.execute(select(Tip)).scalar_one()


@pytest.fixture
def reply(client, bearer, channel, run_jobs):
    headers = bearer("officer")

    def _reply(tip_id, body="Công an phường 4 đã nhận tin, sẽ liên hệ anh trong hôm nay."):
        response = client.post(f"/api/v1/tips/{tip_id}/messages", json={"body": body}, headers=headers)
        assert response.status_code == 201, response.get_json()
        run_jobs()
        with channel.scope():
            return db.session.execute(select(TipMessage).where(TipMessage.id == response.get_json()["id"])
                                      ).scalar_one()

    return _reply


def _secret_from(text):
    return re.search(r"Mã bí mật: (\S+)", text).group(1)


def test_the_automatic_reply_carries_a_code_and_secret_that_open_the_tip(tip, fake, channel):
    [sent] = fake.sent_messages
    assert sent["user_id"] == CITIZEN and sent["oa_id"] == channel.oa_id
    text = sent["message"]["text"]
    assert tip.tracking_code in text and "/tra-cuu" in text
    secret = _secret_from(text)
    with channel.scope():
        assert tip_for_reporter(tip.tracking_code, secret).id == tip.id
        stored = [m.body for m in thread(tip)]
        assert all(secret not in body for body in stored)  # kept only as a hash
        auto = next(m for m in thread(tip) if m.author_kind == "system")
        assert auto.delivery_state == "sent" and auto.external_id == sent["message_id"]
        assert db.session.execute(select(Outbox.text_enc)).scalar_one() is None


def test_a_staff_reply_is_sent_and_its_echo_is_not_doubled(tip, fake, reply, channel):
    message = reply(tip.id)
    [_auto, sent] = fake.sent_messages
    assert sent["message"]["text"] == message.body and sent["user_id"] == CITIZEN
    assert message.delivery_state == "sent" and message.external_id == sent["message_id"]
    echo = {"app_id": channel.app_id, "sender": {"id": channel.oa_id}, "recipient": {"id": CITIZEN},
            "event_name": "oa_send_text", "message": {"text": message.body, "msg_id": sent["message_id"]},
            "timestamp": "1732346000000"}
    assert channel.post(json.dumps(echo, ensure_ascii=False).encode()).status_code == 200
    receipt = {"app_id": channel.app_id, "sender": {"id": channel.oa_id}, "recipient": {"id": CITIZEN},
               "event_name": "user_seen_message", "message": {"msg_ids": [sent["message_id"]]},
               "timestamp": "1732346100000"}
    assert channel.post(json.dumps(receipt).encode()).status_code == 200
    with channel.scope():
        staff = [m for m in thread(tip) if m.author_kind == "staff"]
        assert len(staff) == 1 and staff[0].delivery_state == "seen"


def test_an_expired_token_is_refreshed_once_and_the_reply_retried(tip, fake, reply, channel):
    fake.fail_next(CS_MESSAGE_PATH, error=-216)
    message = reply(tip.id)
    assert message.delivery_state == "sent"
    assert [m["message"]["text"] for m in fake.sent_messages][-1] == message.body
    assert len([r for r in fake.requests if r.path == OAUTH_TOKEN_PATH]) == 1
    with channel.scope():
        connection = connection_for_oa(channel.oa_id)
        assert not connection.needs_reauth and as_utc(connection.expires_at) > utcnow() + timedelta(hours=24)


def test_a_token_near_expiry_is_refreshed_before_sending(tip, fake, reply, channel):
    with channel.scope():
        connection = connection_for_oa(channel.oa_id)
        connection.expires_at = utcnow() + timedelta(hours=1)
        db.session.commit()
    assert reply(tip.id).delivery_state == "sent"
    refreshes = [r for r in fake.requests if r.path == OAUTH_TOKEN_PATH]
    assert len(refreshes) == 1 and refreshes[0].form()["grant_type"] == "refresh_token"


def test_outside_the_window_the_reply_is_kept_undeliverable_and_goes_out_when_the_citizen_writes(
        tip, fake, reply, channel, client):
    secret = _secret_from(fake.sent_messages[0]["message"]["text"])
    fake.fail_next(CS_MESSAGE_PATH, error=-230)
    message = reply(tip.id, "Mời anh đến trụ sở Công an phường để làm việc.")
    assert message.delivery_state == "undeliverable"
    assert delivery_note(message) == UNDELIVERABLE_NOTE == "Không thể gửi qua Zalo cho đến khi người dân nhắn lại"
    with channel.scope():
        assert db.session.execute(select(Outbox.state).where(Outbox.message_id == message.id)).scalar() \
            == "undeliverable"
    followup = client.get(f"/api/v1/public/tips/{tip.tracking_code}", headers={"X-Tip-Secret": secret})
    assert followup.status_code == 200
    assert "Mời anh đến trụ sở Công an phường để làm việc." in [m["body"] for m in followup.get_json()["messages"]]
    again = json.loads(event(1))
    again["message"] = {"text": "Vâng, tôi sẽ đến.", "msg_id": "77aa0000000000000001"}
    channel.post(json.dumps(again, ensure_ascii=False).encode())
    with channel.scope():
        assert db.session.execute(select(TipMessage.delivery_state).where(TipMessage.id == message.id)
                                  ).scalar_one() == "sent"
    assert fake.sent_messages[-1]["message"]["text"] == "Mời anh đến trụ sở Công an phường để làm việc."


@pytest.mark.parametrize("script", [{"error": -32}, {"http_status": 500}, {"http_status": 429}])
def test_rate_limits_and_outages_are_retried_later(tip, fake, reply, channel, script):
    fake.fail_next(CS_MESSAGE_PATH, **script)
    message = reply(tip.id)
    assert message.delivery_state == "pending"
    with channel.scope():
        row = db.session.execute(select(Outbox).where(Outbox.message_id == message.id)).scalar_one()
        assert row.state == "pending" and as_utc(row.next_attempt_at) > utcnow() and row.last_error
    assert len(fake.sent_messages) == 1  # only the automatic reply so far
    with time_machine.travel(utcnow() + timedelta(minutes=5), tick=False):
        sweep_zalo()
    with channel.scope():
        assert db.session.execute(select(TipMessage.delivery_state).where(TipMessage.id == message.id)
                                  ).scalar_one() == "sent"
    assert fake.sent_messages[-1]["message"]["text"] == message.body


def test_a_long_reply_is_split_and_a_retry_never_repeats_an_accepted_part(tip, fake, reply, channel):
    body = ("Nội dung hướng dẫn chi tiết. " * 160).strip()
    fake.fail_next(CS_MESSAGE_PATH, error=-32, after=1)
    message = reply(tip.id, body[:4900])
    assert message.delivery_state == "pending"
    with time_machine.travel(utcnow() + timedelta(minutes=5), tick=False):
        sweep_zalo()
    parts = [m["message"]["text"] for m in fake.sent_messages[1:]]
    assert len(parts) == 3 and "".join(parts) == body[:4900]
    with channel.scope():
        row = db.session.execute(select(Outbox).where(Outbox.message_id == message.id)).scalar_one()
        assert row.state == "sent" and len(row.sent_ids) == 3


def test_a_refused_refresh_keeps_the_reply_and_asks_for_reconnection(tip, fake, reply, channel):
    with channel.scope():
        connection = connection_for_oa(channel.oa_id)
        store_pair(connection, TokenPair("dead-access-token", "spent-refresh-token", 90000))
        db.session.commit()
    message = reply(tip.id)
    assert message.delivery_state == "pending"
    with channel.scope():
        connection = connection_for_oa(channel.oa_id)
        assert connection.needs_reauth
        row = db.session.execute(select(Outbox).where(Outbox.message_id == message.id)).scalar_one()
        assert row.state == "pending" and row.last_error == "needs_reauth"
    # reconnecting releases it
    channel.connect(fake)
    from zalo.outbox import release_waiting

    with channel.scope():
        release_waiting(channel.oa_id)
        db.session.commit()
    channel.run_jobs()
    assert fake.sent_messages[-1]["message"]["text"] == message.body


def test_a_reply_after_a_forward_leaves_through_the_oa_the_tip_came_in_on(tip, fake, reply, channel, client,
                                                                          bearer):
    department = channel.tenant.units["department"].id
    moved = client.post(f"/api/v1/tips/{tip.id}/forward", json={"unit_id": department, "reason": "Ma túy"},
                        headers=bearer("director"))
    assert moved.status_code == 200, moved.get_json()
    response = client.post(f"/api/v1/tips/{tip.id}/messages", json={"body": "PC04 đã tiếp nhận."},
                           headers=bearer("director"))
    assert response.status_code == 201
    channel.run_jobs()
    last = fake.sent_messages[-1]
    assert last["message"]["text"] == "PC04 đã tiếp nhận." and last["oa_id"] == channel.oa_id


def test_internal_notes_never_go_to_zalo(tip, fake, client, bearer, channel):
    response = client.post(f"/api/v1/tips/{tip.id}/messages", json={"body": "Ghi chú nội bộ", "internal": True},
                           headers=bearer("officer"))
    assert response.status_code == 201
    channel.run_jobs()
    assert len(fake.sent_messages) == 1


def test_a_reply_to_a_citizen_who_withdrew_is_kept_as_undeliverable(tip, fake, reply, channel):
    channel.deliver(event(16))
    message = reply(tip.id)
    assert message.delivery_state == "undeliverable"
    with channel.scope():
        assert db.session.execute(select(Outbox.last_error).where(Outbox.message_id == message.id)).scalar() \
            == "no_recipient"
        assert db.session.execute(select(TipMessage.body).where(TipMessage.id == message.id)).scalar_one() \
            == message.body
