"""Who may do what to a post: scope (404), role (403) and the tenant's review policy."""
import pytest


def test_sibling_commune_admin_gets_404(posts_api, world, client, bearer):
    from core.extensions import db
    from core.tenancy import tenant_scope
    from tenants import services
    from tenants.models import tenant_by_slug

    a = world["a"]
    with tenant_scope(a.tenant_id):
        services.create_user("sibling_admin@tra-vinh.test", "test-password-123", "unit_admin",
                             tenant=tenant_by_slug("tra-vinh"), unit_code=a.units["sibling"].code)
        db.session.commit()
    post = posts_api.create()
    token = _token_for("sibling_admin@tra-vinh.test", a.tenant_id)
    for method, path, payload in [("GET", f"/posts/{post['id']}", None),
                                  ("PATCH", f"/posts/{post['id']}", {"title": "chiếm"}),
                                  ("DELETE", f"/posts/{post['id']}", None),
                                  ("POST", f"/posts/{post['id']}/submit", {}),
                                  ("POST", f"/posts/{post['id']}/hide", {}),
                                  ("GET", f"/units/{a.units['commune'].id}/posts", None),
                                  ("POST", f"/units/{a.units['commune'].id}/posts", {"title": "x"})]:
        response = client.open(f"/api/v1{path}", method=method, json=payload, headers=token)
        assert response.status_code == 404, (method, path, response.status_code)


def _token_for(email, tenant_id):
    from core.extensions import db
    from core.tenancy import tenant_scope
    from tenants import services

    with tenant_scope(tenant_id):
        secret, _token = services.create_token(services.user_by_email(email), "test")
        db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


def test_other_tenant_gets_404(posts_api, tenant_a):
    post = posts_api.create()
    assert posts_api.call("GET", f"/posts/{post['id']}", "director", tenant="b").status_code == 404
    assert posts_api.act(post["id"], "submit", "director", tenant="b").status_code == 404
    response = posts_api.call("POST", f"/units/{tenant_a.units['commune'].id}/posts", "director", tenant="b",
                              json={"title": "x"})
    assert response.status_code == 404


@pytest.mark.parametrize("role", ["officer", "auditor", "district_officer"])
def test_readers_get_403_on_writes(posts_api, tenant_a, role):
    post = posts_api.create()
    assert posts_api.call("GET", f"/posts/{post['id']}", role).status_code == 200
    writes = [("PATCH", f"/posts/{post['id']}", {"title": "x"}), ("DELETE", f"/posts/{post['id']}", None),
              ("POST", f"/units/{tenant_a.units['commune'].id}/posts", {"title": "x"})]
    writes += [("POST", f"/posts/{post['id']}/{action}", {"reason": "x"} if action == "reject" else {})
               for action in ("submit", "approve", "reject", "publish", "hide")]
    for method, path, payload in writes:
        response = posts_api.call(method, path, role, json=payload)
        assert response.status_code == 403, (role, method, path, response.status_code)


def test_commune_admin_cannot_approve_own_unit_post(posts_api):
    post = posts_api.create()
    posts_api.act(post["id"], "submit", "commune_admin")
    response = posts_api.act(post["id"], "approve", "commune_admin")
    assert response.status_code == 403
    assert posts_api.act(post["id"], "reject", "commune_admin", reason="x").status_code == 403
    assert posts_api.act(post["id"], "approve", "unit_admin").get_json()["status"] == "approved"


def test_district_post_is_approved_above_the_district(posts_api):
    post = posts_api.create(unit="district", user="unit_admin")
    posts_api.act(post["id"], "submit", "unit_admin")
    assert posts_api.act(post["id"], "approve", "unit_admin").status_code == 403
    assert posts_api.act(post["id"], "publish", "unit_admin").status_code == 409
    assert posts_api.act(post["id"], "approve", "director").get_json()["status"] == "approved"
    assert posts_api.act(post["id"], "publish", "unit_admin").get_json()["status"] == "published"


def test_director_does_everything(posts_api):
    post = posts_api.create(user="director")
    for action in ("submit", "approve", "publish", "hide"):
        assert posts_api.act(post["id"], action, "director").status_code == 200, action


def test_tenant_policy_can_exempt_communes(posts_api, app_ctx, in_tenant, tenant_a):
    from core.extensions import db
    from core.tenancy import platform_scope
    from tenants.models import Tenant

    with platform_scope():
        tenant = db.session.get(Tenant, tenant_a.tenant_id)
        tenant.settings = {"review_policy": {"review_kinds": ["district"]}}
        db.session.commit()
    post = posts_api.create()
    assert posts_api.act(post["id"], "publish", "commune_admin").get_json()["status"] == "published"
    district_post = posts_api.create(unit="district", user="unit_admin")
    assert posts_api.act(district_post["id"], "publish", "unit_admin").status_code == 409


def test_default_policy_values():
    from content.policy import DEFAULT_POLICY

    assert DEFAULT_POLICY["review_kinds"] == ["commune", "district"]
    assert DEFAULT_POLICY["approver_level"] == "ancestor"
