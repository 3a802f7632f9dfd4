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
