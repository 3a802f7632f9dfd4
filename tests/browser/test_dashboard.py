"""The director opens the dashboard: the tiles equal what the API returns and what a direct count of the
events gives; drilling into a district shows only its subtree; the page reads on a desktop and a phone."""
import re
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import delete, func, select

from core.extensions import db
from core.tenancy import tenant_scope
from core.timeutil import LOCAL_TZ, local_today
from hierarchy.models import Unit
from metrics.demo import DEMO_SUBJECT, seed_demo
from metrics.events import record_many
from metrics.kpis import derive
from metrics.models import Event
from metrics.services import rebuild_counters
from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser
MARKER = "browser-dashboard"
# (unit key, metric, value per day) over the last 20 days
DAILY = (("root", "followers_gained", 90), ("district", "followers_gained", 25), ("commune", "followers_gained", 8),
         ("district", "followers_lost", 2), ("commune", "messages_in", 6), ("commune", "messages_out", 5),
         ("sibling", "tips_received", 2), ("commune", "tips_received", 3), ("commune", "tips_acknowledged", 3),
         ("commune", "sla_met", 3), ("sibling", "sla_missed", 1), ("sibling", "tips_overdue", 1),
         ("department", "posts_published", 1), ("district", "post_views", 140))


@pytest.fixture
def dashboard_data(app, world):
    """Committed events (and counters) in tenant A, the demo's followers and views included; removed afterwards,
    counters rebuilt."""
    a = world["a"]
    today = local_today()
    entries = []
    for offset in range(20):
        at = datetime.combine(today - timedelta(days=offset), time(9, 30), tzinfo=LOCAL_TZ)
        for key, metric, value in DAILY:
            entries.append({"metric": metric, "unit_id": a.units[key].id, "value": value, "at": at,
                            "subject_type": MARKER})
        for metric, value in (("first_response_seconds_sum", 5400), ("first_response_count", 1),
                              ("first_response_le_4h", 1)):
            entries.append({"metric": metric, "unit_id": a.units["commune"].id, "value": value, "at": at,
                            "subject_type": MARKER})
    with app.app_context(), tenant_scope(a.tenant_id):
        record_many(entries)
        seed_demo(app, tenant_id=a.tenant_id)
        db.session.commit()
    yield a
    with app.app_context(), tenant_scope(a.tenant_id):
        db.session.execute(delete(Event).where(Event.subject_type.in_((MARKER, DEMO_SUBJECT))))
        rebuild_counters()
        db.session.commit()


def _tiles(page):
    return page.eval_on_selector_all(
        "li.tile", "els => Object.fromEntries(els.map(e => [e.dataset.metric, e.dataset.value]))")


def _direct_count(app, a, path, day_from, day_to):
    """What the events themselves say, without any counter."""
    with app.app_context(), tenant_scope(a.tenant_id):
        rows = db.session.execute(
            select(Event.metric, func.sum(Event.value)).join(Unit, Unit.id == Event.unit_id)
            .where(Unit.path.startswith(path), Event.day.between(day_from, day_to)).group_by(Event.metric)).all()
        return {metric: int(value) for metric, value in rows}


def _assert_tiles_match(tiles, totals):
    figures = {**totals, **derive(totals)}
    for key, value in tiles.items():
        expected = figures[key]
        if expected is None:
            assert value == "", key
        else:
            assert float(value) == pytest.approx(expected), key


def test_director_dashboard_matches_the_api_and_drills_into_a_district(live_server, browser_page, artifacts,
                                                                       app, dashboard_data):
    a = dashboard_data
    page = browser_page("desktop")
    sign_in(page, live_server, a.users["director"].email, PASSWORD)
    page.goto(f"{live_server}/app/dashboard")
    assert page.get_attribute("h1", "data-unit-id") == str(a.units["root"].id)
    day_from, day_to = page.get_attribute("[data-from]", "data-from"), page.get_attribute("[data-to]", "data-to")

    api = page.request.get(f"{live_server}/api/v1/metrics/rollup?from={day_from}&to={day_to}").json()
    tiles = _tiles(page)
    assert {"posts_published", "followers_net", "interactions", "tips_received", "tips_overdue",
            "sla_compliance", "first_response_median"} <= set(tiles)
    _assert_tiles_match(tiles, api["totals"])
    direct = _direct_count(app, a, a.units["root"].path, date.fromisoformat(day_from), date.fromisoformat(day_to))
    assert {metric: value for metric, value in api["totals"].items() if value} == direct
    assert int(tiles["followers_net"]) > 33_000 + 20 * (90 + 25 + 8 - 2)  # the demo's month on Zalo, and ours
    page.screenshot(path=str(artifacts / "dashboard-desktop.png"), full_page=True)

    page.click("#ranking thead a[data-sort=tips_overdue]")
    page.wait_for_url(re.compile(r"sort=tips_overdue"))
    first = page.get_attribute("#ranking tbody tr", "data-unit-id")
    assert first == str(a.units["district"].id)

    district = a.units["district"]
    page.click(f'#ranking tr[data-unit-id="{district.id}"] th a')
    page.wait_for_url(re.compile(rf"unit_id={district.id}\b"))
    assert page.get_attribute("h1", "data-unit-id") == str(district.id)
    shown = {int(value) for value in page.eval_on_selector_all(
        "#ranking tbody tr", "rows => rows.map(r => r.dataset.unitId)")}
    with app.app_context(), tenant_scope(a.tenant_id):
        children = set(db.session.execute(select(Unit.id).where(Unit.parent_id == district.id)).scalars())
    assert shown == children and a.units["department"].id not in shown
    assert page.is_visible(f'nav.crumbs a[href*="unit_id={a.units["root"].id}"]')
    district_api = page.request.get(f"{live_server}/api/v1/metrics/rollup?unit_id={district.id}"
                                    f"&from={day_from}&to={day_to}").json()
    _assert_tiles_match(_tiles(page), district_api["totals"])
    assert district_api["totals"]["posts_published"] == 0  # the department's posts stay out of the district
    page.screenshot(path=str(artifacts / "dashboard-district-desktop.png"), full_page=True)

    phone = browser_page("phone")
    sign_in(phone, live_server, a.users["director"].email, PASSWORD)
    phone.goto(f"{live_server}/app/dashboard")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    tops = phone.eval_on_selector_all("li.tile", "els => els.slice(0, 2).map(e => e.getBoundingClientRect().top)")
    assert tops[0] == tops[1]  # two tiles side by side: they wrap rather than shrink or overflow
    phone.screenshot(path=str(artifacts / "dashboard-phone.png"), full_page=True)
