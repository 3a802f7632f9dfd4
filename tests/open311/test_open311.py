"""Open311 GeoReport v2 at /open311/v2/: the spec's examples, the round trip in JSON and XML, errors in the
spec's format naming the field, and what GET never shows."""
import re
from xml.etree import ElementTree

import pytest
from sqlalchemy import func, select

from core.extensions import db
from core.tenancy import load, tenant_scope
from inbox.models import Tip
from metrics.models import Event
from open311.models import Open311Client, Open311Request

BASE = "/open311/v2"


def parse(response):
    if response.mimetype == "application/json":
        return response.get_json()
    assert response.mimetype == "text/xml"
    text = response.get_data(as_text=True)
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    return ElementTree.fromstring(text.encode())


def post_request(client, key, fmt="json", jurisdiction="tra-vinh", **fields):
    body = {"jurisdiction_id": jurisdiction, "api_key": key, "service_code": "security_report",
            "description": "Nhóm thanh niên đua xe trái phép mỗi tối thứ bảy."}
    body.update(fields)
    return client.post(f"{BASE}/requests.{fmt}", data={k: v for k, v in body.items() if v is not None})


def tip_by_code(tenant, code):
    with tenant_scope(tenant.tenant_id):
        return db.session.execute(select(Tip).where(Tip.tracking_code == code)).scalar_one()


# --- the spec's examples -------------------------------------------------------------------------------------

def test_discovery_names_this_endpoint_and_both_formats(client):
    body = client.get(f"{BASE}/discovery.json").get_json()
    endpoint = body["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2") and endpoint["type"] == "production"
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}
    root = parse(client.get(f"{BASE}/discovery.xml"))
    assert root.tag == "discovery"
    assert [f.text for f in root.findall("endpoints/endpoint/formats/format")] == ["text/xml", "application/json"]


def test_services_are_the_tip_categories_with_the_spec_fields(client):
    services = client.get(f"{BASE}/services.json?jurisdiction_id=tra-vinh").get_json()
    assert [s["service_code"] for s in services][:2] == ["crime_report", "security_report"]
    assert set(services[0]) >= {"service_code", "service_name", "description", "metadata", "type", "keywords",
                                "group"}
    assert services[0]["metadata"] is True and services[0]["type"] == "realtime"
    root = parse(client.get(f"{BASE}/services.xml?jurisdiction_id=tra-vinh"))
    assert root.tag == "services" and root.find("service/metadata").text == "true"
    assert root.find("service/service_name").text == "Tố giác tội phạm"


def test_service_definition_offers_the_severity_list(client):
    body = client.get(f"{BASE}/services/crime_report.json?jurisdiction_id=tra-vinh").get_json()
    attribute = body["attributes"][0]
    assert (body["service_code"], attribute["code"], attribute["datatype"]) == (
        "crime_report", "severity", "singlevaluelist")
    assert [v["key"] for v in attribute["values"]] == ["low", "normal", "high", "urgent"]
    root = parse(client.get(f"{BASE}/services/crime_report.xml?jurisdiction_id=tra-vinh"))
    assert root.tag == "service_definition"
    assert [v.text for v in root.findall("attributes/attribute/values/value/key")][-1] == "urgent"
    missing = client.get(f"{BASE}/services/033.xml?jurisdiction_id=tra-vinh")
    assert missing.status_code == 404 and parse(missing).find("error/code").text == "404"


