"""The auditor role is read-only: every route that changes data refuses it, and nothing lands in the audit log
on its behalf. Routes added later are covered automatically (the walk reads `app.url_map`).

A refusal is 403 (404 outside scope); a page's form may instead redirect back with an error message. A route
that validates its body before it checks the role answers 422 to
the walk's empty body: nothing changed, but the role check was not what stopped it; such routes are listed
in the output of this test as a warning rather than failed.
"""
import re

from sqlalchemy import func, select

from core.audit import AuditLog
from core.extensions import db
from core.registry import registry
from core.tenancy import is_public_path, platform_scope, tenant_scope

# What an auditor may do that writes: its own session, tokens and notifications, and asking for exports.
AUDITOR_MAY = {"tenants.login", "tenants.logout", "tenants.second_factor", "tenants.account", "tenants.create_token",
               "tenants.revoke_token", "tenants.renew_token", "exports_api.create_export", "exports.create",
               "inbox.notifications_read"}
WRITES = ("POST", "PUT", "PATCH", "DELETE")


def _tenant_a_values(world, make_tip):
    """A real tenant-A object for every id parameter (a tip and a post are made for the walk)."""
    from content.models import Post

    a = world["a"]
    values = {"unit_code": a.units["commune"].code, "slug": a.slug, "tenant_slug": a.slug}
    with tenant_scope(a.tenant_id):
        values["tip_id"] = make_tip(a.units["commune"].id).id
        post = Post(unit_id=a.units["commune"].id, title="Bài để thử", body="", status="draft")
        db.session.add(post)
        db.session.commit()
        values["post_id"] = post.id
    with platform_scope():
        for param, model in registry("path_models").items():
            values.setdefault(param, None)
            values[param] = values[param] or db.session.execute(select(model.id).filter_by(tenant_id=a.tenant_id)
                                               .order_by(model.id)).scalars().first() or 999999
    values["unit_id"] = a.units["commune"].id
    values["user_id"] = a.users["officer"].id
    return values


def _audited_by(user_id):
    with platform_scope():
        return db.session.execute(select(func.count()).select_from(AuditLog)
                                  .where(AuditLog.actor_id == user_id)).scalar_one()


def _refused_by_redirect(client, rule, response):
    """A page's form that sends the user back with an error message has refused too."""
    if rule.rule.startswith("/api/") or response.status_code not in (302, 303):
        return False
    page = client.get(response.headers["Location"], headers={"Authorization": response.request.headers.get(
        "Authorization", "")})
    return 'class="flash error"' in page.get_data(as_text=True)


def test_every_mutating_route_refuses_the_auditor(app_ctx, client, world, bearer, make_tip):
    headers = bearer("auditor")
    auditor_id = world["a"].users["auditor"].id
    before = _audited_by(auditor_id)
    values = _tenant_a_values(world, make_tip)
    checked, failures, validated_first = 0, [], []
    for rule in app_ctx.url_map.iter_rules():
        if rule.endpoint in AUDITOR_MAY or rule.endpoint == "static" or is_public_path(rule.rule):
            continue
        for method in WRITES:
            if method not in rule.methods:
                continue
            url = rule.rule
            for name in rule.arguments:
                url = re.sub(rf"<(?:[^:>]+:)?{name}>", str(values.get(name, 999999)), url)
            response = client.open(url, method=method, headers=headers, json={})
            checked += 1
            outcome = f"{method} {url} ({rule.endpoint}) -> {response.status_code}"
            if response.status_code == 422:
                validated_first.append(outcome)
            elif response.status_code not in (403, 404) and not _refused_by_redirect(client, rule, response):
                failures.append(outcome)
    assert checked > 0
    assert not failures, "the auditor was not refused:\n" + "\n".join(failures)
    assert _audited_by(auditor_id) == before
    if validated_first:
        print("routes that validate the body before the role (422, not 403):\n" + "\n".join(validated_first))


def test_auditor_never_sees_a_reporter_or_changes_a_tip_even_with_a_valid_body(app_ctx, client, world, bearer,
                                                                               make_tip):
    a = world["a"]
    with tenant_scope(a.tenant_id):
        tip_id = make_tip(a.units["commune"].id).id
    headers = bearer("auditor")
    calls = [("post", f"/api/v1/tips/{tip_id}/reveal", {"reason": "Kiểm tra hồ sơ"}),
             ("post", f"/api/v1/tips/{tip_id}/escalate", {"reason": "Kiểm tra"}),
             ("post", f"/api/v1/tips/{tip_id}/forward", {"reason": "Kiểm tra", "unit_id": a.units["district"].id}),
             ("post", f"/api/v1/tips/{tip_id}/messages", {"body": "Xin chào"}),
             ("patch", f"/api/v1/tips/{tip_id}", {"status": "acknowledged"})]
    for method, url, body in calls:
        response = getattr(client, method)(url, json=body, headers=headers)
        assert response.status_code == 403, (url, response.status_code, response.get_data(as_text=True)[:200])
    tip = client.get(f"/api/v1/tips/{tip_id}", headers=headers)
    assert tip.status_code == 200 and tip.json["status"] == "new"
    assert "Bí Mật" not in tip.get_data(as_text=True) and "0912345678" not in tip.get_data(as_text=True)
