"""Row-level security: on PostgreSQL the database holds tenants apart even where the ORM hook does not reach.

The suite's app works as a role the policies bind (tests/conftest.py `_connect_as_app_role`), as production
must (`flask db roles`). Each table is found by walking the database for `tenant_id` columns and the models'
metadata, so a table added later is covered without editing this file.
"""
import os

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from config import ConfigError
from core import create_app, rls, tenancy
from core.extensions import db
from core.tenancy import platform_scope, tenant_scope
from tests.conftest import make_config
from tests.foundation import test_cross_tenant_walk as walk

pytestmark = pytest.mark.services


@pytest.fixture(autouse=True)
def _postgresql_only(services_leg):
    if not services_leg:
        pytest.skip("row-level security is PostgreSQL's; the embedded default has the ORM hook alone")


def _tables():
    return rls.tenant_tables(db.session.connection())


def _count(table, where="TRUE", **params):
    return db.session.execute(text(f'SELECT count(*) FROM "{table}" WHERE {where}'), params).scalar()


def test_every_tenant_owned_table_has_forced_policies(app_ctx):
    tables = _tables()
    modelled = {table.name for table in db.metadata.tables.values() if "tenant_id" in table.c}
    assert modelled <= set(tables) and len(tables) >= 25
    rows = db.session.execute(text(
        "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, "
        "array_agg(p.policyname ORDER BY p.policyname) AS policies "
        "FROM pg_class c LEFT JOIN pg_policies p ON p.tablename = c.relname AND p.schemaname = 'public' "
        "WHERE c.relname = ANY(:tables) AND c.relkind = 'r' GROUP BY c.relname, c.relrowsecurity, "
        "c.relforcerowsecurity"), {"tables": tables}).all()
    unprotected = [row.relname for row in rows
                   if not (row.relrowsecurity and row.relforcerowsecurity
                           and row.policies == ["platform_rows", "tenant_rows"])]
    assert len(rows) == len(tables) and not unprotected


def test_the_app_role_is_not_above_the_policies(app_ctx):
    assert rls.role_problem(db.session.connection()) is None


def test_with_no_tenant_set_every_table_reads_empty_and_refuses_writes(app_ctx, tenant_a):
    tables = _tables()
    with platform_scope():
        populated = [table for table in tables if _count(table)]
    assert {"units", "users", "memberships"} <= set(populated)
    assert tenancy.current_scope() is None
    refused = []
    for table in tables:
        assert _count(table) == 0, f"{table} shows rows with no tenant set"
        savepoint = db.session.begin_nested()
        try:
            db.session.execute(text(f'INSERT INTO "{table}" (tenant_id) VALUES (:tenant)'),
                               {"tenant": tenant_a.tenant_id})
        except DBAPIError as error:
            if "row-level security" in str(error.orig):
                refused.append(table)
        finally:
            savepoint.rollback()
    assert refused == tables


def test_raw_sql_of_one_tenant_never_sees_or_writes_another(app_ctx, client, world, bearer, tenant_a, tenant_b):
    walk.make_tenant_b_objects(client, world, bearer)
    db.session.commit()
    tables = _tables()
    with platform_scope():
        holding_b = [table for table in tables if _count(table, "tenant_id = :b", b=tenant_b.tenant_id)]
    assert {"units", "users", "tips", "posts", "exports", "audit_log"} <= set(holding_b)
    with tenant_scope(tenant_a.tenant_id):
        for table in tables:
            assert _count(table, "tenant_id <> :a", a=tenant_a.tenant_id) == 0, f"{table} shows another tenant"
        touched = db.session.execute(text("UPDATE units SET name = name WHERE tenant_id = :b"),
                                     {"b": tenant_b.tenant_id}).rowcount
        assert touched == 0
        savepoint = db.session.begin_nested()
        with pytest.raises(DBAPIError, match="row-level security"):
            db.session.execute(text("UPDATE units SET tenant_id = :b WHERE parent_id IS NULL"),
                               {"b": tenant_b.tenant_id})
        savepoint.rollback()


@pytest.fixture
def orm_hook_off():
    """The cross-tenant walk again with the ORM's tenant filter removed: the database alone must hold."""
    event.remove(Session, "do_orm_execute", tenancy._scope_statement)
    try:
        yield
    finally:
        event.listen(Session, "do_orm_execute", tenancy._scope_statement)


def test_the_cross_tenant_walk_holds_with_the_orm_hook_off(orm_hook_off, app_ctx, client, world, bearer,
                                                           tenant_b, in_tenant):
    assert not event.contains(Session, "do_orm_execute", tenancy._scope_statement)
    walk.test_every_staff_route_answers_404_for_tenant_b_ids(app_ctx, client, world, bearer, tenant_b, in_tenant)


def test_lists_show_nothing_of_another_tenant_with_the_orm_hook_off(orm_hook_off, app_ctx, client, world, bearer):
    walk.test_lists_and_searches_show_nothing_of_tenant_b(app_ctx, client, world, bearer)


def test_production_refuses_a_superuser_connection(app, tmp_root, database_uri, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "s" * 40)
    monkeypatch.setenv("IDENTITY_KEY", Fernet.generate_key().decode())
    monkeypatch.setenv("APP_ENV", "production")
    with pytest.raises(ConfigError, match="superuser"):
        create_app(make_config(tmp_root, database_uri))  # the suite's owner connects as postgres
    started = create_app(make_config(tmp_root, app.config["TEST_APP_ROLE_URL"]))
    with started.app_context():
        db.engine.dispose()


def test_db_roles_makes_a_login_role_the_policies_bind(app, monkeypatch):
    """`flask db roles` as the operator runs it (no test transaction open: it alters every table's policies)."""
    role = f"ketnoi_app_cli_{os.getpid()}"
    monkeypatch.setenv("KETNOI_APP_PASSWORD", "role-password-1")
    result = app.test_cli_runner().invoke(args=["db", "roles", role, "--password-env", "KETNOI_APP_PASSWORD"])
    assert result.exit_code == 0, result.output
    assert role in result.output
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    engine = create_engine(url.set(username=role, password="role-password-1"))
    try:
        with engine.connect() as connection:
            assert rls.role_problem(connection) is None
            assert connection.execute(text("SELECT count(*) FROM units")).scalar() == 0
            connection.execute(text("SELECT set_config('app.platform', 'on', true)"))
            assert connection.execute(text("SELECT count(*) FROM units")).scalar() > 0
            with pytest.raises(DBAPIError, match="permission denied"):
                connection.execute(text("UPDATE audit_log SET actor = actor"))
    finally:
        engine.dispose()
        with create_engine(url).begin() as owner:
            owner.execute(text(f'DROP OWNED BY "{role}"'))
            owner.execute(text(f'DROP ROLE "{role}"'))
