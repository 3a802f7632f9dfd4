"""The director changes the SLA table on the inbox settings page, and moves a commune to another district on the
re-organisation pages, in a real browser at desktop and phone sizes. Both write committed data through the live
server: each test puts the tenant back as it found it."""
import pytest
from playwright.sync_api import expect
from sqlalchemy import delete, select

from core.extensions import db
from core.tenancy import tenant_scope
from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def clean_policy(app, world):
    """The inbox policy tables of tenant A are emptied again (back to the built-in defaults) after the test."""
    yield
    from inbox.policy import CannedReply, RoutingRule, SlaPolicy

    with app.app_context(), tenant_scope(world["a"].tenant_id):
        for model in (SlaPolicy, RoutingRule, CannedReply):
            db.session.execute(delete(model))
        db.session.commit()


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_director_changes_a_deadline(live_server, browser_page, artifacts, world, clean_policy, size):
    page = browser_page(size)
    sign_in(page, live_server, world["a"].users["director"].email, PASSWORD)
    page.goto(f"{live_server}/app/settings/inbox")
    expect(page.locator("h1")).to_have_text("Cài đặt hộp thư")
    cell = page.locator("input[name=ack__crime_report__urgent]")
    expect(cell).to_have_value("1")
    page.screenshot(path=str(artifacts / f"inbox-settings-{size}.png"), full_page=False)

    cell.fill("2")
    page.click("#sla button[type=submit]")
    expect(page.locator(".flash.success")).to_contain_text("Đã lưu thời hạn xử lý")
    expect(page.locator("input[name=ack__crime_report__urgent]")).to_have_value("2")
    expect(page.locator("input[name=ack__crime_report__high]")).to_have_value("4")  # the rest as it was


def _other_district(app, world):
    from hierarchy.models import Unit

    with app.app_context(), tenant_scope(world["a"].tenant_id):
        return db.session.execute(select(Unit.id, Unit.code).where(
            Unit.kind == "district", Unit.id != world["a"].units["district"].id).order_by(Unit.code)).first()


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_director_moves_a_commune_to_another_district(live_server, browser_page, artifacts, app, world, size):
    commune, district = world["a"].units["commune"], world["a"].units["district"]
    other_id, other_code = _other_district(app, world)
    page = browser_page(size)
    sign_in(page, live_server, world["a"].users["director"].email, PASSWORD)
    try:
        page.goto(f"{live_server}/app/units/{commune.id}/move")
        page.select_option("select[name=parent_id]", str(other_id))
        page.click("form.grid-form button[type=submit]")
        expect(page.locator("main")).to_contain_text("Xác nhận chuyển")
        page.screenshot(path=str(artifacts / f"reorg-confirm-{size}.png"), full_page=True)
        page.click("button.primary[type=submit]")
        expect(page.locator(".flash.success")).to_contain_text(f"Đã chuyển {commune.name}")

        page.goto(f"{live_server}/app/tree")
        moved = page.locator(f"li[data-unit-code='{other_code}'] li[data-unit-code='{commune.code}']")
        expect(moved).to_have_count(1)
        expect(page.locator(f"li[data-unit-code='{district.code}'] li[data-unit-code='{commune.code}']")
               ).to_have_count(0)
    finally:
        _move_back(app, world)


def _move_back(app, world):
    from hierarchy.models import Unit
    from hierarchy.reorg import move_unit

    with app.app_context(), tenant_scope(world["a"].tenant_id):
        commune = db.session.execute(select(Unit).where(Unit.id == world["a"].units["commune"].id)).scalar_one()
        district = db.session.execute(select(Unit).where(Unit.id == world["a"].units["district"].id)).scalar_one()
        move_unit(commune, district)
        db.session.commit()
