"""The dashboard page: renders for the director, drills down, its tiles agree with the API."""
import re
from datetime import timedelta

from core.timeutil import utcnow
from metrics.events import record, record_first_response


def _seed(in_tenant, tenant):
    units = tenant.units
    with in_tenant(tenant):
        now = utcnow()
        record("tips_received", units["commune"].id, 4, now)
        record("tips_acknowledged", units["commune"].id, 3, now)
        record("sla_met", units["commune"].id, 3, now)
        record("sla_missed", units["sibling"].id, 1, now)
        record("tips_overdue", units["sibling"].id, 2, now)
        record("followers_gained", units["root"].id, 1200, now - timedelta(days=2))
        record("followers_lost", units["district"].id, 30, now)
        record("messages_in", units["district"].id, 12, now)
        record("messages_out", units["district"].id, 9, now)
        record("posts_published", units["department"].id, 5, now - timedelta(days=40))
        record_first_response(units["commune"].id, 1800, now)


def _tiles(html):
    return {key: value for key, value in re.findall(r'<li class="tile" data-metric="(\w+)" data-value="([^"]*)"', html)}


def _child_ids(html):
    return [int(value) for value in re.findall(r'<tr data-unit-id="(\d+)">\s*<td class="num">', html)]


def test_director_sees_the_province_with_tiles_equal_to_the_api(client, tenant_a, in_tenant, login_as):
    _seed(in_tenant, tenant_a)
    login_as("director")
    response = client.get("/app/dashboard")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'data-unit-id="{tenant_a.units["root"].id}"' in html
    api = client.get("/api/v1/metrics/rollup").json["totals"]
    tiles = _tiles(html)
    for metric in ("posts_published", "tips_received", "tips_acknowledged", "tips_overdue", "post_views"):
        assert int(tiles[metric]) == api[metric], metric
    assert int(tiles["followers_net"]) == api["followers_gained"] - api["followers_lost"] == 1170
    assert int(tiles["interactions"]) == api["messages_in"] + api["messages_out"] + api["followers_gained"]
    assert float(tiles["sla_compliance"]) == api["sla_met"] / (api["sla_met"] + api["sla_missed"]) == 0.75
    assert float(tiles["first_response_avg"]) == 1800
    assert "1.170" in html and "75,0 %" in html  # Vietnamese number formatting
    # The department's posts were 40 days ago: in the previous 30 days, so the tile shows a change.
    assert tiles["posts_published"] == "0"
    assert _tiles(client.get("/app/dashboard?preset=90d").get_data(as_text=True))["posts_published"] == "5"
    assert f'href="/app/dashboard?unit_id={tenant_a.units["district"].id}' in html
    assert "<script>" not in html and ' style="' not in html


def test_drilling_into_a_district_shows_only_its_subtree(client, tenant_a, in_tenant, login_as):
    _seed(in_tenant, tenant_a)
    login_as("director")
    district = tenant_a.units["district"]
    html = client.get(f"/app/dashboard?unit_id={district.id}&preset=7d").get_data(as_text=True)
    children = _child_ids(html)
    assert tenant_a.units["commune"].id in children and tenant_a.units["sibling"].id in children
    assert tenant_a.units["department"].id not in children and district.id not in children
    # Breadcrumbs lead back up to the province.
    assert f'<a href="/app/dashboard?unit_id={tenant_a.units["root"].id}' in html
    assert _tiles(html)["tips_received"] == "4" and _tiles(html)["followers_net"] == "-30"
    api = client.get(f"/api/v1/metrics/rollup?unit_id={district.id}").json
    assert sorted(children) == sorted(child["unit_id"] for child in api["children"])


def test_unit_admin_sees_their_subtree_and_not_others(client, tenant_a, tenant_b, in_tenant, login_as):
    _seed(in_tenant, tenant_a)
    login_as("unit_admin")
    html = client.get("/app/dashboard").get_data(as_text=True)
    assert f'<h1 data-unit-id="{tenant_a.units["district"].id}"' in html
    assert 'aria-current="page">' in html and "Tổng quan" in html
    assert client.get(f"/app/dashboard?unit_id={tenant_a.units['root'].id}").status_code == 404
    assert client.get(f"/app/dashboard?unit_id={tenant_b.units['district'].id}").status_code == 404


def test_ranking_sorts_server_side(client, tenant_a, in_tenant, login_as):
    _seed(in_tenant, tenant_a)
    login_as("director")
    district = tenant_a.units["district"]
    by_tips = _child_ids(client.get(f"/app/dashboard?unit_id={district.id}&sort=tips_received&dir=desc"
                                    ).get_data(as_text=True))
    assert by_tips[0] == tenant_a.units["commune"].id
    by_overdue = _child_ids(client.get(f"/app/dashboard?unit_id={district.id}&sort=tips_overdue&dir=desc"
                                       ).get_data(as_text=True))
    assert by_overdue[0] == tenant_a.units["sibling"].id
    ascending = _child_ids(client.get(f"/app/dashboard?unit_id={district.id}&sort=tips_overdue&dir=asc"
                                      ).get_data(as_text=True))
    assert ascending[-1] == tenant_a.units["sibling"].id


def test_bad_period_input_names_the_field(client, tenant_a, login_as):
    login_as("director")
    response = client.get("/app/dashboard?from=2025-02-30&to=2025-03-01")
    assert response.status_code == 422 and 'data-field="from"' in response.get_data(as_text=True)
    response = client.get("/app/dashboard?from=2025-03-10&to=2025-03-01")
    assert response.status_code == 422 and 'data-field="from"' in response.get_data(as_text=True)
    assert client.get("/app/dashboard?from=2025-03-01&to=2025-03-10").status_code == 200
    for preset in ("7d", "30d", "90d", "month", "quarter", "year"):
        assert client.get(f"/app/dashboard?preset={preset}").status_code == 200, preset


def test_charts_are_inline_svg_with_a_table_fallback(client, tenant_a, in_tenant, login_as):
    _seed(in_tenant, tenant_a)
    login_as("director")
    html = client.get("/app/dashboard").get_data(as_text=True)
    for chart in ("tips", "followers", "messages", "posts"):
        section = html[html.index(f'data-chart="{chart}"'):]
        section = section[:section.index("</figure>")]
        assert "<svg" in section and "<table" in section and "<details" in section
    followers = html[html.index('data-chart="followers"'):]
    assert 'data-metric="followers_gained" data-total="1200"' in followers
    assert "metrics.css" in html


def test_dashboard_needs_sign_in(client):
    assert client.get("/app/dashboard").status_code in (302, 303, 401)


def test_an_officer_sees_their_commune_without_a_ranking(client, tenant_a, in_tenant, login_as):
    _seed(in_tenant, tenant_a)
    login_as("officer")
    html = client.get("/app/dashboard").get_data(as_text=True)
    assert f'<h1 data-unit-id="{tenant_a.units["commune"].id}"' in html
    assert _tiles(html)["tips_received"] == "4" and 'id="ranking"' not in html
    assert "không có đơn vị trực thuộc" in html
