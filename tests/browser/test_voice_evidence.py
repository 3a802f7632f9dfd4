"""An officer plays a citizen's AMR voice note in the browser: the citizen sends it from the commune's form, the
job makes its playable copy, and on the tip page the audio element loads it (readyState ≥ 2) and plays."""
import uuid

import pytest
from playwright.sync_api import expect
from sqlalchemy import delete, select

from core.transcode import tool_available
from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD
from tests.inbox.evidence_samples import amr_nb

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not tool_available(), reason="ffmpeg/ffprobe not installed (CI installs them)")]


@pytest.fixture
def marker(app, world):
    from core.extensions import db

    monkey = pytest.MonkeyPatch()
    monkey.setitem(db.session.session_factory.kw, "join_transaction_mode", "conditional_savepoint")
    text = f"Ghi âm lời đe doạ qua điện thoại, mã {uuid.uuid4().hex[:8]}"
    yield text
    from core.tenancy import tenant_scope
    from inbox.models import Tip
    from metrics.models import Event
    from metrics.services import rebuild_counters

    with app.app_context(), tenant_scope(world["a"].tenant_id):
        ids = db.session.execute(select(Tip.id).where(Tip.description.contains(text[-8:]))).scalars().all()
        db.session.execute(delete(Event).where(Event.subject_type == "tip", Event.subject_id.in_(ids)))
        db.session.execute(delete(Tip).where(Tip.id.in_(ids)))
        rebuild_counters()
        db.session.commit()
    monkey.undo()


def _run_queued_jobs(app):
    """Services leg: the queued conversion runs on a real rq worker (embedded: it already ran in-process)."""
    if not app.config["REDIS_URL"]:
        return
    from rq import SimpleWorker

    from core.jobs import QUEUES

    with app.app_context():
        SimpleWorker(list(QUEUES), connection=app.extensions["ketnoi_redis"]).work(burst=True, with_scheduler=False)


def test_an_officer_plays_a_converted_voice_note(app, live_server, browser_page, artifacts, world, marker,
                                                 tmp_path):
    voice = tmp_path / "ghi-am.amr"
    voice.write_bytes(amr_nb(250))  # five seconds
    citizen = browser_page("phone")
    a = world["a"]
    citizen.goto(f"{live_server}/p/{a.slug}/{a.units['commune'].code}/gui-tin-bao")
    citizen.select_option("select[name=category]", "crime_report")
    citizen.fill("textarea[name=description]", marker)
    citizen.set_input_files("input[name=files]", str(voice))
    citizen.click("form button[type=submit]")
    expect(citizen.locator("[data-tracking-code]")).to_be_visible()
    code = citizen.locator("[data-tracking-code]").inner_text().strip()
    _run_queued_jobs(app)

    officer = browser_page("desktop")
    sign_in(officer, live_server, a.users["officer"].email, PASSWORD)
    officer.goto(f"{live_server}/app/inbox")
    officer.click(f"text={code}")
    player = officer.locator("[data-playback=ready] audio[data-media]")
    expect(player).to_have_count(1)
    expect(officer.locator("[data-playback=ready] [data-duration]")).to_have_text("0:05")
    handle = player.element_handle()
    playing = officer.evaluate("audio => { audio.muted = true; return audio.play().then(() => !audio.paused); }",
                               handle)
    officer.wait_for_function("audio => audio.readyState >= 2", arg=handle, timeout=15_000)
    assert playing and officer.evaluate("audio => audio.error", handle) is None
    assert officer.evaluate("audio => Math.round(audio.duration)", handle) == 5
    officer.screenshot(path=str(artifacts / "voice-evidence-desktop.png"), full_page=True)
