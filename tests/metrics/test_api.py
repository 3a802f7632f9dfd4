"""The metrics API: the CONTRACT roll-up shape, validation (422 naming the field), scope (404)."""
from datetime import timedelta

from core.timeutil import local_today, utcnow
from metrics.events import ALL_METRICS, METRICS, record


def _seed(in_tenant, tenant):
    units = tenant.units
    with in_tenant(tenant):
        now = utcnow()
        record("tips_received", units["commune"].id, 3, now)
        record("tips_received", units["sibling"].id, 2, now - timedelta(days=3))
        record("sla_met", units["commune"].id, 2, now)
        record("sla_missed", units["sibling"].id, 1, now)
        record("followers_gained", units["root"].id, 50, now)
        record("tips_received", units["commune"].id, 7, now - timedelta(days=40))


def test_rollup_has_the_contract_shape_and_sums_up_the_tree(client, tenant_a, in_tenant, bearer):
    _seed(in_tenant, tenant_a)
    units = tenant_a.units
    response = client.get(f"/api/v1/metrics/rollup?unit_id={units['district'].id}", headers=bearer("director"))
    assert response.status_code == 200, response.json
    body = response.json
    assert set(body) == {"unit_id", "from", "to", "totals", "own", "children"}
    today = local_today()
    assert (body["from"], body["to"]) == ((today - timedelta(days=29)).isoformat(), today.isoformat())
    assert set(METRICS) <= set(body["totals"]) and set(body["own"]) == set(body["totals"])
    assert body["totals"]["tips_received"] == 5 and body["totals"]["followers_gained"] == 0
    for child in body["children"]:
        assert set(child) == {"unit_id", "name", "totals"}
    for metric in ALL_METRICS:
        assert body["totals"][metric] == body["own"][metric] + sum(c["totals"][metric] for c in body["children"])
    commune = next(c for c in body["children"] if c["unit_id"] == units["commune"].id)
    assert commune["totals"]["tips_received"] == 3


def test_rollup_defaults_to_the_users_top_unit_and_takes_explicit_dates(client, tenant_a, in_tenant, bearer):
    _seed(in_tenant, tenant_a)
    frm, to = (local_today() - timedelta(days=60)).isoformat(), local_today().isoformat()
    body = client.get(f"/api/v1/metrics/rollup?from={frm}&to={to}", headers=bearer("director")).json
    assert body["unit_id"] == tenant_a.units["root"].id
    assert body["totals"]["tips_received"] == 12 and body["totals"]["followers_gained"] == 50
    assert body["own"]["followers_gained"] == 50
    mine = client.get("/api/v1/metrics/rollup", headers=bearer("officer")).json
    assert mine["unit_id"] == tenant_a.units["commune"].id and mine["totals"]["tips_received"] == 3


def test_bad_ranges_answer_422_naming_the_field(client, tenant_a, bearer):
    headers = bearer("director")
    cases = {"from=2025-02-10&to=2025-02-01": "from", "from=2021-01-01&to=2025-01-01": "to",
             "from=2025-13-01": "from", "to=yesterday": "to", "unit_id=abc": "unit_id", "colour=red": "colour"}
    for query, field in cases.items():
        response = client.get(f"/api/v1/metrics/rollup?{query}", headers=headers)
        assert response.status_code == 422, query
        assert field in response.json["error"]["fields"], (query, response.json)
    assert client.get("/api/v1/metrics/rollup?from=2022-01-01&to=2024-12-31", headers=headers).status_code == 200


def test_out_of_scope_units_are_not_found(client, tenant_a, tenant_b, bearer):
    admin = bearer("unit_admin")  # the district's admin
    other_district = _other_district(client, bearer("director"), tenant_a)
    assert client.get(f"/api/v1/metrics/rollup?unit_id={other_district}", headers=admin).status_code == 404
    assert client.get(f"/api/v1/metrics/rollup?unit_id={tenant_a.units['root'].id}", headers=admin).status_code \
        == 404
    assert client.get(f"/api/v1/metrics/rollup?unit_id={tenant_b.units['district'].id}",
                      headers=bearer("director")).status_code == 404
    assert client.get("/api/v1/metrics/rollup?unit_id=99999999", headers=admin).status_code == 404
    for path in ("series", "ranking"):
        response = client.get(f"/api/v1/metrics/{path}?unit_id={other_district}&metric=tips_received",
                              headers=admin)
        assert response.status_code == 404
    assert client.get("/api/v1/metrics/rollup").status_code == 401


def _other_district(client, headers, tenant):
    units = client.get("/api/v1/units?kind=district&per_page=200", headers=headers).json["items"]
    return next(unit["id"] for unit in units if unit["id"] != tenant.units["district"].id)


def test_series_fills_every_day(client, tenant_a, in_tenant, bearer):
    _seed(in_tenant, tenant_a)
    today = local_today()
    frm = (today - timedelta(days=6)).isoformat()
    response = client.get(f"/api/v1/metrics/series?unit_id={tenant_a.units['district'].id}&from={frm}"
                          f"&metric=tips_received&metric=sla_met", headers=bearer("unit_admin"))
    body = response.json
    assert response.status_code == 200 and body["granularity"] == "day"
    assert [point["period"] for point in body["points"]] == [(today - timedelta(days=n)).isoformat()
                                                             for n in range(6, -1, -1)]
    assert body["points"][-1]["values"] == {"tips_received": 3, "sla_met": 2}
    assert body["points"][-4]["values"]["tips_received"] == 2
    yearly = client.get("/api/v1/metrics/series?metric=tips_received&from=" + (today - timedelta(days=200)).isoformat(),
                        headers=bearer("director")).json
    assert yearly["granularity"] == "month" and sum(p["values"]["tips_received"] for p in yearly["points"]) == 12


def test_ranking_orders_children_and_pages(client, tenant_a, in_tenant, bearer):
    _seed(in_tenant, tenant_a)
    units = tenant_a.units
    response = client.get(f"/api/v1/metrics/ranking?unit_id={units['district'].id}&metric=sla_compliance"
                          "&per_page=2", headers=bearer("director"))
    body = response.json
    assert response.status_code == 200
    assert [(item["rank"], item["unit_id"], item["value"]) for item in body["items"]] == [
        (1, units["commune"].id, 1.0), (2, units["sibling"].id, 0.0)]
    assert body["total"] > 2
    communes = client.get("/api/v1/metrics/ranking?metric=tips_received&kind=commune&order=desc",
                          headers=bearer("director")).json
    assert communes["items"][0]["unit_id"] == units["commune"].id and communes["items"][0]["value"] == 3
    bad = client.get("/api/v1/metrics/ranking?metric=likes", headers=bearer("director"))
    assert bad.status_code == 422 and "metric" in bad.json["error"]["fields"]


def test_openapi_documents_the_metrics_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert {"/api/v1/metrics/rollup", "/api/v1/metrics/series", "/api/v1/metrics/ranking"} <= set(paths)
    parameters = {p["name"] for p in paths["/api/v1/metrics/rollup"]["get"]["parameters"]}
    assert {"unit_id", "from", "to"} <= parameters