def test_the_specs_post_example_becomes_a_tip_and_extra_fields_are_ignored(client, api_key, tenant_a,
                                                                            lonely_commune):
    unit_id, _name, (lat, lon) = lonely_commune
    # The spec's example request, with our jurisdiction, a service of ours and a point in Trà Vinh.
    response = post_request(client, api_key(), lat=str(lat), long=str(lon), address_string="1234 5th street",
                            email="smit333@sfgov.edu", device_id="tt222111", account_id="123456",
                            first_name="john", last_name="smith", phone="0911111111",
                            media_url="http://someserver.com/somepic.jpg", **{"attribute[WHISETN]": "123"})
    assert response.status_code == 201, response.get_data(as_text=True)
    [created] = response.get_json()
    assert set(created) >= {"service_request_id", "service_notice", "account_id"}
    tip = tip_by_code(tenant_a, created["service_request_id"])
    assert (tip.first_unit_id, tip.channel, tip.category) == (unit_id, "open311", "security_report")


# --- the round trip -----------------------------------------------------------------------------------------

def _field(item, name):
    if isinstance(item, dict):
        return item.get(name)
    found = item.find(name)
    return None if found is None else found.text


def _items(body, tag):
    return body if isinstance(body, list) else body.findall(tag)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_round_trip_discovery_services_post_get(client, api_key, tenant_a, lonely_commune, fmt):
    key = api_key()
    endpoint = parse(client.get(f"{BASE}/discovery.{fmt}"))
    url = (endpoint["endpoints"][0]["url"] if fmt == "json" else endpoint.find("endpoints/endpoint/url").text)
    path = "/" + url.split("://", 1)[1].split("/", 1)[1]
    services = _items(parse(client.get(f"{path}/services.{fmt}?jurisdiction_id=tra-vinh")), "service")
    code = _field(services[2], "service_code")
    unit_id, _name, (lat, lon) = lonely_commune
    created = client.post(f"{path}/requests.{fmt}", data={
        "jurisdiction_id": "tra-vinh", "api_key": key, "service_code": code, "lat": lat, "long": lon,
        "description": "Có tụ điểm đánh bạc sau chợ.", "attribute[severity]": "high",
        "first_name": "Trần", "last_name": "Lan", "phone": "0901234567"})
    assert created.status_code == 201, created.get_data(as_text=True)
    [item] = _items(parse(created), "request")
    request_id, token = _field(item, "service_request_id"), _field(item, "token")

    [shown] = _items(parse(client.get(f"{path}/requests/{request_id}.{fmt}?jurisdiction_id=tra-vinh")), "request")
    assert (_field(shown, "service_request_id"), _field(shown, "status"), _field(shown, "service_code")) == (
        request_id, "open", "social_evil")
    assert _field(shown, "status_notes") == "Mới"
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d.*\+07:00$", _field(shown, "requested_datetime"))
    [by_token] = _items(parse(client.get(f"{path}/tokens/{token}.{fmt}?jurisdiction_id=tra-vinh")), "request")
    assert _field(by_token, "service_request_id") == request_id
    listed = _items(parse(client.get(f"{path}/requests.{fmt}?jurisdiction_id=tra-vinh&status=open")), "request")
    assert request_id in [_field(i, "service_request_id") for i in listed]
    tip = tip_by_code(tenant_a, request_id)
    assert (tip.unit_id, tip.severity) == (unit_id, "high")


def test_get_never_shows_identity_or_the_citizens_text(client, api_key, lonely_commune):
    _unit, _name, (lat, lon) = lonely_commune
    key = api_key()
    code = post_request(client, key, lat=lat, long=lon, first_name="Nguyễn", last_name="Bảo",
                        phone="0987654321").get_json()[0]["service_request_id"]
    for url in (f"{BASE}/requests/{code}.json?jurisdiction_id=tra-vinh",
                f"{BASE}/requests.xml?jurisdiction_id=tra-vinh", f"{BASE}/requests.json?jurisdiction_id=tra-vinh"
                f"&api_key={key}"):
        text = client.get(url).get_data(as_text=True)
        assert code in text
        for secret in ("Nguyễn", "Bảo", "0987654321", "đua xe", str(lat)[:6]):
            assert secret not in text


