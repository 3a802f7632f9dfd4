"""Voice evidence officers can play: an AMR voice note gets a copy every browser plays (AAC in M4A, made by a job
with ffmpeg, encrypted at rest, without metadata); audio and video answer Range requests so players can seek; a
file ffmpeg cannot convert fails cleanly and the original stays; without ffmpeg the page says why there is no
player; the citizen's follow-up page counts what arrived, never naming it."""
import io
import json
import subprocess
from datetime import timedelta

import pytest
from sqlalchemy import select

from core.extensions import db
from core.tenancy import tenant_scope
from core.timeutil import utcnow
from core.transcode import TranscodeError, make_playable, tool_available
from inbox.evidence import private_storage
from inbox.models import TipAttachment
from tests.inbox.conftest import png_bytes
from tests.inbox.evidence_samples import amr_nb, amr_wb, iso_media
from tests.inbox.test_pages import csrf_of

needs_ffmpeg = pytest.mark.skipif(not tool_available(), reason="ffmpeg/ffprobe not installed (CI installs them)")
FIVE_SECONDS = 250  # AMR frames are 20 ms


def _send(client, tenant, *files):
    response = client.post(f"/api/v1/public/units/{tenant.units['commune'].id}/tips", data={
        "category": "crime_report", "description": "Ghi âm cuộc gọi đe doạ.", "files": list(files)},
        content_type="multipart/form-data")
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def _attachments(tenant):
    with tenant_scope(tenant.tenant_id):
        db.session.expire_all()
        return db.session.execute(select(TipAttachment).order_by(TipAttachment.id)).scalars().all()


def _probe(path):
    done = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_name:format=duration:format_tags",
                           "-of", "json", path], capture_output=True, check=True, timeout=30)
    return json.loads(done.stdout)


@needs_ffmpeg
@pytest.mark.parametrize("build, sent_as", [(amr_nb, "voice.amr"), (amr_wb, "voice.awb")])
def test_an_amr_voice_note_gets_a_playable_copy(client, app_ctx, tenant_a, login_as, run_jobs, tmp_path,
                                                 build, sent_as):
    voice = build(FIVE_SECONDS)
    _send(client, tenant_a, (io.BytesIO(voice), sent_as))
    login_as("officer")
    if app_ctx.config["REDIS_URL"]:  # the job is queued: until it ran, the page says the copy is coming
        (waiting,) = _attachments(tenant_a)
        page = client.get(f"/app/inbox/{waiting.tip_id}").get_data(as_text=True)
        assert "Đang chuẩn bị bản nghe được trên trình duyệt" in page and "<audio" not in page
    run_jobs()
    (item,) = _attachments(tenant_a)
    assert (item.playback, item.playable_mime, item.playback_attempts) == ("ready", "audio/mp4", 1)
    with tenant_scope(tenant_a.tenant_id):
        storage = private_storage()
        copy = storage.read(item.playable_key)
        on_disk = storage.inner.read(item.playable_key)
        assert storage.read(item.original_key) == voice  # the original is kept, as sent
    assert on_disk.startswith(b"KNS1") and copy[4:8] not in on_disk[8:]  # encrypted at rest, chunked
    (tmp_path / "copy.m4a").write_bytes(copy)
    probed = _probe(str(tmp_path / "copy.m4a"))
    assert [stream["codec_name"] for stream in probed["streams"]] == ["aac"]
    assert abs(float(probed["format"]["duration"]) - 5.0) < 0.1 and abs(item.duration_ms - 5000) < 100
    assert "encoder" not in probed["format"].get("tags", {}) and b"Lavf" not in copy  # no metadata, not even ours

    page = client.get(f"/app/inbox/{item.tip_id}").get_data(as_text=True)
    assert f'src="/app/inbox/files/{item.id}?v=play"' in page and "0:05" in page
    assert f'href="/app/inbox/files/{item.id}"' in page  # the original, downloadable
    played = client.get(f"/app/inbox/files/{item.id}?v=play")
    assert (played.status_code, played.mimetype, played.data) == (200, "audio/mp4", copy)
    original = client.get(f"/app/inbox/files/{item.id}")
    assert (original.mimetype, original.data) == (item.mime, voice)


def _big_voice(tenant, client):
    """A voice note of about 2.6 MB: three chunks of the encrypted store."""
    voice = amr_nb(80_000)
    _send(client, tenant, (io.BytesIO(voice), "voice.amr"))
    return voice, _attachments(tenant)[0]


