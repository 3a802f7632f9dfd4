"""The role matrix: every staff route × every role of tenant A, against an object inside and one outside the
role's subtree, answers what `core.permissions` says: allowed → 2xx/3xx (a form's redirect without an error
message), in scope without the right → 403, out of scope → 404.

`CASES` names, for each endpoint of `app.url_map`, the action it needs and the object it acts on; the expected
status is derived from ROLE_ACTIONS and the unit paths, never written by hand. A route added without an entry
here fails `test_every_staff_route_has_an_entry`. Requests go through a signed-in session with the CSRF token,
as a browser sends them. The objects: the commune (inside every role's subtree) and the drug department PC04
(inside only the province-level roles' subtree).
"""
import io
from collections.abc import Callable
from typing import NamedTuple

import pytest

from core.permissions import MUTATING_ACTIONS, ROLE_ACTIONS
from core.tenancy import is_public_path
from tests.security.conftest import outcome, png_bytes, sign_in

# role key of `world` → (role, unit key of its anchor)
ROLES = {"director": ("director", "root"), "unit_admin": ("unit_admin", "district"),
         "officer": ("officer", "commune"), "auditor": ("auditor", "root"),
         "commune_admin": ("unit_admin", "commune"), "district_officer": ("officer", "district")}
WHERE = ("commune", "department")
KINDS = {"commune": "commune", "department": "department"}
REVIEWED_KINDS = {"commune", "district"}  # content.policy.DEFAULT_POLICY["review_kinds"]

# Not in the matrix, and why.
EXEMPT = {
    "tenants.login": "the sign-in flow itself (tests/tenants/test_auth.py)",
    "tenants.second_factor": "the sign-in flow itself (tests/tenants/test_auth.py)",
    "tenants.logout": "ends the session the matrix runs in (tests/tenants/test_auth.py)",
    "core.healthz": "public by design", "core.api_docs": "public API documentation",
    "api-docs.openapi_json": "public API documentation",
    "ops_metrics": "Prometheus scrape, by METRICS_TOKEN, not a session (tests/ops/test_metrics_endpoint.py)",
}


class Case(NamedTuple):
    method: str
    path: str  # placeholders: {unit} {tip} {attachment} {post} {user} {export} {token} {rule} {reply} {unit_code}
    action: str | None
    kind: str  # object: needs `obj`; tenant: tenant-wide right; any: every signed-in staff; own: the requester's
    obj: str = "unit"  # unit, tip, attachment, post:<status>, user, export, token, rule, reply
    body: Callable | None = None  # ids → {"json": ...} | {"form": ...} | {"files": ...}
    pre: bool = False  # the route first checks the right anywhere in the tenant (403 before the object)
    flash: bool = False  # a refused form comes back as a redirect with an error message
    lenient: bool = False  # the body cannot always be valid: a form error message still proves access
    platform: bool = False  # what a platform admin (no tenant) may open
    approver: bool = False  # content.policy.may_approve on top of the action


def J(**body):
    return lambda ids: {"json": {key: value(ids) if callable(value) else value for key, value in body.items()}}


def F(**body):
    return lambda ids: {"form": {key: value(ids) if callable(value) else value for key, value in body.items()}}


def _unique(prefix):
    import uuid

    return f"{prefix}{uuid.uuid4().hex[:8]}"


def _lifecycle(status, action, approver=False, **body):
    return Case("POST", "/api/v1/posts/{post}/" + action, "post.approve" if approver else (
        "post.publish" if action == "publish" else "post.edit"), "object", f"post:{status}", J(**body),
        approver=approver)


def _page_action(status, action, approver=False, **body):
    return Case("POST", "/app/posts/{post}/" + action, "post.approve" if approver else (
        "post.publish" if action == "publish" else "post.edit"), "object", f"post:{status}", F(**body),
        flash=True, approver=approver)