def test_staff_reply_reaches_the_sending_client_only(client, api_key, tenant_a, lonely_commune):
    from inbox.services import add_staff_message
    from tenants.models import User

    _unit, _name, (lat, lon) = lonely_commune
    key, other_key = api_key(), api_key(name="Tòa soạn")
    code = post_request(client, key, lat=lat, long=lon).get_json()[0]["service_request_id"]
    tip = tip_by_code(tenant_a, code)
    with tenant_scope(tenant_a.tenant_id):
        add_staff_message(tip, load(User, tenant_a.users["director"].id), "Công an xã đã cử tổ tuần tra.")
        add_staff_message(tip, None, "Ghi chú nội bộ: nghi là nhóm cũ.", internal=True)
        db.session.commit()
    url = f"{BASE}/requests/{code}.json?jurisdiction_id=tra-vinh"
    assert client.get(f"{url}&api_key={key}").get_json()[0]["status_notes"] == "Công an xã đã cử tổ tuần tra."
    assert client.get(f"{url}&api_key={other_key}").get_json()[0]["status_notes"] == "Đã tiếp nhận"
    assert client.get(url).get_json()[0]["status_notes"] == "Đã tiếp nhận"


def test_a_request_goes_through_intake_counted_routed_and_in_the_vault(client, api_key, tenant_a, lonely_commune):
    unit_id, _name, (lat, lon) = lonely_commune
    code = post_request(client, api_key(), lat=lat, long=lon, service_code="crime_report",
                        description="Nhà cuối hẻm bán ma túy đá.", first_name="Lê", last_name="Tư",
                        phone="0987654321").get_json()[0]["service_request_id"]
    tip = tip_by_code(tenant_a, code)
    with tenant_scope(tenant_a.tenant_id):
        assert tip.unit_id == tenant_a.units["department"].id  # drugs → PC04, as for any channel
        assert tip.first_unit_id == unit_id and tip.reporter_id is not None
        received = db.session.execute(select(Event.unit_id).where(
            Event.metric == "tips_received", Event.subject_id == tip.id)).scalars().all()
        assert received == [unit_id]
        assert "0987654321" not in (tip.description + tip.place)
        assert db.session.execute(select(Open311Request.tip_id)).scalars().all() == [tip.id]


def test_an_address_finds_the_unit_named_in_it(client, api_key, tenant_a, lonely_commune):
    unit_id, name, _point = lonely_commune
    with tenant_scope(tenant_a.tenant_id):
        from hierarchy.models import Unit

        unit = load(Unit, unit_id)
        district = unit.parent.name
    place = f"Ấp 3, {name}, {district}, tỉnh Trà Vinh".replace("Công an ", "")
    response = post_request(client, api_key(), address_string=place)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert tip_by_code(tenant_a, response.get_json()[0]["service_request_id"]).first_unit_id == unit_id


# --- errors, in the spec's format, naming the field ------------------------------------------------------------

@pytest.mark.parametrize(("fields", "status", "named"), [
    ({"api_key": None}, 403, "api_key"),
    ({"api_key": "o311_wrong"}, 403, "api_key"),
    ({"jurisdiction_id": None}, 400, "jurisdiction_id"),
    ({"service_code": "pothole"}, 400, "service_code"),
    ({"lat": "abc", "long": "106.3"}, 400, "lat"),
    ({"lat": "9.9"}, 400, "long"),
    ({}, 400, "lat"),  # no place at all
    ({"lat": "21.0285", "long": "105.8542"}, 400, "lat"),  # Hà Nội: not Trà Vinh's
    ({"lat": "9.9", "long": "106.3", "description": ""}, 400, "description"),
    ({"address_string": "Phường 1"}, 400, "address_string"),  # one in every town: ambiguous
    ({"address_string": "Quận 1, TP Hồ Chí Minh"}, 400, "address_string"),
])
def test_bad_requests_answer_the_spec_error_naming_the_field(client, api_key, fields, status, named, tenant_a):
    key = api_key()
    fields = {"api_key": key, **fields}
    with tenant_scope(tenant_a.tenant_id):
        before = db.session.execute(select(func.count()).select_from(Tip)).scalar_one()
    response = post_request(client, **{"key": fields.pop("api_key")}, **fields)
    assert response.status_code == status
    errors = response.get_json()
    assert errors and all(set(e) == {"code", "description"} and e["code"] == status for e in errors)
    assert any(e["description"].startswith(f"{named}:") for e in errors), errors
    with tenant_scope(tenant_a.tenant_id):
        assert db.session.execute(select(func.count()).select_from(Tip)).scalar_one() == before


