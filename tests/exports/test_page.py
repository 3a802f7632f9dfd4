"""The exports page: the form, the user's own files, their live progress (polled from the API)."""
import re


def test_page_lists_only_my_exports_with_progress_and_download(client, world, login_as, bearer, run_jobs):
    client.post("/api/v1/exports", json={"report": "metrics", "format": "csv",
                                         "unit_id": world["a"].units["root"].id}, headers=bearer("director"))
    token = login_as("auditor")
    page = client.get("/app/exports")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Xuất báo cáo" in html and 'name="report"' in html and 'name="unit_id"' in html
    assert "<script>" not in html and "style=" not in html
    assert "exports.js" in html
    assert "data-export-id" not in html  # the director's export is not the auditor's
    response = client.post("/app/exports", data={
        "csrf_token": token, "report": "tips", "format": "xlsx", "unit_id": world["a"].units["district"].id,
        "from": "2026-01-01", "to": "2026-01-31"})
    assert response.status_code in (302, 303)
    run_jobs()
    html = client.get("/app/exports").get_data(as_text=True)
    row = re.search(r'<tr id="export-(\d+)"[^>]*data-status="(\w+)"', html)
    assert row and row.group(2) == "done"
    assert f"/api/v1/exports/{row.group(1)}/download" in html


def test_page_form_errors_name_the_field(client, world, login_as):
    token = login_as("auditor")
    response = client.post("/app/exports", data={
        "csrf_token": token, "report": "tips", "format": "xlsx", "unit_id": world["a"].units["district"].id,
        "from": "2026-02-01", "to": "2026-01-01"})
    assert response.status_code == 422
    assert "Ngày bắt đầu sau ngày kết thúc" in response.get_data(as_text=True)


def test_page_is_for_exporters_only(client, login_as):
    login_as("officer")
    assert client.get("/app/exports").status_code == 403
    html = client.get("/app/tree").get_data(as_text=True)
    assert "/app/exports" not in html
