"""Media in citizens' messages: fetched by a job from the fake's media host and kept as tip evidence."""
import json
import urllib.request
from datetime import timedelta

import time_machine
from sqlalchemy import select

from core.extensions import db
from core.timeutil import utcnow
from inbox.evidence import read_stripped
from inbox.models import TipAttachment
from tests.inbox.evidence_samples import AUTHOR, amr_nb, pdf
from zalo.jobs import sweep_zalo
from zalo.models import MediaFetch

from .conftest import event, thread, zalo_tips


def _image_event(url, msg_id="0f9a3c7e21d64b85a0c3"):
    payload = json.loads(event(3))
    payload["message"]["msg_id"] = msg_id
    payload["message"]["attachments"][0]["payload"]["url"] = url
    return json.dumps(payload, ensure_ascii=False).encode()


def test_an_image_is_fetched_and_stored_as_an_attachment_of_its_message(channel, fake):
    channel.deliver(_image_event(fake.media_url("photo.png")))
    with channel.scope():
        [tip] = zalo_tips()
        [message] = [m for m in thread(tip) if m.direction == "in"]
        [attachment] = db.session.execute(select(TipAttachment)).scalars().all()
        assert attachment.tip_id == tip.id and attachment.message_id == message.id and attachment.kind == "image"
        assert read_stripped(attachment).startswith(b"\x89PNG")
        fetch = db.session.execute(select(MediaFetch)).scalar_one()
        assert fetch.state == "done" and fetch.url_enc is None


def test_a_failed_fetch_never_blocks_the_text_and_is_retried(channel, fake):
    channel.deliver(_image_event(fake.media_url("later.png")))  # 404 for now
    with channel.scope():
        [tip] = zalo_tips()
        assert [m.body for m in thread(tip) if m.direction == "in"] == [
            "Ảnh chụp tin nhắn đối tượng yêu cầu chuyển tiền"]
        fetch = db.session.execute(select(MediaFetch)).scalar_one()
        assert fetch.state == "pending" and fetch.last_error == "unavailable" and fetch.url_enc
    with urllib.request.urlopen(fake.media_url("photo.png")) as response:
        fake.add_media("later.png", response.read(), "image/png")
    with time_machine.travel(utcnow() + timedelta(minutes=2), tick=False):
        sweep_zalo()
    with channel.scope():
        assert db.session.execute(select(MediaFetch.state)).scalar_one() == "done"
        assert len(db.session.execute(select(TipAttachment)).scalars().all()) == 1


def test_media_from_a_host_not_allowed_is_refused_without_a_request(channel, fake):
    channel.deliver(event(3))  # cdn.zalo.example is not in ZALO_MEDIA_HOSTS
    with channel.scope():
        fetch = db.session.execute(select(MediaFetch)).scalar_one()
        assert fetch.state == "refused" and fetch.url_enc is None
        assert db.session.execute(select(TipAttachment)).first() is None
    assert not [r for r in fake.requests if r.path.startswith("/media/")]


def test_a_file_our_evidence_check_refuses_is_given_up(channel, fake):
    fake.add_media("note.png", b"not really a png", "image/png")
    channel.deliver(_image_event(fake.media_url("note.png")))
    with channel.scope():
        fetch = db.session.execute(select(MediaFetch)).scalar_one()
        assert fetch.state == "refused" and fetch.last_error == "unsupported_media_type"


def _with_url(number, url):
    payload = json.loads(event(number))
    payload["message"]["attachments"][0]["payload"]["url"] = url
    return json.dumps(payload, ensure_ascii=False).encode()


def test_a_voice_message_and_a_pdf_letter_are_fetched_and_kept_as_evidence(channel, fake):
    fake.add_media("voice.amr", amr_nb(), "audio/amr")
    fake.add_media("don.pdf", pdf(), "application/pdf")
    channel.deliver(_with_url(7, fake.media_url("voice.amr")))
    channel.deliver(_with_url(4, fake.media_url("don.pdf")))
    with channel.scope():
        bodies = {m.body for tip in zalo_tips() for m in thread(tip) if m.direction == "in"}
        assert {"[Tin nhắn thoại]", "[Tệp PDF, 278 KB]"} <= bodies
        assert not any("don_trinh_bao" in body for body in bodies)
        voice, letter = db.session.execute(select(TipAttachment).order_by(TipAttachment.id)).scalars().all()
        assert (voice.kind, voice.mime, read_stripped(voice)) == ("audio", "audio/amr", amr_nb())
        assert (letter.kind, letter.mime) == ("document", "application/pdf")
        assert AUTHOR.encode() not in read_stripped(letter)
        assert set(db.session.execute(select(MediaFetch.state)).scalars()) == {"done"}


def test_a_voice_message_that_is_not_audio_is_refused(channel, fake):
    fake.add_media("voice.amr", b"<html>not a voice note</html>", "audio/amr")
    channel.deliver(_with_url(7, fake.media_url("voice.amr")))
    with channel.scope():
        fetch = db.session.execute(select(MediaFetch)).scalar_one()
        assert fetch.kind == "audio" and fetch.state == "refused" and fetch.last_error == "unsupported_media_type"
        assert db.session.execute(select(TipAttachment)).first() is None


def test_a_voice_message_is_abandoned_past_the_audio_limit_while_streaming(channel, fake, monkeypatch):
    import zalo.attachments

    monkeypatch.setitem(zalo.attachments.MAX_BYTES_BY_KIND, "audio", 1000)
    fake.add_media("long.amr", amr_nb(100), "audio/amr", declare_length=False)
    channel.deliver(_with_url(7, fake.media_url("long.amr")))
    with channel.scope():
        fetch = db.session.execute(select(MediaFetch)).scalar_one()
        assert fetch.state == "refused" and fetch.last_error == "mediatoolarge"