@pytest.mark.parametrize("asked, start, stop", [
    ("bytes=0-99", 0, 100),  # first
    ("bytes=1500000-1600000", 1_500_000, 1_600_001),  # middle, across a chunk boundary
    ("bytes=-500", -500, None),  # last
    ("bytes=2000000-", 2_000_000, None),  # open-ended
    ("bytes=0-0", 0, 1),
])
def test_a_range_request_gets_exactly_those_bytes(client, app_ctx, tenant_a, login_as, asked, start, stop):
    voice, item = _big_voice(tenant_a, client)
    login_as("officer")
    served = client.get(f"/app/inbox/files/{item.id}", headers={"Range": asked})
    expected = voice[start:stop]
    first = start if start >= 0 else len(voice) + start
    assert served.status_code == 206 and served.data == expected
    assert served.headers["Content-Range"] == f"bytes {first}-{first + len(expected) - 1}/{len(voice)}"
    assert served.headers["Content-Length"] == str(len(expected))
    assert served.headers["Content-Disposition"].startswith("attachment")
    assert served.headers["Cache-Control"] == "private, no-store"
    assert served.headers["X-Content-Type-Options"] == "nosniff" and served.mimetype == "audio/amr"


def test_a_range_past_the_end_is_416_and_no_range_is_the_whole_file(client, app_ctx, tenant_a, login_as):
    voice, item = _big_voice(tenant_a, client)
    login_as("officer")
    refused = client.get(f"/app/inbox/files/{item.id}", headers={"Range": f"bytes={len(voice)}-"})
    assert refused.status_code == 416 and refused.headers["Content-Range"] == f"bytes */{len(voice)}"
    whole = client.get(f"/app/inbox/files/{item.id}")
    assert whole.status_code == 200 and whole.data == voice and whole.headers["Accept-Ranges"] == "bytes"
    several = client.get(f"/app/inbox/files/{item.id}", headers={"Range": "bytes=0-9,20-29"})
    assert several.status_code == 200 and several.data == voice  # several ranges: the whole file


def test_a_range_is_checked_like_the_whole_file(client, app_ctx, tenant_a, login_as):
    _voice, item = _big_voice(tenant_a, client)
    item_id = item.id  # read in tenant A's scope: tenant B cannot see the row
    login_as("officer", tenant="b")
    assert client.get(f"/app/inbox/files/{item_id}", headers={"Range": "bytes=0-9"}).status_code == 404
    anonymous = app_ctx.test_client().get(f"/app/inbox/files/{item_id}", headers={"Range": "bytes=0-9"})
    assert anonymous.status_code in (302, 401) and anonymous.data[:6] != b"#!AMR\n"


def test_a_range_decrypts_only_the_chunks_it_serves(client, app_ctx, tenant_a, login_as, monkeypatch):
    import core.crypto

    voice, item = _big_voice(tenant_a, client)
    login_as("officer")
    bound, calls = core.crypto.bound_cipher, []

    def counting():
        encrypt, decrypt = bound()
        return encrypt, lambda token: calls.append(1) or decrypt(token)

    monkeypatch.setattr("inbox.evidence.bound_cipher", counting)
    served = client.get(f"/app/inbox/files/{item.id}", headers={"Range": "bytes=2200000-2200099"})
    assert served.data == voice[2_200_000:2_200_100]
    assert len(calls) == 2  # the size (last chunk) and the one chunk holding the range, not all three


@needs_ffmpeg
def test_a_recording_ffmpeg_cannot_convert_fails_cleanly_is_retried_and_keeps_the_original(
        client, app_ctx, tenant_a, login_as, run_jobs):
    from inbox.jobs import prepare_playback
    from inbox.playback import MAX_ATTEMPTS, PlaybackRetry

    broken = iso_media()  # an M4A by its boxes, with no sound ffmpeg can decode
    _send(client, tenant_a, (io.BytesIO(broken), "voice.m4a"))
    run_jobs()
    (item,) = _attachments(tenant_a)
    assert (item.playback, item.playback_attempts, item.playable_key) == ("retrying", 1, None)
    login_as("officer")
    page = client.get(f"/app/inbox/{item.tip_id}").get_data(as_text=True)
    assert "Chưa tạo được bản nghe (lần thử 1)" in page and f'href="/app/inbox/files/{item.id}"' in page
    for _attempt in range(2, MAX_ATTEMPTS):
        with pytest.raises(PlaybackRetry):
            prepare_playback(tenant_a.tenant_id, item.id)
    assert prepare_playback(tenant_a.tenant_id, item.id) == "failed"
    assert prepare_playback(tenant_a.tenant_id, item.id) is None  # given up: nothing more is tried
    (item,) = _attachments(tenant_a)
    assert (item.playback, item.playback_attempts) == ("failed", MAX_ATTEMPTS)
    page = client.get(f"/app/inbox/{item.tip_id}").get_data(as_text=True)
    assert "Không tạo được bản nghe" in page and "<audio" not in page
    assert client.get(f"/app/inbox/files/{item.id}").data == broken  # the original, still there
    assert client.get(f"/app/inbox/files/{item.id}?v=play").status_code == 404


