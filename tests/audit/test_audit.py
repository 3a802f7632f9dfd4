"""The audit log, read: the page and its filters, the API and its scope, its export; tampering is caught."""
import csv
import io
import re
from datetime import timedelta

import time_machine
from sqlalchemy import select, text

from core import audit
from core.audit import AuditLog, chain_name
from core.extensions import db
from core.tenancy import tenant_scope
from core.timeutil import utcnow
from tenants import services
from tests.conftest import PASSWORD, login


def _seed(world, in_tenant, tenant_a):
    """Three records of tenant A (two units, one without unit), one of tenant B; returns their ids."""
    units = world["a"].units
    ids = {}
    with in_tenant(tenant_a):
        with time_machine.travel(utcnow() - timedelta(days=20), tick=False):
            ids["old"] = audit.record("seed.old", unit_id=units["commune"].id,
                                      actor=(None, "nguoi.cu@tra-vinh.test")).id
        ids["commune"] = audit.record("seed.commune", unit_id=units["commune"].id,
                                      actor=(None, "can.bo@tra-vinh.test")).id
        ids["department"] = audit.record("seed.department", unit_id=units["department"].id,
                                         actor=(None, "lanh.dao@tra-vinh.test")).id
        ids["tenant"] = audit.record("seed.settings", actor=(None, "lanh.dao@tra-vinh.test")).id
        db.session.commit()
    with tenant_scope(world["b"].tenant_id):
        ids["b"] = audit.record("seed.commune", unit_id=world["b"].units["commune"].id).id
        db.session.commit()
    return ids


def _page_ids(client, query=""):
    response = client.get("/app/audit" + query)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return {int(found) for found in re.findall(r'data-audit-id="(\d+)"', response.get_data(as_text=True))}


def test_audit_page_filters_by_action_actor_unit_and_period(client, world, login_as, in_tenant, tenant_a):
    ids = _seed(world, in_tenant, tenant_a)
    login_as("auditor")
    assert _page_ids(client, "?action=seed.commune") == {ids["commune"]}
    assert _page_ids(client, "?action=seed") >= {ids["commune"], ids["department"], ids["tenant"]}
    assert ids["b"] not in _page_ids(client, "?action=seed")
    assert _page_ids(client, "?action=seed&actor=LANH.DAO") == {ids["department"], ids["tenant"]}
    commune = world["a"].units["commune"].id
    assert _page_ids(client, f"?action=seed&unit_id={commune}") == {ids["commune"], ids["old"]}
    today = utcnow().date()
    since = (today - timedelta(days=2)).isoformat()
    assert _page_ids(client, f"?action=seed&unit_id={commune}&from={since}") == {ids["commune"]}
    until = (today - timedelta(days=10)).isoformat()
    assert _page_ids(client, f"?action=seed&to={until}") == {ids["old"]}
    html = client.get("/app/audit?action=seed").get_data(as_text=True)
    assert 'name="report" value="audit"' in html and "<script>" not in html and "style=" not in html
    assert client.get(f"/app/audit?unit_id={world['b'].units['commune'].id}").status_code == 404
    assert client.get("/app/audit?from=hôm-qua").status_code == 422


def test_audit_page_and_api_are_for_directors_and_auditors(client, world, bearer, login_as):
    for role in ("officer", "unit_admin", "commune_admin"):
        assert client.get("/api/v1/audit", headers=bearer(role)).status_code == 403
    login_as("unit_admin")
    assert client.get("/app/audit").status_code == 403
    response = client.get("/api/v1/audit?per_page=5", headers=bearer("director"))
    assert response.status_code == 200
    assert set(response.json) == {"items", "total"} and len(response.json["items"]) <= 5
    assert {"id", "seq", "at", "actor", "action", "unit_id", "hash", "prev_hash"} <= set(response.json["items"][0])
    assert client.get("/api/v1/audit?colour=red", headers=bearer("director")).status_code == 422


def test_a_unit_anchored_auditor_sees_only_their_subtree(client, world, in_tenant, tenant_a):
    ids = _seed(world, in_tenant, tenant_a)
    with in_tenant(tenant_a):
        from tenants.models import Tenant

        tenant = db.session.get(Tenant, tenant_a.tenant_id)
        services.create_user("kiem.tra.huyen@tra-vinh.test", PASSWORD, "auditor", tenant=tenant,
                             unit_code=world["a"].units["district"].code)
        db.session.commit()
    login(client, "kiem.tra.huyen@tra-vinh.test")
    api_ids = {item["id"] for item in client.get("/api/v1/audit?action=seed&per_page=200").json["items"]}
    assert api_ids == {ids["commune"], ids["old"]}
    assert _page_ids(client, "?action=seed") == {ids["commune"], ids["old"]}
    department = world["a"].units["department"].id
    assert client.get(f"/api/v1/audit?unit_id={department}").status_code == 404


def test_audit_export_holds_the_filtered_records(client, world, login_as, in_tenant, tenant_a, run_jobs):
    ids = _seed(world, in_tenant, tenant_a)
    token = login_as("auditor")
    response = client.post("/app/exports", data={"csrf_token": token, "report": "audit", "format": "csv",
                                                  "unit_id": world["a"].units["root"].id, "action": "seed",
                                                  "actor": "lanh.dao"})
    assert response.status_code in (302, 303)
    run_jobs()
    exports = client.get("/api/v1/exports").json["items"]
    assert exports[0]["report"] == "audit" and exports[0]["status"] == "done"
    assert exports[0]["filters"] == {"action": "seed", "actor": "lanh.dao"}
    data = client.get(exports[0]["download_url"]).data
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][:5] == ["Mã bản ghi", "Số thứ tự chuỗi", "Thời điểm", "Người thực hiện", "Hành động"]
    assert {int(row[0]) for row in rows[1:]} == {ids["department"], ids["tenant"]}


def test_audit_verify_names_a_record_edited_behind_the_apps_back(app_ctx, world, in_tenant, tenant_a, table_owner):
    ids = _seed(world, in_tenant, tenant_a)
    runner = app_ctx.test_cli_runner()
    assert runner.invoke(args=["audit", "verify", "--tenant", "tra-vinh"]).exit_code == 0
    with table_owner():
        db.session.execute(text("UPDATE audit_log SET actor = 'ai.do@tra-vinh.test' WHERE id = :id"),
                           {"id": ids["commune"]})
        db.session.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"id={ids['commune']}" in result.output and chain_name(tenant_a.tenant_id) in result.output


def test_the_chain_stays_intact_through_exports(app_ctx, client, world, bearer, run_jobs):
    headers = bearer("auditor")
    client.post("/api/v1/exports", json={"report": "audit", "format": "csv", "unit_id": world["a"].units["root"].id},
                headers=headers)
    run_jobs()
    result = app_ctx.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    with tenant_scope(world["a"].tenant_id):
        actions = db.session.execute(select(AuditLog.action).order_by(AuditLog.id.desc()).limit(2)).scalars().all()
    assert actions == ["export.done", "export.request"]
