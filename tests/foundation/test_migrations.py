"""`flask db upgrade` builds the whole schema from empty, and it matches the models exactly."""
import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import create_engine, inspect, text

from core import create_app
from core.extensions import db
from tests.conftest import _drop_postgres, _postgres_test_url, make_config


def _fresh_database(tmp_root):
    if os.environ.get("DATABASE_URL"):
        url, name = _postgres_test_url(os.environ["DATABASE_URL"])
        return url.render_as_string(hide_password=False), lambda: _drop_postgres(url, name)
    path = os.path.join(tmp_root, "migrations-check.sqlite3")
    if os.path.exists(path):
        os.remove(path)
    return f"sqlite:///{path}", lambda: None


def test_upgrade_from_empty_matches_the_models(tmp_root):
    uri, cleanup = _fresh_database(tmp_root)
    app = create_app(make_config(tmp_root, uri))
    try:
        with app.app_context():
            upgrade()
            with db.engine.connect() as connection:
                diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}),
                                        db.metadata)
            assert diff == [], f"models and migrations disagree: {diff}"
            assert "units" in inspect(db.engine).get_table_names()
            if db.engine.dialect.name == "postgresql":  # a migration adding a tenant table must call rls.enable
                with db.engine.connect() as connection:
                    unprotected = connection.execute(text(
                        "SELECT c.table_name FROM information_schema.columns c JOIN pg_class r "
                        "ON r.relname = c.table_name AND r.relkind = 'r' WHERE c.table_schema = 'public' "
                        "AND c.column_name = 'tenant_id' AND NOT (r.relrowsecurity AND r.relforcerowsecurity "
                        "AND (SELECT count(*) FROM pg_policies p WHERE p.tablename = c.table_name) = 2)"
                    )).scalars().all()
                assert unprotected == [], f"tenant-owned tables without row-level security: {unprotected}"
            db.engine.dispose()
    finally:
        cleanup()


@pytest.mark.skipif(not os.environ.get("DATABASE_URL"), reason="the append-only trigger is PostgreSQL's")
def test_audit_log_refuses_update_and_delete_on_postgresql(tmp_root):
    uri, cleanup = _fresh_database(tmp_root)
    app = create_app(make_config(tmp_root, uri))
    try:
        with app.app_context():
            upgrade()
            engine = create_engine(uri)
            with engine.begin() as connection:
                connection.execute(text(
                    "INSERT INTO audit_log (chain, seq, at, actor, action, target_type, target_id, details, client, "
                    "prev_hash, hash) VALUES ('platform', 1, now(), '', 'x', '', '', '{}', '', 'a', 'b')"))
            for statement in ("UPDATE audit_log SET action = 'y'", "DELETE FROM audit_log"):
                with engine.begin() as connection:
                    try:
                        connection.execute(text(statement))
                    except Exception as error:  # the trigger's exception, whatever the driver wraps it in
                        assert "append-only" in str(error)
                    else:
                        raise AssertionError(f"{statement} was allowed")
            engine.dispose()
            db.engine.dispose()
    finally:
        cleanup()


def test_upgrade_keeps_the_rows_of_a_database_in_use(tmp_root):
    """A deployment upgraded with data in it keeps its numbers: 0003 fills the new subtree counters from the
    monthly ones, and on SQLite 0004's rebuild of `units` (a new foreign key) neither fails on the rows that
    reference units nor deletes them by cascade."""
    uri, cleanup = _fresh_database(tmp_root)
    app = create_app(make_config(tmp_root, uri))
    try:
        with app.app_context():
            upgrade(revision="0002")
            with db.engine.begin() as connection:
                connection.execute(text(
                    "INSERT INTO tenants (id, slug, name, province_code, settings, created_at) "
                    "VALUES (1, 'tra-vinh', 'Trà Vinh', '84', '{}', CURRENT_TIMESTAMP)"))
                for unit_id, parent, code, path in ((1, None, "84", "/84/"), (2, 1, "842", "/84/842/")):
                    connection.execute(text(
                        "INSERT INTO units (id, tenant_id, parent_id, kind, code, name, search_name, path, depth, "
                        "sort_order, address, phone, email, contact_hours, description, avatar_path, active) "
                        "VALUES (:id, 1, :parent, 'district', :code, 'Công an', '', :path, 1, 0, '', '', '', '', "
                        "'', '', true)"), {"id": unit_id, "parent": parent, "code": code, "path": path})
                connection.execute(text(
                    "INSERT INTO metric_events (tenant_id, unit_id, metric, value, at, day, subject_type) "
                    "VALUES (1, 2, 'tips_received', 1, CURRENT_TIMESTAMP, CURRENT_DATE, 'tip')"))
                for unit_id, path, value in ((1, "/84/", 2), (2, "/84/842/", 5)):
                    connection.execute(text(
                        "INSERT INTO metric_monthly (tenant_id, unit_id, unit_path, month, metric, value) "
                        "VALUES (1, :id, :path, '2026-11-01', 'tips_received', :value)"),
                        {"id": unit_id, "path": path, "value": value})
            upgrade()
            with db.engine.connect() as connection:
                assert connection.execute(text("SELECT count(*) FROM units")).scalar_one() == 2
                assert connection.execute(text("SELECT unit_id FROM metric_events")).scalar_one() == 2
                assert connection.execute(text("SELECT merged_into_id FROM units WHERE id = 2")).scalar_one() is None
                subtree = connection.execute(text(
                    "SELECT unit_path, parent_path, value FROM metric_subtree_monthly")).all()
                assert [tuple(row) for row in subtree] == [("/84/842/", "/84/", 5)]  # no row for the root
            db.engine.dispose()
    finally:
        cleanup()