@needs_ffmpeg
def test_an_oversized_recording_fails_at_once_without_running_ffmpeg(client, app_ctx, tenant_a, login_as,
                                                                     run_jobs, monkeypatch):
    monkeypatch.setitem(app_ctx.config, "VOICE_MAX_BYTES", 4096)
    ran = []
    monkeypatch.setattr("core.transcode._run", lambda *args, **kwargs: ran.append(args))
    voice = amr_nb(FIVE_SECONDS)  # 8 KB
    _send(client, tenant_a, (io.BytesIO(voice), "voice.amr"))
    run_jobs()
    (item,) = _attachments(tenant_a)
    assert (item.playback, item.playback_attempts, ran) == ("failed", 1, [])
    login_as("officer")
    assert "Không tạo được bản nghe" in client.get(f"/app/inbox/{item.tip_id}").get_data(as_text=True)
    assert client.get(f"/app/inbox/files/{item.id}").data == voice


@needs_ffmpeg
def test_ffmpeg_is_stopped_by_the_time_limit():
    with pytest.raises(TranscodeError) as failed:
        make_playable(amr_nb(FIVE_SECONDS), "audio/amr", timeout=0.001)
    assert failed.value.reason == "timeout" and not failed.value.permanent


@pytest.mark.parametrize("mime", ["audio/mpeg", "video/mp4", "application/pdf"])
def test_only_the_voice_formats_go_to_ffmpeg(mime):
    with pytest.raises(TranscodeError) as failed:
        make_playable(b"anything", mime)
    assert failed.value.permanent


def test_without_ffmpeg_the_original_stays_downloadable_and_the_page_says_why(
        client, app_ctx, tenant_a, login_as, run_jobs, monkeypatch):
    from inbox.playback import stalled_ids

    monkeypatch.setattr("core.transcode.shutil.which", lambda name: None)
    voice = amr_nb(FIVE_SECONDS)
    _send(client, tenant_a, (io.BytesIO(voice), "voice.amr"))
    run_jobs()
    (item,) = _attachments(tenant_a)
    assert item.playback == "no_tool"
    login_as("officer")
    page = client.get(f"/app/inbox/{item.tip_id}").get_data(as_text=True)
    assert "máy chủ chưa cài ffmpeg" in page and "<audio" not in page
    assert client.get(f"/app/inbox/files/{item.id}").data == voice
    later = utcnow() + timedelta(hours=1)
    with tenant_scope(tenant_a.tenant_id):
        assert stalled_ids(later) == []  # nothing to retry while the tool is missing
        monkeypatch.undo()
        if tool_available():  # once ffmpeg is installed, the sweep makes the copy
            assert stalled_ids(later) == [item.id]


def test_the_citizen_sees_what_arrived_as_counts_never_names(client, app_ctx, tenant_a):
    sent = _send(client, tenant_a, (io.BytesIO(amr_nb()), "ghi-am-nguyen-van-a.amr"),
                 (io.BytesIO(png_bytes()), "anh-nha-so-12.png"), (io.BytesIO(png_bytes((1, 2, 3))), "b.png"))
    page = client.get("/tra-cuu").get_data(as_text=True)
    found = client.post("/tra-cuu", data={"csrf_token": csrf_of(page), "tracking_code": sent["tracking_code"],
                                          "secret": sent["secret"]}).get_data(as_text=True)
    assert "1 ghi âm, 2 ảnh" in found
    assert "nguyen-van-a" not in found and "anh-nha-so-12" not in found and ".png" not in found


def test_the_tip_page_shows_video_and_audio_players_with_their_duration(client, app_ctx, tenant_a, login_as):
    from tests.inbox.evidence_samples import mp3

    _send(client, tenant_a, (io.BytesIO(mp3()), "a.mp3"), (io.BytesIO(iso_media(b"mp42", b"vide")), "v.mp4"))
    audio, video = _attachments(tenant_a)
    login_as("officer")
    page = client.get(f"/app/inbox/{audio.tip_id}").get_data(as_text=True)
    assert f'<audio controls preload="metadata" data-media src="/app/inbox/files/{audio.id}">' in page
    assert f'<video controls preload="metadata" data-media src="/app/inbox/files/{video.id}">' in page
    # durations of files stored as sent are read from the file by the page's script
    assert page.count("data-duration") == 2 and "inbox.js" in page
