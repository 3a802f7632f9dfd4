"""The staff tip page of a Zalo tip: the thread once (no description bubble repeating the first message),
every delivery state and Zalo history entry in Vietnamese, and the note on a message Zalo did not take."""
import re

import pytest
from sqlalchemy import select

from core.extensions import db
from inbox.constants import DELIVERY_STATES
from inbox.models import Tip
from zalo.client import CS_MESSAGE_PATH

from .conftest import event

FIRST_MESSAGE = "Tôi muốn trình báo bị lừa đảo qua điện thoại"
RAW_WORDS = {*DELIVERY_STATES, "zalo_undeliverable", "zalo_failed", "reporter_message"}


@pytest.fixture
def tip_id(channel, fake):
    channel.connect(fake)
    channel.deliver(event(1))
    with channel.scope():
        return db.session.execute(select(Tip.id)).scalar_one()


def _reply(client, token, tip_id, body, run_jobs):
    response = client.post(f"/app/inbox/{tip_id}/reply", data={"csrf_token": token, "body": body})
    assert response.status_code == 302
    run_jobs()


def _page_text(client, tip_id):
    html = client.get(f"/app/inbox/{tip_id}").get_data(as_text=True)
    main = html[html.index("<main"):html.index("</main>")]
    return html, re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main))


def test_the_thread_shows_the_first_message_once_and_states_in_vietnamese(tip_id, client, login_as):
    login_as("officer")
    html, text = _page_text(client, tip_id)
    assert text.count(FIRST_MESSAGE) == 1 and "data-description" not in html
    assert 'data-delivery="sent"' in html and "Đã gửi" in text  # the automatic reply went out
    assert not RAW_WORDS & set(re.findall(r"[a-z_]+", text))


def test_an_undeliverable_and_a_failed_reply_are_explained(tip_id, client, login_as, fake, run_jobs):
    token = login_as("officer")
    fake.fail_next(CS_MESSAGE_PATH, error=-230)
    _reply(client, token, tip_id, "Mời anh đến trụ sở Công an phường để làm việc.", run_jobs)
    fake.fail_next(CS_MESSAGE_PATH, error=-201)
    _reply(client, token, tip_id, "Anh vui lòng gửi thêm ảnh chụp màn hình.", run_jobs)
    html, text = _page_text(client, tip_id)
    assert 'data-delivery="undeliverable"' in html and "Chưa gửi được" in text
    assert "Không thể gửi qua Zalo cho đến khi người dân nhắn lại" in text
    assert 'data-delivery="failed"' in html and "Gửi lỗi" in text and "Gửi qua Zalo không thành công" in text
    assert 'data-action="zalo_undeliverable"' in html and "Không gửi được qua Zalo" in text
    assert 'data-action="zalo_failed"' in html and "Gửi qua Zalo lỗi" in text
    assert not RAW_WORDS & set(re.findall(r"[a-z_]+", text))
