"""An officer plays a citizen's AMR voice note in the browser: the citizen sends it from the commune's form, the
job makes its playable copy, and on the tip page the audio element loads it (readyState ≥ 2) and plays."""

import pytest
from playwright.sync_api import expect

from core.transcode import tool_available
from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD
from tests.inbox.evidence_samples import amr_nb

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not tool_available(), reason="ffmpeg/ffprobe not installed (CI installs them)")]


MARKER_TEXT = "Ghi âm lời đe doạ qua điện thoại"  # the `marker` fixture (conftest) makes it unique and removes its tips


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
