"""`POST /api/v1/exports` and friends: who may ask, what is validated, who may read and download."""
import hashlib

from sqlalchemy import select

from core.audit import AuditLog
from core.extensions import db


def _ask(client, headers, **body):
    return client.post("/api/v1/exports", json=body, headers=headers)


def test_auditor_gets_a_csv_file_with_bom_and_an_audited_sha256(client, world, bearer, export_file, in_tenant,
                                                                  tenant_a):
    headers = bearer("auditor")
    state, data = export_file(headers, report="metrics", format="csv", unit_id=world["a"].units["district"].id,
                              **{"from": "2026-01-01", "to": "2026-01-31"})
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("Mã đơn vị,Đơn vị,Bài đăng,Lượt xem bài")
    assert world["a"].units["commune"].name in text
    assert state["sha256"] == hashlib.sha256(data).hexdigest()
    assert state["row_count"] == len(text.strip().splitlines()) - 1
    assert (state["from"], state["to"]) == ("2026-01-01", "2026-01-31")
    with in_tenant(tenant_a):
        done = db.session.execute(select(AuditLog).where(AuditLog.action == "export.done")).scalars().all()
        downloads = db.session.execute(select(AuditLog).where(AuditLog.action == "export.download")).scalars().all()
    assert len(done) == 1 and len(downloads) == 1
    assert done[0].details["sha256"] == state["sha256"]
    assert done[0].details["rows"] == state["row_count"]
    assert done[0].details["unit"] == world["a"].units["district"].code
    assert done[0].details["from"] == "2026-01-01"
    assert done[0].actor == world["a"].users["auditor"].email


def test_director_may_export_an_officer_or_unit_admin_may_not(client, world, bearer):
    district = world["a"].units["district"].id
    assert _ask(client, bearer("director"), report="metrics", format="csv", unit_id=district).status_code == 202
    for role in ("officer", "unit_admin", "district_officer", "commune_admin"):
        response = _ask(client, bearer(role), report="metrics", format="csv", unit_id=district)
        assert response.status_code in (403, 404), role
    # In the unit admin's own subtree the answer is 403 (in scope, without the right).
    assert _ask(client, bearer("unit_admin"), report="metrics", format="csv", unit_id=district).status_code == 403


def test_bad_bodies_answer_422_naming_the_fields(client, world, bearer):
    headers = bearer("auditor")
    unit_id = world["a"].units["root"].id
    response = _ask(client, headers)
    assert response.status_code == 422
    assert {"report", "format", "unit_id"} <= set(response.json["error"]["fields"])
    response = _ask(client, headers, report="salaries", format="doc", unit_id=unit_id)
    assert response.status_code == 422
    assert {"report", "format"} <= set(response.json["error"]["fields"])
    response = _ask(client, headers, report="tips", format="csv", unit_id=unit_id, colour="red")
    assert response.status_code == 422 and "colour" in response.json["error"]["fields"]
    response = _ask(client, headers, report="tips", format="csv", unit_id=unit_id,
                    **{"from": "2026-02-01", "to": "2026-01-01"})
    assert response.status_code == 422 and "from" in response.json["error"]["fields"]
    response = _ask(client, headers, report="tips", format="csv", unit_id=unit_id,
                    **{"from": "2020-01-01", "to": "2026-01-01"})
    assert response.status_code == 422 and "to" in response.json["error"]["fields"]
    response = _ask(client, headers, report="tips", format="csv", unit_id=unit_id, **{"from": "01/02/2026"})
    assert response.status_code == 422 and "from" in response.json["error"]["fields"]


def test_a_unit_outside_scope_or_of_another_tenant_is_404(client, world, bearer):
    headers = bearer("auditor")
    response = _ask(client, headers, report="tips", format="csv", unit_id=world["b"].units["district"].id)
    assert response.status_code == 404
    response = _ask(client, bearer("unit_admin"), report="tips", format="csv", unit_id=world["a"].units["root"].id)
    assert response.status_code in (403, 404)


def test_only_the_requester_sees_and_downloads_an_export(client, world, bearer, run_jobs):
    director = bearer("director")
    created = _ask(client, director, report="metrics", format="xlsx", unit_id=world["a"].units["root"].id)
    run_jobs()
    export_id = created.json["id"]
    assert client.get(f"/api/v1/exports/{export_id}", headers=director).status_code == 200
    other = bearer("auditor")
    assert client.get(f"/api/v1/exports/{export_id}", headers=other).status_code == 404
    assert client.get(f"/api/v1/exports/{export_id}/download", headers=other).status_code == 404
    assert export_id not in [item["id"] for item in client.get("/api/v1/exports", headers=other).json["items"]]
    mine = client.get("/api/v1/exports", headers=director).json
    assert mine["total"] >= 1 and mine["items"][0]["id"] == export_id


def test_tenant_b_export_ids_are_404_for_tenant_a(client, world, bearer, run_jobs):
    created = _ask(client, bearer("auditor", tenant="b"), report="metrics", format="csv",
                   unit_id=world["b"].units["root"].id)
    run_jobs()
    export_id = created.json["id"]
    for role in ("director", "auditor"):
        headers = bearer(role)
        assert client.get(f"/api/v1/exports/{export_id}", headers=headers).status_code == 404
        assert client.get(f"/api/v1/exports/{export_id}/download", headers=headers).status_code == 404


def test_anonymous_callers_get_401(client, world):
    assert client.get("/api/v1/exports").status_code == 401
    response = client.post("/api/v1/exports", json={"report": "tips"})
    assert response.status_code in (401, 403)


def test_cookie_session_needs_the_csrf_header(client, world, login_as):
    token = login_as("auditor")
    body = {"report": "metrics", "format": "csv", "unit_id": world["a"].units["root"].id}
    assert client.post("/api/v1/exports", json=body).status_code == 403
    assert client.post("/api/v1/exports", json=body, headers={"X-CSRFToken": token}).status_code == 202