def test_errors_in_xml_and_unknown_jurisdiction(client):
    response = client.post(f"{BASE}/requests.xml", data={"jurisdiction_id": "atlantis", "service_code": "other"})
    assert response.status_code == 404
    root = parse(response)
    assert root.tag == "errors" and root.find("error/code").text == "404"
    assert root.find("error/description").text.startswith("jurisdiction_id:")
    bad_date = client.get(f"{BASE}/requests.json?jurisdiction_id=tra-vinh&start_date=yesterday")
    assert bad_date.status_code == 400 and bad_date.get_json()[0]["description"].startswith("start_date:")


def test_another_tenants_key_and_requests_are_not_seen(client, api_key, lonely_commune):
    _unit, _name, (lat, lon) = lonely_commune
    assert post_request(client, api_key("b"), lat=lat, long=lon).status_code == 403
    code = post_request(client, api_key(), lat=lat, long=lon).get_json()[0]["service_request_id"]
    assert client.get(f"{BASE}/requests/{code}.json?jurisdiction_id=kien-giang").status_code == 404
    assert code not in client.get(f"{BASE}/requests.json?jurisdiction_id=kien-giang").get_data(as_text=True)


def test_a_tip_from_another_channel_is_not_an_open311_request(client, make_tip, tenant_a):
    tip_id, _secret = make_tip()
    with tenant_scope(tenant_a.tenant_id):
        code = load(Tip, tip_id).tracking_code
    assert client.get(f"{BASE}/requests/{code}.json?jurisdiction_id=tra-vinh").status_code == 404


def test_posting_is_rate_limited_per_key(limited_client, api_key, lonely_commune):
    limited_client.application.config["RATELIMIT_OPEN311"] = "2 per minute"
    _unit, _name, (lat, lon) = lonely_commune
    key, other = api_key(), api_key(name="Khác")
    assert [post_request(limited_client, key, lat=lat, long=lon).status_code for _ in range(3)] == [201, 201, 429]
    limited = post_request(limited_client, key, lat=lat, long=lon, fmt="xml")
    assert limited.status_code == 429 and parse(limited).find("error/code").text == "429"
    assert limited.headers.get("Retry-After")
    assert post_request(limited_client, other, lat=lat, long=lon).status_code == 201


# --- the operator's command -------------------------------------------------------------------------------------

def test_client_create_prints_the_key_last_and_stores_only_its_hash(app_ctx, tenant_a, client, lonely_commune):
    result = app_ctx.test_cli_runner().invoke(args=["open311", "client-create", "tra-vinh", "Báo Trà Vinh"])
    assert result.exit_code == 0, result.output
    key = result.output.strip().splitlines()[-1]
    assert key.startswith("o311_") and len(key) > 30
    with tenant_scope(tenant_a.tenant_id):
        stored = db.session.execute(select(Open311Client).where(Open311Client.name == "Báo Trà Vinh")).scalar_one()
        assert key not in (stored.key_hash, stored.prefix) and len(stored.key_hash) == 64
    _unit, _name, (lat, lon) = lonely_commune
    assert post_request(client, key, lat=lat, long=lon).status_code == 201
    unknown = app_ctx.test_cli_runner().invoke(args=["open311", "client-create", "atlantis", "X"])
    assert unknown.exit_code != 0
