"""The cross-tenant walk: every route in `app.url_map`, every method, as tenant A's director with real ids of
tenant B, answers 404. Routes added later are covered automatically: a URL parameter this file cannot fill
with a tenant-B value fails the test until someone says what it names.
"""
import re

import pytest
from sqlalchemy import select

from core.extensions import db
from core.registry import registry
from core.tenancy import is_public_path, platform_scope, tenant_scope
from inbox.policy import install_defaults

# Routes that are public by design (they name their tenant in the URL) or belong to no tenant. Explicit.
PUBLIC_OR_UNSCOPED_ENDPOINTS = {
    "static", "core.healthz", "core.home", "api-docs.openapi_json", "tenants.login", "tenants.second_factor",
    "tenants.logout", "tenants.account", "tenants.create_token", "tenants_api.me", "platform.platform_tenants",
    "core.api_docs",
    # The platform admin's reform pages span two tenants by nature; tenant staff get 403 (tests/security).
    "reform.plan_page", "reform.save_overrides", "reform.apply",
}
METHODS = ("GET", "POST", "PATCH", "PUT", "DELETE")


def _first_id(model, **filters):
    with platform_scope():
        return db.session.execute(select(model.id).filter_by(**filters).order_by(model.id)).scalars().first()


def tenant_b_values(world):
    """A real value of tenant B for every URL parameter name the app uses: every id registered with
    `register_path_model` gets the first object of tenant B, the rest are named here."""
    b = world["b"]
    values = {"unit_code": b.units["commune"].code, "slug": b.slug, "tenant_slug": b.slug,
              "action": "submit", "number": 1}
    for param, model in registry("path_models").items():
        values[param] = _first_id(model, tenant_id=b.tenant_id)
    values["unit_id"] = b.units["commune"].id
    values["user_id"] = b.users["officer"].id
    return values


def _staff_routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_OR_UNSCOPED_ENDPOINTS or rule.endpoint.endswith(".static") or is_public_path(
                rule.rule):
            continue
        for method in METHODS:
            if method in rule.methods:
                yield rule, method


def test_public_list_is_explicit_and_current(app):
    """Every exempted endpoint exists: the list cannot silently exempt something that was renamed."""
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints >= PUBLIC_OR_UNSCOPED_ENDPOINTS


def _png():
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def make_tenant_b_objects(client, world, bearer):
    """One object of every kind in tenant B, made the way its users make them (so ids are real)."""
    b = world["b"]
    director = bearer("director", tenant="b")  # also gives tenant B an API token
    commune = b.units["commune"].id
    tip = client.post(f"/api/v1/public/units/{commune}/tips", data={
        "category": "crime_report", "description": "Có người lạ trộm xe ban đêm ở ấp 3.",
        "files": (__import__("io").BytesIO(_png()), "anh.png")}, content_type="multipart/form-data")
    assert tip.status_code == 201, tip.get_data(as_text=True)
    post = client.post(f"/api/v1/units/{commune}/posts", headers=director,
                       json={"title": "Cảnh báo lừa đảo B", "body": "Nội dung", "kind": "warning"})
    assert post.status_code == 201, post.get_data(as_text=True)
    export = client.post("/api/v1/exports", headers=director,
                         json={"report": "posts", "format": "csv", "unit_id": b.units["root"].id})
    assert export.status_code == 202, export.get_data(as_text=True)
    with tenant_scope(b.tenant_id):  # what `flask inbox install-defaults` does: routing rules, canned replies
        install_defaults()
        db.session.commit()
    return {tip.json["tracking_code"], "Cảnh báo lừa đảo B"}


def test_every_staff_route_answers_404_for_tenant_b_ids(app_ctx, client, world, bearer, tenant_b, in_tenant):
    make_tenant_b_objects(client, world, bearer)
    with in_tenant(tenant_b):
        values = tenant_b_values(world)
    headers = bearer("director", tenant="a")
    checked, failures = 0, []
    for rule, method in _staff_routes(app_ctx):
        params = [name for name in rule.arguments]
        if not params:
            continue  # a route without ids cannot name tenant B's data; the list test below covers it
        missing = [name for name in params if values.get(name) is None]
        assert not missing, (f"{rule.rule}: no tenant-B value for {missing}: register the model with "
                             "register_path_model() and make sure tenant B has one")
        url = rule.rule
        for name in params:
            url = re.sub(rf"<(?:[^:>]+:)?{name}>", str(values[name]), url)
        response = client.open(url, method=method, headers=headers, json={})
        checked += 1
        if response.status_code != 404:
            failures.append(f"{method} {url} -> {response.status_code}")
    assert checked > 0
    assert not failures, "tenant A reached tenant B's objects:\n" + "\n".join(failures)


def test_lists_and_searches_show_nothing_of_tenant_b(app_ctx, client, world, bearer):
    """Every GET route without parameters, read as tenant A's director, names no id or code of tenant B."""
    b = world["b"]
    b_markers = make_tenant_b_objects(client, world, bearer)
    b_markers |= {b.units["commune"].code, b.units["district"].code, b.units["root"].name, b.slug}
    headers = bearer("director", tenant="a")
    read = 0
    for rule, method in _staff_routes(app_ctx):
        if method != "GET" or rule.arguments:
            continue
        for query in ("", "?q=" + b.units["commune"].name.split()[-1], "?per_page=200"):
            response = client.get(rule.rule + query, headers=headers)
            if response.status_code != 200:
                continue
            read += 1
            body = response.get_data(as_text=True)
            leaked = [marker for marker in b_markers
                      if _mentions(body, marker) and not _also_in_tenant_a(marker, world)]
            assert not leaked, f"GET {rule.rule}{query} shows tenant B's {leaked}"
    assert read >= 20  # the lists, dashboards and searches were really read


def _mentions(body, marker):
    """As a whole token: a code like `899` inside a hex digest is not a mention."""
    return re.search(rf"(?<![\w-]){re.escape(marker)}(?![\w-])", body) is not None


def _also_in_tenant_a(marker, world):
    """A few codes (e.g. department codes) exist in both trees; only markers unique to B count as leaks."""
    a = world["a"]
    return marker in {a.slug, *(u.code for u in a.units.values()), *(u.name for u in a.units.values())}


@pytest.mark.parametrize("path", ["/api/v1/units/{id}", "/api/v1/units?parent_id={id}"])
def test_units_api_hides_tenant_b(app_ctx, client, world, bearer, path):
    response = client.get(path.format(id=world["b"].units["district"].id), headers=bearer("director"))
    if "?" in path:
        assert response.status_code == 200 and response.json == {"items": [], "total": 0}
    else:
        assert response.status_code == 404
        assert response.json["error"]["code"] == "not_found"
