"""Voice recordings and PDF letters as tip evidence: accepted from the form and the API, stripped of what names
their author in the copy staff get, played or downloaded on the tip page; still refused on a post."""
import io

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from core.extensions import db
from core.media import UnsupportedMediaError, check_evidence, check_upload
from core.tenancy import tenant_scope
from inbox.evidence import private_storage, read_stripped
from inbox.models import TipAttachment
from tests.content.conftest import PostsApi
from tests.inbox.evidence_samples import AUTHOR, amr_nb, amr_wb, iso_media, mp3, pdf
from tests.inbox.test_pages import send_form

SAMPLES = {
    "amr": (amr_nb, "audio", "audio/amr"),
    "awb": (amr_wb, "audio", "audio/amr-wb"),
    "mp3": (mp3, "audio", "audio/mpeg"),
    "m4a": (iso_media, "audio", "audio/mp4"),
    "pdf": (pdf, "document", "application/pdf"),
}


def _attachments(tenant):
    with tenant_scope(tenant.tenant_id):
        return db.session.execute(select(TipAttachment).order_by(TipAttachment.id)).scalars().all()


def _api_tip(client, tenant, *files):
    return client.post(f"/api/v1/public/units/{tenant.units['commune'].id}/tips", data={
        "category": "complaint", "description": "Đơn trình báo và ghi âm kèm theo.", "files": list(files)},
        content_type="multipart/form-data")


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_audio_and_pdf_are_evidence_but_never_page_media(name):
    build, kind, mime = SAMPLES[name]
    checked = check_evidence(build())
    assert (checked.kind, checked.mime) == (kind, mime)
    with pytest.raises(UnsupportedMediaError):
        check_upload(build())


def test_an_mp4_with_a_picture_track_stays_a_video_and_one_with_sound_only_is_audio():
    assert check_evidence(iso_media(b"mp42", b"vide")).kind == "video"
    assert check_upload(iso_media(b"mp42", b"vide")).kind == "video"
    assert check_evidence(iso_media(b"mp42", b"soun")).mime == "audio/mp4"


def test_api_keeps_the_original_and_gives_staff_copies_without_their_author(client, app_ctx, tenant_a):
    letter, voice, recording = pdf(), amr_nb(), mp3()
    response = _api_tip(client, tenant_a, (io.BytesIO(letter), "don.pdf"), (io.BytesIO(voice), "voice.amr"),
                        (io.BytesIO(recording), "ghi_am.mp3"))
    assert response.status_code == 201, response.get_data(as_text=True)
    with tenant_scope(tenant_a.tenant_id):
        document, amr, mpeg = _attachments(tenant_a)
        assert [(a.kind, a.mime) for a in (document, amr, mpeg)] == [
            ("document", "application/pdf"), ("audio", "audio/amr"), ("audio", "audio/mpeg")]
        assert private_storage().read(document.original_key) == letter
        staff_pdf = read_stripped(document)
        assert AUTHOR.encode() not in staff_pdf and b"xmpmeta" not in staff_pdf
        reader = PdfReader(io.BytesIO(staff_pdf))
        assert len(reader.pages) == 1 and not (reader.metadata or {}).get("/Author")
        assert read_stripped(amr) == voice
        assert private_storage().read(mpeg.original_key) == recording
        staff_mp3 = read_stripped(mpeg)
        assert staff_mp3.startswith(b"\xff\xfb") and b"ID3" not in staff_mp3 and b"TAG" not in staff_mp3
        assert AUTHOR.encode() not in staff_mp3


@pytest.mark.parametrize("content", [
    b"Toi xin trinh bao su viec...\n",  # a text file renamed .pdf
    b"%PDF-1.4\n<html><script>alert(1)</script></html>\n%%EOF\n",  # a PDF header in front of a page
    b"#!AMR\n<html>not a voice note</html>",
    b"ID3\x04\x00\x00\x00\x00\x00\x00<html>",
])
def test_something_else_named_pdf_or_audio_is_415_naming_the_files_field(client, app_ctx, tenant_a, content):
    response = _api_tip(client, tenant_a, (io.BytesIO(content), "don.pdf"))
    assert response.status_code == 415
    assert "PDF" in response.get_json()["error"]["fields"]["files"][0]
    assert _attachments(tenant_a) == []


