"""A small GeoReport v2 client written only from the specification (http://wiki.open311.org/GeoReport_v2),
knowing nothing of Kết Nối but a jurisdiction_id and an api_key, run against /open311/v2/ in both formats.

The client follows the spec's steps: read the discovery document for the endpoint and its formats, list the
services, read a service's definition when `metadata` is true and answer its required attributes, POST a
request form-encoded, then read it back by id (or by token first, when only a token came back)."""
from urllib.parse import urlencode, urlsplit
from xml.etree import ElementTree

import pytest

LISTS = {"endpoints", "formats", "attributes", "values", "services", "service_requests", "errors"}


def element_to_python(element):
    """The spec's XML as plain data: lists for the spec's plural elements, text for leaves."""
    if element.tag in LISTS:
        return [element_to_python(child) for child in element]
    if len(element) == 0:
        return element.text
    return {child.tag: element_to_python(child) for child in element}


class GeoReportError(Exception):
    def __init__(self, status, errors):
        super().__init__(f"{status}: {errors}")
        self.status, self.errors = status, errors


class GeoReportClient:
    """`transport(method, path, form)` → (status, content type, body bytes): an HTTP client of your choice."""

    MIME = {"json": "application/json", "xml": "text/xml"}

    def __init__(self, transport, discovery_url, jurisdiction_id, api_key, fmt):
        self.transport, self.jurisdiction_id, self.api_key, self.fmt = transport, jurisdiction_id, api_key, fmt
        self.discovery = self._call("GET", discovery_url.replace(".json", f".{fmt}"))
        endpoint = next(e for e in self.discovery["endpoints"]
                        if e["specification"] == "http://wiki.open311.org/GeoReport_v2")
        if self.MIME[fmt] not in endpoint["formats"]:
            raise ValueError(f"the endpoint does not offer {fmt}")
        self.base = urlsplit(endpoint["url"]).path.rstrip("/")

    def _call(self, method, path, params=None):
        params = {k: v for k, v in (params or {}).items() if v is not None}
        if method == "GET" and params:
            path = f"{path}?{urlencode(params)}"
        status, content_type, body = self.transport(method, path, params if method == "POST" else None)
        assert content_type.startswith(self.MIME[self.fmt]), content_type
        if self.fmt == "json":
            import json

            data = json.loads(body)
        else:
            assert body.startswith(b"<?xml")
            data = element_to_python(ElementTree.fromstring(body))
        if status >= 400:
            raise GeoReportError(status, data)
        return data

    def services(self):
        return self._call("GET", f"{self.base}/services.{self.fmt}", {"jurisdiction_id": self.jurisdiction_id})

    def definition(self, service_code):
        return self._call("GET", f"{self.base}/services/{service_code}.{self.fmt}",
                          {"jurisdiction_id": self.jurisdiction_id})

    def create(self, service_code, lat, long, description, attributes=None, **extra):
        form = {"jurisdiction_id": self.jurisdiction_id, "api_key": self.api_key, "service_code": service_code,
                "lat": lat, "long": long, "description": description, **extra}
        form.update({f"attribute[{code}]": value for code, value in (attributes or {}).items()})
        return self._call("POST", f"{self.base}/requests.{self.fmt}", form)[0]

    def by_token(self, token):
        return self._call("GET", f"{self.base}/tokens/{token}.{self.fmt}",
                          {"jurisdiction_id": self.jurisdiction_id})[0]

    def request(self, service_request_id):
        return self._call("GET", f"{self.base}/requests/{service_request_id}.{self.fmt}",
                          {"jurisdiction_id": self.jurisdiction_id})[0]

    def requests(self, **query):
        return self._call("GET", f"{self.base}/requests.{self.fmt}", {"jurisdiction_id": self.jurisdiction_id,
                                                                      **query})


@pytest.fixture
def transport(client):
    def _send(method, path, form):
        response = client.open(path, method=method, data=form)
        return response.status_code, response.content_type, response.get_data()

    return _send


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_spec_only_client_reports_and_follows_a_request(transport, api_key, lonely_commune, fmt):
    georeport = GeoReportClient(transport, "/open311/v2/discovery.json", "tra-vinh", api_key(), fmt)
    services = georeport.services()
    service = next(s for s in services if s["service_code"] == "security_report")
    answers = {}
    if str(service["metadata"]).lower() == "true":
        for attribute in georeport.definition(service["service_code"])["attributes"]:
            if str(attribute["variable"]).lower() == "true":
                answers[attribute["code"]] = attribute["values"][-1]["key"]  # pick the last offered value
    _unit, _name, (lat, long) = lonely_commune
    created = georeport.create(service["service_code"], lat, long, "Đèn đường hỏng, khu vực tối, hay mất trộm.",
                               attributes=answers, first_name="Quyết", email="quyet@example.org")
    request_id = created.get("service_request_id") or georeport.by_token(created["token"])["service_request_id"]
    if created.get("token"):
        assert georeport.by_token(created["token"])["service_request_id"] == request_id
    shown = georeport.request(request_id)
    assert shown["service_request_id"] == request_id and shown["status"] in ("open", "closed")
    assert shown["service_code"] == "security_report"
    assert request_id in [r["service_request_id"] for r in georeport.requests(status="open")]
    assert "Quyết" not in str(shown) and "quyet@example.org" not in str(shown)


def test_the_spec_client_sees_spec_errors(transport, lonely_commune):
    georeport = GeoReportClient(transport, "/open311/v2/discovery.json", "tra-vinh", "not-a-key", "xml")
    _unit, _name, (lat, long) = lonely_commune
    with pytest.raises(GeoReportError) as raised:
        georeport.create("security_report", lat, long, "Mất trộm xe máy.")
    assert raised.value.status == 403
    assert raised.value.errors[0]["code"] == "403" and "api_key" in raised.value.errors[0]["description"]
    with pytest.raises(GeoReportError) as raised:
        georeport.request("TV-2222-2222")
    assert raised.value.status == 404