def _default_sla_form():
    """Every cell of the SLA table at its default: a form the settings page accepts."""
    from inbox.constants import CATEGORIES, SEVERITIES
    from inbox.policy import default_deadlines
    from inbox.policy_settings import sla_field

    form = {}
    for category in CATEGORIES:
        for severity in SEVERITIES:
            deadlines = default_deadlines(category, severity)
            form[sla_field("ack", category, severity)] = int(deadlines.ack.total_seconds() // 3600)
            form[sla_field("resolve", category, severity)] = deadlines.resolve.days
    return form


CASES = {
    # --- JSON API ---------------------------------------------------------------------------------------------
    ("hierarchy_api.list_units", "GET"): Case("GET", "/api/v1/units", "unit.view", "tenant"),
    ("hierarchy_api.get_unit", "GET"): Case("GET", "/api/v1/units/{unit}", "unit.view", "object"),
    ("content_api.UnitPosts", "GET"): Case("GET", "/api/v1/units/{unit}/posts", "post.view", "object"),
    ("content_api.UnitPosts", "POST"): Case("POST", "/api/v1/units/{unit}/posts", "post.edit", "object",
                                            body=J(title="Bài mới", kind="news")),
    ("content_api.OnePost", "GET"): Case("GET", "/api/v1/posts/{post}", "post.view", "object", "post:draft"),
    ("content_api.OnePost", "PATCH"): Case("PATCH", "/api/v1/posts/{post}", "post.edit", "object", "post:draft",
                                           J(pinned=True)),
    ("content_api.OnePost", "DELETE"): Case("DELETE", "/api/v1/posts/{post}", "post.edit", "object", "post:draft"),
    ("content_api.post_submit", "POST"): _lifecycle("draft", "submit"),
    ("content_api.post_approve", "POST"): _lifecycle("in_review", "approve", approver=True),
    ("content_api.post_reject", "POST"): _lifecycle("in_review", "reject", approver=True, reason="Cần sửa"),
    ("content_api.post_publish", "POST"): _lifecycle("approved", "publish"),
    ("content_api.post_hide", "POST"): _lifecycle("published", "hide"),
    ("content_api.upload_media", "POST"): Case("POST", "/api/v1/posts/{post}/media", "post.edit", "object",
                                               "post:draft",
                                               lambda ids: {"files": {"file": (io.BytesIO(png_bytes()), "a.png")}}),
    ("inbox_api.list_tips", "GET"): Case("GET", "/api/v1/tips", "tip.view", "tenant"),
    ("inbox_api.get_tip", "GET"): Case("GET", "/api/v1/tips/{tip}", "tip.view", "object", "tip"),
    ("inbox_api.patch_tip", "PATCH"): Case("PATCH", "/api/v1/tips/{tip}", "tip.handle", "object", "tip",
                                           J(severity="high")),
    ("inbox_api.add_message", "POST"): Case("POST", "/api/v1/tips/{tip}/messages", "tip.handle", "object", "tip",
                                            J(body="Chúng tôi đã tiếp nhận.")),
    ("inbox_api.escalate", "POST"): Case("POST", "/api/v1/tips/{tip}/escalate", "tip.escalate", "object", "tip",
                                         J(reason="Vượt thẩm quyền")),
    ("inbox_api.forward", "POST"): Case("POST", "/api/v1/tips/{tip}/forward", "tip.forward", "object", "tip",
                                        J(reason="Đúng địa bàn", unit_id=lambda ids: ids["district_id"])),
    ("inbox_api.reveal", "POST"): Case("POST", "/api/v1/tips/{tip}/reveal", "tip.reveal", "object", "tip",
                                       J(reason="Lấy lời khai")),
    ("metrics_api.get_rollup", "GET"): Case("GET", "/api/v1/metrics/rollup?unit_id={unit}", "metrics.view", "object"),
    ("metrics_api.get_series", "GET"): Case("GET", "/api/v1/metrics/series?unit_id={unit}", "metrics.view", "object"),
    ("metrics_api.get_ranking", "GET"): Case("GET", "/api/v1/metrics/ranking?unit_id={unit}&metric=tips_received",
                                             "metrics.view", "object"),
    ("exports_api.create_export", "POST"): Case("POST", "/api/v1/exports", "export.create", "object",
                                                body=J(report="posts", format="csv", unit_id=lambda ids: ids["unit"])),
    ("exports_api.list_exports", "GET"): Case("GET", "/api/v1/exports", None, "any"),
    ("exports_api.get_export", "GET"): Case("GET", "/api/v1/exports/{export}", "export.create", "own", "export"),
    ("exports_api.download_export", "GET"): Case("GET", "/api/v1/exports/{export}/download", "export.create", "own",
                                                 "export"),
    ("audit_api.list_audit", "GET"): Case("GET", "/api/v1/audit", "audit.view", "tenant"),
    ("tenants_api.me", "GET"): Case("GET", "/api/v1/me", None, "any", platform=True),
    # --- pages ------------------------------------------------------------------------------------------------
    ("core.home", "GET"): Case("GET", "/", None, "any", platform=True),
    ("tenants.account", "GET"): Case("GET", "/app/account", None, "any", platform=True),
    ("tenants.create_token", "POST"): Case("POST", "/app/account/tokens", None, "any", body=F(name="tích hợp"),
                                           platform=True),
    ("tenants.revoke_token", "POST"): Case("POST", "/app/account/tokens/{token}/revoke", None, "own", "token",
                                           F()),
    ("tenants.renew_token", "POST"): Case("POST", "/app/account/tokens/{token}/renew", None, "own", "token", F()),
    ("platform.platform_tenants", "GET"): Case("GET", "/app/platform/tenants", "tenant.create", "platform",
                                               platform=True),
    ("platform.create_tenant", "POST"): Case("POST", "/app/platform/tenants", "tenant.create", "platform",
                                             body=F(slug=lambda ids: _unique("ca-mau-"), province="96"),
                                             platform=True),
    ("reform.plan_page", "GET"): Case("GET", "/app/platform/reform/tra-vinh", "tenant.create", "platform",
                                      platform=True),
    ("reform.save_overrides", "POST"): Case("POST", "/app/platform/reform/tra-vinh/overrides", "tenant.create",
                                            "platform", body=F(override_29999="29263"), platform=True),
    ("reform.apply", "POST"): Case("POST", "/app/platform/reform/kien-giang/apply?into=vinh-long", "tenant.create",
                                   "platform", body=F(), platform=True, flash=True),
    ("hierarchy.tree", "GET"): Case("GET", "/app/tree", "unit.view", "tenant"),
    ("metrics.dashboard", "GET"): Case("GET", "/app/dashboard?unit_id={unit}", "metrics.view", "object"),
    ("metrics.definitions", "GET"): Case("GET", "/app/metrics/definitions", None, "any"),
    ("exports.index", "GET"): Case("GET", "/app/exports", "export.create", "tenant"),
    ("exports.create", "POST"): Case("POST", "/app/exports", "export.create", "object", pre=True,
                                     body=F(report="posts", format="csv", unit_id=lambda ids: ids["unit"])),
    ("audit.audit_page", "GET"): Case("GET", "/app/audit", "audit.view", "tenant"),
    ("inbox.index", "GET"): Case("GET", "/app/inbox", "tip.view", "tenant"),
    ("inbox.tip_page", "GET"): Case("GET", "/app/inbox/{tip}", "tip.view", "object", "tip"),
    ("inbox.reply", "POST"): Case("POST", "/app/inbox/{tip}/reply", "tip.handle", "object", "tip",
                                  F(body="Đã tiếp nhận.")),
    ("inbox.update", "POST"): Case("POST", "/app/inbox/{tip}/update", "tip.handle", "object", "tip",
                                   F(severity="high")),
    ("inbox.forward", "POST"): Case("POST", "/app/inbox/{tip}/forward", "tip.forward", "object", "tip",
                                    F(reason="Đúng địa bàn", unit_id=lambda ids: ids["district_id"])),
    ("inbox.escalate", "POST"): Case("POST", "/app/inbox/{tip}/escalate", "tip.escalate", "object", "tip",
                                     F(reason="Vượt thẩm quyền")),
    ("inbox.reveal", "POST"): Case("POST", "/app/inbox/{tip}/reveal", "tip.reveal", "object", "tip",
                                   F(reason="Lấy lời khai")),
    ("inbox.attachment", "GET"): Case("GET", "/app/inbox/files/{attachment}", "tip.view", "object", "attachment"),
    ("inbox.notifications", "GET"): Case("GET", "/app/inbox/notifications", None, "any"),
    ("inbox.notifications_read", "POST"): Case("POST", "/app/inbox/notifications/read", None, "any", body=F()),
    ("content.posts", "GET"): Case("GET", "/app/posts", "post.view", "tenant"),
    ("content.new_post", "GET"): Case("GET", "/app/posts/new", "post.edit", "tenant"),
    ("content.new_post", "POST"): Case("POST", "/app/posts/new", "post.edit", "object", pre=True,
                                       body=F(unit_id=lambda ids: ids["unit"], title="Bài mới", kind="news")),
    ("content.preview", "POST"): Case("POST", "/app/posts/preview", "post.edit", "tenant", body=F(body="**a**")),
    ("content.edit_post", "GET"): Case("GET", "/app/posts/{post}", "post.view", "object", "post:draft"),
    ("content.edit_post", "POST"): Case("POST", "/app/posts/{post}", "post.edit", "object", "post:draft",
                                        F(title="Sửa tiêu đề", body="Nội dung", kind="news"), flash=True),
    ("content.post_action", "POST", "submit"): _page_action("draft", "submit"),
    ("content.post_action", "POST", "approve"): _page_action("in_review", "approve", approver=True),
    ("content.post_action", "POST", "reject"): _page_action("in_review", "reject", approver=True, reason="Cần sửa"),
    ("content.post_action", "POST", "publish"): _page_action("approved", "publish"),
    ("content.post_action", "POST", "hide"): _page_action("published", "hide"),
    ("content.post_action", "POST", "delete"): _page_action("draft", "delete"),
    ("content.revision", "GET"): Case("GET", "/app/posts/{post}/revisions/1", "post.view", "object", "post:draft"),
    ("content.unit_profile", "GET"): Case("GET", "/app/units/{unit}/profile", "unit.edit", "object"),
    ("content.unit_profile", "POST"): Case("POST", "/app/units/{unit}/profile", "unit.edit", "object",
                                           body=F(address="Số 1 đường Lê Lợi", phone="0294 3862 111")),
    ("users.index", "GET"): Case("GET", "/app/users", "user.manage", "tenant"),
    ("users.create", "POST"): Case("POST", "/app/users", "user.manage", "object", body=F(
        email=lambda ids: _unique("moi-") + "@tra-vinh.test", name="Cán bộ mới", role="officer",
        unit_code=lambda ids: ids["unit_code"], password="mat-khau-du-dai-1")),
    ("users.detail", "GET"): Case("GET", "/app/users/{user}", "user.manage", "object", "user"),
    ("users.change_membership", "POST"): Case("POST", "/app/users/{user}/membership", "user.manage", "object",
                                              "user", F(role="officer", unit_code=lambda ids: ids["unit_code"])),
    ("users.reset_password", "POST"): Case("POST", "/app/users/{user}/password", "user.manage", "object", "user",
                                           F(password="mat-khau-moi-du-dai")),
    ("users.deactivate", "POST"): Case("POST", "/app/users/{user}/deactivate", "user.manage", "object", "user", F()),
    ("users.reactivate", "POST"): Case("POST", "/app/users/{user}/reactivate", "user.manage", "object", "user", F()),
    ("inbox_settings.page", "GET"): Case("GET", "/app/settings/inbox", "tenant.settings", "tenant"),
    ("inbox_settings.save_sla", "POST"): Case("POST", "/app/settings/inbox/sla", "tenant.settings", "tenant",
                                              body=F(**_default_sla_form())),
    ("inbox_settings.add_rule", "POST"): Case("POST", "/app/settings/inbox/routing", "tenant.settings", "tenant",
                                              body=F(keywords="trộm chó", department_code="PC02", active="1")),
    ("inbox_settings.update_rule", "POST"): Case("POST", "/app/settings/inbox/routing/{rule}", "tenant.settings",
                                                 "tenant", "rule", F(keywords="trộm gà", department_code="PC02")),
    ("inbox_settings.delete_rule", "POST"): Case("POST", "/app/settings/inbox/routing/{rule}/delete",
                                                 "tenant.settings", "tenant", "rule", F()),
    ("inbox_settings.add_canned", "POST"): Case("POST", "/app/settings/inbox/canned", "tenant.settings", "tenant",
                                                body=F(title="Mẫu mới", body="Nội dung mẫu mới.")),
    ("inbox_settings.delete_canned", "POST"): Case("POST", "/app/settings/inbox/canned/{reply}/delete",
                                                   "tenant.settings", "tenant", "reply", F()),
    ("zalo.settings", "GET"): Case("GET", "/app/zalo", "zalo.connect", "tenant"),
    ("zalo.save_app", "POST"): Case("POST", "/app/zalo/app", "zalo.configure", "tenant", body=F(
        app_id="1730512954321987654", app_secret="bi-mat-ung-dung", oa_secret_key="khoa-bi-mat-oa")),
    ("zalo.callback", "GET"): Case("GET", "/app/zalo/callback", None, "any", lenient=True),
    ("zalo.unit_page", "GET"): Case("GET", "/app/zalo/units/{unit}", "zalo.connect", "object"),
    ("zalo.connect", "POST"): Case("POST", "/app/zalo/units/{unit}/connect", "zalo.connect", "object", body=F()),
    ("zalo.prepare", "POST"): Case("POST", "/app/zalo/units/{unit}/prepare", "zalo.connect", "object", body=F()),
    ("zalo.paste", "POST"): Case("POST", "/app/zalo/units/{unit}/paste", "zalo.connect", "object",
                                 body=F(link="https://oauth.zaloapp.com/khong-hop-le"), lenient=True),
    ("zalo.link", "POST"): Case("POST", "/app/zalo/units/{unit}/link", "zalo.connect", "object",
                                body=F(oa_id=lambda ids: str(ids["serial"]) + "2871465093512")),
    ("zalo.disconnect", "POST"): Case("POST", "/app/zalo/units/{unit}/disconnect", "zalo.connect", "object",
                                      body=F(), lenient=True),
    # Re-organisation (hierarchy/reorg_views.py): the commune "moves" to the district it is in (a no-op), the
    # other bodies are refused by kind (a flash error proves access); the abolition is real, hence last.
    ("hierarchy_reorg.page", "GET"): Case("GET", "/app/units/reorg", "tenant.settings", "tenant"),
    ("hierarchy_reorg.move", "GET"): Case("GET", "/app/units/{unit}/move", "tenant.settings", "object", pre=True),
    ("hierarchy_reorg.move_post", "POST"): Case("POST", "/app/units/{unit}/move", "tenant.settings", "object",
                                                body=F(parent_id=lambda ids: ids["district_id"]), pre=True,
                                                lenient=True),
    ("hierarchy_reorg.merge", "GET"): Case("GET", "/app/units/{unit}/merge", "tenant.settings", "object", pre=True),
    ("hierarchy_reorg.merge_post", "POST"): Case("POST", "/app/units/{unit}/merge", "tenant.settings", "object",
                                                 body=F(target_id=lambda ids: ids["district_id"]), pre=True,
                                                 lenient=True),
    ("hierarchy_reorg.create", "GET"): Case("GET", "/app/units/new", "tenant.settings", "tenant"),
    ("hierarchy_reorg.create", "POST"): Case("POST", "/app/units/new", "tenant.settings", "tenant", lenient=True,
                                             body=F(code="PK99", name="Phòng mới", kind="department",
                                                    parent_id=lambda ids: ids["district_id"])),
    ("hierarchy_reorg.rename", "GET"): Case("GET", "/app/units/{unit}/rename", "tenant.settings", "object",
                                            pre=True),
    ("hierarchy_reorg.rename", "POST"): Case("POST", "/app/units/{unit}/rename", "tenant.settings", "object",
                                             body=F(name="Công an đơn vị đổi tên"), pre=True),
    ("hierarchy_reorg.departments", "GET"): Case("GET", "/app/units/departments", "tenant.settings", "tenant"),
    ("hierarchy_reorg.abolish", "GET"): Case("GET", "/app/units/reorg/abolish", "tenant.settings", "tenant"),
    ("hierarchy_reorg.abolish_post", "POST"): Case("POST", "/app/units/reorg/abolish", "tenant.settings", "tenant",
                                                   body=F(tier="district")),
}


def staff_route_keys(app):
    """(endpoint, method[, action]) of every staff route, as CASES keys them."""
    keys = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.endswith("static") or is_public_path(rule.rule):
            continue
        if rule.endpoint in EXEMPT:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if "action" in rule.arguments:
                actions = rule._converters["action"].items
                keys |= {(rule.endpoint, method, action) for action in actions}
            else:
                keys.add((rule.endpoint, method))
    return keys


def test_every_staff_route_has_an_entry(app):
    keys = staff_route_keys(app)
    missing = sorted(keys - set(CASES))
    stale = sorted(set(CASES) - keys)
    assert not missing, f"routes without an expectation in CASES: {missing}"
    assert not stale, f"CASES entries for routes that no longer exist: {stale}"
    assert set(EXEMPT) <= {rule.endpoint for rule in app.url_map.iter_rules()}


def test_only_directors_reveal_and_auditors_hold_no_mutating_action():
    assert {role for role, actions in ROLE_ACTIONS.items() if "tip.reveal" in actions} == {"director"}
    assert not ROLE_ACTIONS["auditor"] & MUTATING_ACTIONS


def expected(world, user_key, case, where):
    """What the role may get from the case, from ROLE_ACTIONS and the unit paths."""
    if user_key == "platform_admin":
        if case.kind == "own" and case.path.startswith("/app/account"):
            return 404  # someone else's token: a platform admin owns none in a tenant
        return "ok" if case.platform else 403
    if case.kind == "platform":
        return 403
    if case.kind == "any":
        return "ok"
    role, anchor_key = ROLES[user_key]
    allowed = case.action in ROLE_ACTIONS[role]
    if case.kind == "own":
        return "ok" if case.obj == "token" or user_key == "director" else 404
    if case.kind == "tenant" or (case.pre and not allowed):
        return "ok" if allowed else 403
    anchor, path = world["a"].units[anchor_key].path, world["a"].units[where].path
    if not path.startswith(anchor):
        return 404
    if not allowed:
        return 403
    if case.approver and KINDS[where] in REVIEWED_KINDS and anchor == path:
        return 403  # content.policy.may_approve: a reviewed unit's post is approved from above it
    return "ok"


@pytest.fixture
def zalo_app(app_ctx, world):
    """Tenant A has its Zalo app, so the connect buttons can do their work."""
    from core.extensions import db
    from core.tenancy import tenant_scope
    from zalo.services import configure_app

    with tenant_scope(world["a"].tenant_id):
        configure_app("1730512954321987654", "bi-mat-ung-dung", "khoa-bi-mat-oa")
        db.session.commit()


@pytest.fixture
def director_export(client, bearer, world, run_jobs):
    response = client.post("/api/v1/exports", headers=bearer("director"),
                           json={"report": "posts", "format": "csv", "unit_id": world["a"].units["root"].id})
    assert response.status_code == 202, response.get_json()
    run_jobs()
    return response.get_json()["id"]


class Walker:
    """Fills a case's placeholders with fresh objects (one per write, shared for reads) and sends it."""

    def __init__(self, world, objects, session, user_key, export_id):
        self.world, self.objects, self.session = world, objects, session
        self.user_key, self.export_id = user_key, export_id
        self.cache, self.serial = {}, 0

    def _object(self, spec, where, fresh):
        key = (spec, where)
        if not fresh and key in self.cache:
            return self.cache[key]
        kind, _, status = spec.partition(":")
        if kind == "unit":
            value = self.world["a"].units[where].id
        elif kind == "post":
            value = self.objects.post(where, status)
        elif kind == "export":
            value = self.export_id
        elif kind == "token":
            owner = self.user_key if self.user_key in self.world["a"].users else "director"
            value = self.objects.token_of(self.world["a"].users[owner].id)
        else:
            value = getattr(self.objects, kind)(where)
        if not fresh:
            self.cache[key] = value
        return value

    def send(self, case, where):
        self.serial += 1
        fresh = case.method != "GET"
        unit = self.world["a"].units[where]
        ids = {"unit": unit.id, "unit_code": unit.code, "district_id": self.world["a"].units["district"].id,
               "serial": self.serial}
        url = case.path
        if "{" in url:
            value = self._object(case.obj, where, fresh)
            for name in ("tip", "attachment", "post", "user", "export", "token", "rule", "reply"):
                url = url.replace(f"{{{name}}}", str(value))
            url = url.replace("{unit}", str(unit.id))
        body = case.body(ids) if case.body else {}
        return self.session.request(case.method, url, **body)


def _accepts(case, want, got):
    if want == "ok":
        return got == "ok" or (case.lenient and got == "flash-error")
    if want == 403 and case.flash:
        return got in (403, "flash-error")
    return got == want


@pytest.mark.parametrize("user_key", [*ROLES, "platform_admin"])
def test_role_matrix(app_ctx, client, world, objects, zalo_app, director_export, user_key):
    email = "platform@test.test" if user_key == "platform_admin" else world["a"].users[user_key].email
    walker = Walker(world, objects, sign_in(client, email), user_key, director_export)
    failures, checked = [], 0
    for key, case in CASES.items():
        places = WHERE if case.kind == "object" else (WHERE[0],)
        for where in places:
            want = expected(world, user_key, case, where)
            response = walker.send(case, where)
            got = outcome(client, response)
            checked += 1
            if not _accepts(case, want, got):
                failures.append(f"{case.method} {case.path} [{where}] ({key[0]}): expected {want}, got {got} "
                                f"{response.get_data(as_text=True)[:160]!r}")
    assert checked >= len(CASES)
    assert not failures, f"{user_key}:\n" + "\n".join(failures)
