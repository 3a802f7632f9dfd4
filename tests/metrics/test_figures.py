"""One definition per figure: labels, definitions and changes come from `metrics.figures` on every surface."""
import re

from metrics import dashboard, figures
from metrics.reports import COUNTERS, DURATIONS


def test_every_figure_the_dashboard_and_metrics_export_show_is_defined():
    shown = {key for key, _parts, _note in dashboard.TILES}
    shown |= {part for _key, parts, _note in dashboard.TILES for part in parts}
    shown |= {key for key in dashboard.COLUMN_KEYS if key != "name"}
    shown |= set(COUNTERS) | set(DURATIONS) | {"sla_compliance"}
    assert shown <= set(figures.FIGURES)
    texts = dict((key, text) for key, _label, text in figures.definitions())
    assert all(len(texts[key]) > 30 for key in shown)


def test_a_change_against_a_small_base_is_an_absolute_difference_not_a_percentage():
    _delta, text = dashboard.compare(35541, 4, "count")
    assert text == "+35.537" and "%" not in text
    assert dashboard.compare(7, 0, "count")[1] == "+7 (mới)"
    assert dashboard.compare(30, 20, "count")[1] == "+10 (+50 %)"
    assert dashboard.compare(15, 40, "count")[1] == "−25 (−62,5 %)"
    assert dashboard.compare(0.9, 0.8, "ratio")[1].startswith("+10 ")


def test_colours_follow_meaning_more_overdue_is_red():
    assert figures.tone("tips_overdue", 3) == "bad" and figures.tone("tips_overdue", -3) == "good"
    assert figures.tone("posts_published", 3) == "good"
    assert figures.tone("tips_received", 3) == "flat"
    assert figures.tone("first_response_median", 600) == "bad"
    current, previous = {"tips_overdue": 9, "sla_met": 1}, {"tips_overdue": 2, "sla_met": 1}
    tile = next(tile for tile in dashboard.build_tiles(current, previous) if tile.key == "tips_overdue")
    assert tile.tone == "bad" and tile.change_display == "+7"


def test_each_dashboard_figure_links_to_its_definition(client, tenant_a, login_as):
    login_as("director")
    html = client.get("/app/dashboard").get_data(as_text=True)
    helps = re.findall(r'<a class="figure-help" href="/app/metrics/definitions#(\w+)"', html)
    assert helps == [key for key, _parts, _note in dashboard.TILES]
    page = client.get("/app/metrics/definitions")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    for key, label, _definition in figures.definitions():
        assert f'id="{key}"' in text and label in text


def test_definitions_need_sign_in(client):
    assert client.get("/app/metrics/definitions").status_code in (302, 303, 401)
