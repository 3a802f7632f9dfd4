"""The auditor asks for an XLSX tips register of one district, watches its progress reach 100 %, downloads it,
and the workbook holds that district's tips and nothing identifying their reporters. Screenshots of the
exports and audit pages at desktop and phone sizes go to test-artifacts/."""
import uuid
from datetime import timedelta

import openpyxl
import pytest
from sqlalchemy import delete, select

from core.extensions import db
from core.tenancy import tenant_scope
from core.timeutil import local_today, utcnow
from tests.browser.conftest import VIEWPORTS, sign_in
from tests.conftest import PASSWORD
from tests.exports.conftest import REPORTER_NAME, REPORTER_PHONE, SECRET_PLACE, SECRET_TEXT

pytestmark = pytest.mark.browser


@pytest.fixture
def district_tips(app, world):
    """Committed tips (three in the district, one outside) whose reporters are in the vault; removed after."""
    from inbox.models import Escalation, Tip
    from inbox.vault import ReporterIdentity, create_reporter
    from metrics.exports.models import Export
    from metrics.exports.services import private_storage

    a, marker = world["a"], uuid.uuid4().hex[:6].upper()
    placed = {"commune": "inside", "sibling": "inside", "district": "inside", "department": "outside"}
    codes = {"inside": [], "outside": []}
    with app.app_context(), tenant_scope(a.tenant_id):
        for index, (unit_key, where) in enumerate(placed.items()):
            reporter = create_reporter(name=REPORTER_NAME, phone=REPORTER_PHONE)
            code = f"TV-{marker}-{index:04d}"
            db.session.add(Tip(tracking_code=code, secret_hash="x" * 64, unit_id=a.units[unit_key].id,
                               first_unit_id=a.units[unit_key].id, category="crime_report", status="new",
                               description=SECRET_TEXT, place=SECRET_PLACE, reporter_id=reporter.id,
                               created_at=utcnow() - timedelta(hours=2), updated_at=utcnow()))
            codes[where].append(code)
        db.session.commit()
        started = db.session.execute(select(Export.id).order_by(Export.id.desc())).scalars().first() or 0
    yield codes
    with app.app_context(), tenant_scope(a.tenant_id):
        tips = db.session.execute(select(Tip).where(Tip.tracking_code.startswith(f"TV-{marker}-"))).scalars().all()
        db.session.execute(delete(Escalation).where(Escalation.tip_id.in_([tip.id for tip in tips])))
        for tip in tips:
            db.session.delete(tip)
        db.session.flush()
        db.session.execute(delete(ReporterIdentity).where(ReporterIdentity.id.in_([tip.reporter_id for tip in tips])))
        for export in db.session.execute(select(Export).where(Export.id > started)).scalars():
            if export.file_key:
                private_storage().delete(export.file_key)
            db.session.delete(export)
        db.session.commit()


def test_auditor_exports_a_district_tips_register_and_downloads_it(live_server, browser_page, artifacts, app,
                                                                   world, district_tips, monkeypatch, tmp_path):
    from metrics.exports import jobs, services

    a = world["a"]
    district = a.units["district"]
    # The job is left queued by the request and run by "the worker" below, so the page shows it live.
    monkeypatch.setattr(services, "enqueue_export", lambda *ids: None)
    page = browser_page("desktop")
    sign_in(page, live_server, a.users["auditor"].email, PASSWORD)
    page.goto(f"{live_server}/app/exports")
    page.select_option("select[name=report]", "tips")
    page.select_option("select[name=format]", "xlsx")
    page.select_option("select[name=unit_id]", str(district.id))
    page.fill("input[name=from]", (local_today() - timedelta(days=2)).isoformat())
    page.fill("input[name=to]", local_today().isoformat())
    page.click("form[data-export-form] button[type=submit]")
    row = page.locator("tr[data-export-id]").first
    assert row.get_attribute("data-status") == "queued"
    export_id = int(row.get_attribute("data-export-id"))

    with app.app_context():
        jobs.run_export(a.tenant_id, export_id)
    page.wait_for_function(
        "() => { const row = document.querySelector('tr[data-export-id]');"
        " return row.dataset.status === 'done' && row.querySelector('[data-progress]').value === 100; }")
    assert row.locator("[data-status-label]").inner_text() == "Hoàn tất"
    with page.expect_download() as download_info:
        row.locator("a[download]").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx") and district.code in download.suggested_filename
    path = tmp_path / download.suggested_filename
    download.save_as(path)

    sheet = openpyxl.load_workbook(path, read_only=True).active
    rows = [list(values) for values in sheet.iter_rows(values_only=True)]
    assert rows[0][0] == "Mã tin báo"
    codes = [values[0] for values in rows[1:]]
    assert sorted(code for code in codes if code in district_tips["inside"]) == sorted(district_tips["inside"])
    assert not set(district_tips["outside"]) & set(codes)
    text = "\n".join(str(value) for values in rows for value in values if value is not None)
    for secret in (REPORTER_NAME, REPORTER_PHONE, SECRET_TEXT, SECRET_PLACE):
        assert secret not in text

    page.screenshot(path=str(artifacts / "exports-desktop.png"), full_page=True)
    page.goto(f"{live_server}/app/audit?action=export")
    assert page.locator("tr[data-action='export.download']").count() >= 1
    page.screenshot(path=str(artifacts / "audit-desktop.png"), full_page=True)

    phone = browser_page("phone")
    sign_in(phone, live_server, a.users["auditor"].email, PASSWORD)
    for name, url in (("exports", "/app/exports"), ("audit", "/app/audit")):
        phone.goto(f"{live_server}{url}")
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= VIEWPORTS["phone"]["width"], f"{url} scrolls sideways on a phone ({width}px)"
        phone.screenshot(path=str(artifacts / f"{name}-phone.png"), full_page=True)
