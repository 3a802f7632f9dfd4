"""A director signs in through the Vietnamese form and sees the province's tree of 124 units; the search
ignores diacritics; an officer sees only their commune. At desktop and phone sizes."""
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_director_signs_in_and_browses_the_tree(live_server, browser_page, artifacts, world, size):
    page = browser_page(size)
    page.goto(f"{live_server}/")
    assert page.url.endswith("/login")
    assert page.locator("h1").inner_text() == "Đăng nhập"
    page.screenshot(path=str(artifacts / f"login-{size}.png"), full_page=True)

    page.fill("input[name=email]", world["a"].users["director"].email)
    page.fill("input[name=password]", "sai-mat-khau-1")
    page.click("button[type=submit]")
    assert "E-mail hoặc mật khẩu không đúng." in page.locator(".flash.error").inner_text()

    sign_in(page, live_server, world["a"].users["director"].email, PASSWORD)
    page.goto(f"{live_server}/app/tree")
    assert page.locator("[data-total]").inner_text() == "124"
    assert page.locator("li[data-unit-code]").count() == 124
    district = page.locator(f"li[data-unit-code='{world['a'].units['district'].code}'] > details")
    assert district.get_attribute("open") is None  # districts start collapsed
    district.locator("summary").first.click()
    commune = page.locator(f"li[data-unit-code='{world['a'].units['commune'].code}']")
    expect(commune).to_be_visible()
    page.screenshot(path=str(artifacts / f"tree-{size}.png"), full_page=False)

    page.fill("input[name=q]", "tra cu")
    page.click("form.search button")
    # The click submits the form; `expect` waits for the results page instead of reading the old one.
    expect(page.locator("ul.results li", has_text="Công an huyện Trà Cú")).to_have_count(1)
    page.screenshot(path=str(artifacts / f"tree-search-{size}.png"), full_page=False)


def test_commune_officer_sees_only_their_commune(live_server, browser_page, world):
    page = browser_page("phone")
    sign_in(page, live_server, world["a"].users["officer"].email, PASSWORD)
    page.goto(f"{live_server}/app/tree")
    assert page.locator("[data-total]").inner_text() == "1"
    assert page.locator("li[data-unit-code]").count() == 1
    assert page.locator(f"li[data-unit-code='{world['a'].units['commune'].code}']").count() == 1
