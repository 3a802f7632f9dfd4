"""The staff pages and API routes CONTRACT.md names exist in an app built by the factory alone (not only
after a test fixture registers them)."""
import pytest

CONTRACT_ENDPOINTS = {"/app/tree", "/app/posts", "/app/inbox", "/app/dashboard", "/app/exports", "/app/audit",
                      "/app/users", "/api/v1/audit", "/api/v1/exports", "/api/v1/tips", "/api/v1/units"}


@pytest.fixture
def fresh_app(tmp_root, database_uri):
    from core import create_app
    from tests.conftest import make_config

    return create_app(make_config(tmp_root, database_uri))


def test_contract_staff_pages_exist_in_a_fresh_app(fresh_app):
    rules = {rule.rule for rule in fresh_app.url_map.iter_rules()}
    assert CONTRACT_ENDPOINTS - rules == set()


def test_the_other_contract_routes_exist(fresh_app):
    rules = {rule.rule for rule in fresh_app.url_map.iter_rules()}
    assert CONTRACT_ENDPOINTS - {"/app/audit", "/api/v1/audit"} <= rules
