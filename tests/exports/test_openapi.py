"""The exports and audit endpoints are documented in the OpenAPI document."""


def test_openapi_documents_exports_and_audit(client):
    spec = client.get("/api/v1/openapi.json").json
    paths = spec["paths"]
    assert "post" in paths["/api/v1/exports"] and "get" in paths["/api/v1/exports"]
    assert "get" in paths["/api/v1/exports/{export_id}"]
    assert "get" in paths["/api/v1/exports/{export_id}/download"]
    assert "get" in paths["/api/v1/audit"]
    created = paths["/api/v1/exports"]["post"]["responses"]
    assert "202" in created
