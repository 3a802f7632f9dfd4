"""The inbox's whole journey in a browser: a citizen sends a tip with a photo from a commune's page and gets a
code; the commune officer replies; the citizen reads the reply on /tra-cuu and answers; an unanswered tip
escalates to the district when its deadline passes and shows in the district's inbox with its history."""
from datetime import timedelta

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def _photo(path):
    Image.new("RGB", (640, 480), (180, 40, 40)).save(path, "JPEG")


MARKER_TEXT = "Phát hiện trộm cắp xe máy ở chợ"  # the `marker` fixture (conftest) makes it unique and removes its tips


def _send_tip(page, live_server, world, text, photo):
    a = world["a"]
    page.goto(f"{live_server}/p/{a.slug}/{a.units['commune'].code}/gui-tin-bao")
    assert "113" in page.content()  # emergencies are not for this form
    page.select_option("select[name=category]", "crime_report")
    page.fill("textarea[name=description]", text)
    page.set_input_files("input[name=files]", str(photo))
    page.click("form button[type=submit]")
    expect(page.locator("[data-tracking-code]")).to_be_visible()
    code = page.locator("[data-tracking-code]").inner_text().strip()
    secret = page.locator("[data-secret]").inner_text().strip()
    assert code.startswith("TV-") and len(secret) >= 22
    return code, secret


def _open_tip(page, live_server, code):
    page.goto(f"{live_server}/app/inbox")
    page.click(f"text={code}")
    expect(page.locator("main")).to_contain_text(code)


def test_citizen_and_officer_talk_and_an_unanswered_tip_climbs_to_the_district(
        app, live_server, browser_page, artifacts, world, marker, tmp_path):
    photo = tmp_path / "anh.jpg"
    _photo(photo)
    citizen = browser_page("phone")
    code, secret = _send_tip(citizen, live_server, world, marker, photo)
    citizen.screenshot(path=str(artifacts / "inbox-flow-sent-phone.png"), full_page=True)

    officer = browser_page("desktop")
    sign_in(officer, live_server, world["a"].users["officer"].email, PASSWORD)
    _open_tip(officer, live_server, code)
    assert marker in officer.content() and officer.locator("img").count() >= 1  # the photo, inline
    officer.fill("textarea[name=body]", "Công an xã đã tiếp nhận, sẽ xác minh trong hôm nay.")
    officer.click("form[action$='/reply'] button[type=submit]")
    expect(officer.locator("main")).to_contain_text("sẽ xác minh trong hôm nay")
    officer.screenshot(path=str(artifacts / "inbox-flow-officer-desktop.png"), full_page=True)

    citizen.goto(f"{live_server}/tra-cuu")
    assert "?" not in citizen.url  # code and secret never travel in the URL
    citizen.fill("input[name=tracking_code]", code)
    citizen.fill("input[name=secret]", secret)
    citizen.click("form button[type=submit]")
    expect(citizen.locator("main")).to_contain_text("sẽ xác minh trong hôm nay")
    citizen.fill("textarea[name=body]", "Cảm ơn, tôi có thêm ảnh biển số xe.")
    citizen.click("form textarea[name=body] >> xpath=ancestor::form//button[@type='submit']")
    expect(citizen.locator("main")).to_contain_text("tôi có thêm ảnh biển số xe")
    citizen.screenshot(path=str(artifacts / "inbox-flow-tra-cuu-phone.png"), full_page=True)

    # A second tip nobody answers: when its acknowledge deadline has passed, the sweep moves it up.
    late_code, _secret = _send_tip(citizen, live_server, world, marker + " (lần 2)", photo)
    from core.extensions import db
    from core.tenancy import tenant_scope
    from core.timeutil import as_utc
    from inbox import sla
    from inbox.models import Tip

    with app.app_context(), tenant_scope(world["a"].tenant_id):
        tip = db.session.execute(select(Tip).where(Tip.tracking_code == late_code)).scalar_one()
        sla.sweep_tenant(now=as_utc(tip.ack_due_at) + timedelta(minutes=1))
        db.session.commit()

    district = browser_page("desktop")
    sign_in(district, live_server, world["a"].users["district_officer"].email, PASSWORD)
    _open_tip(district, live_server, late_code)
    html = district.content()
    assert world["a"].units["district"].name in html
    # Its history: received at the commune, then moved up for the missed deadline.
    assert "Tiếp nhận tin báo" in html and "Quá hạn tiếp nhận" in html
    district.screenshot(path=str(artifacts / "inbox-flow-escalated-desktop.png"), full_page=True)
    officer.goto(f"{live_server}/app/inbox")
    assert late_code not in officer.content()  # it left the commune