def test_a_pdf_over_20_mb_is_413(client, app_ctx, tenant_a):
    oversized = b"%PDF-1.7\n" + b"\0" * (20 * 1024 * 1024) + b"\n%%EOF\n"
    response = _api_tip(client, tenant_a, (io.BytesIO(oversized), "don.pdf"))
    assert response.status_code == 413 and "files" in response.get_json()["error"]["fields"]


def test_form_accepts_them_and_the_tip_page_plays_audio_and_links_the_pdf(client, login_as, tenant_a):
    form = client.get(f"/p/{tenant_a.slug}/{tenant_a.units['commune'].code}/gui-tin-bao").get_data(as_text=True)
    assert "application/pdf" in form and "audio/amr" in form and "ghi âm" in form
    sent = send_form(client, tenant_a, files=[(io.BytesIO(amr_nb()), "voice.amr"), (io.BytesIO(pdf()), "don.pdf")])
    assert sent.status_code == 201, sent.get_data(as_text=True)
    voice, letter = _attachments(tenant_a)
    login_as("officer")
    page = client.get(f"/app/inbox/{voice.tip_id}").get_data(as_text=True)
    # AMR plays through its converted copy (tests/inbox/test_voice_playback.py); the original stays a download
    if client.application.config["REDIS_URL"]:  # its job is queued, not run yet
        assert "Đang chuẩn bị bản nghe được trên trình duyệt" in page
    else:
        assert f'src="/app/inbox/files/{voice.id}?v=play"' in page or "máy chủ chưa cài ffmpeg" in page
    assert f'href="/app/inbox/files/{voice.id}"' in page and "Tải ghi âm gốc" in page
    assert f'href="/app/inbox/files/{letter.id}"' in page and "Tải tệp PDF" in page
    served = client.get(f"/app/inbox/files/{letter.id}")
    assert served.status_code == 200 and served.mimetype == "application/pdf"
    assert served.headers["Content-Disposition"].startswith("attachment")
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get(f"/app/inbox/files/{voice.id}").mimetype == "audio/amr"


def test_a_text_file_named_pdf_is_refused_on_the_form(client, tenant_a):
    refused = send_form(client, tenant_a, files=(io.BytesIO(b"just text"), "don.pdf"))
    assert refused.status_code == 415 and "PDF" in refused.get_data(as_text=True)


@pytest.mark.parametrize("data, name", [(pdf(), "don.pdf"), (amr_nb(), "voice.amr"), (mp3(), "bai.mp3"),
                                        (iso_media(), "bai.m4a")])
def test_posts_still_refuse_pdf_and_audio(client, bearer, world, data, name):
    posts_api = PostsApi(client, bearer, world)
    post = posts_api.create()
    response = posts_api.call("POST", f"/posts/{post['id']}/media", "commune_admin",
                              data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")
    assert response.status_code == 415 and response.get_json()["error"]["code"] == "unsupported_media_type"


def test_the_staff_copy_of_a_pdf_runs_nothing_when_opened():
    """A citizen's PDF that runs JavaScript on open and carries an embedded file: the copy staff download has
    neither (the original stays, encrypted, as evidence)."""
    original = pdf(script="app.alert('x');")
    assert b"/JavaScript" in original and b"/EmbeddedFiles" in original
    checked = check_evidence(original)
    assert checked.kind == "document"
    for marker in (b"/JavaScript", b"/OpenAction", b"/EmbeddedFiles", b"app.alert"):
        assert marker not in checked.data
    assert len(PdfReader(io.BytesIO(checked.data)).pages) == 1
