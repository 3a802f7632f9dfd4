"""Finding 18 of the hostile review: `TRUNCATE audit_log` plus rewinding the chain heads passed
`flask audit verify`. PostgreSQL now refuses TRUNCATE on the log and any rewind or removal of a chain head
(triggers, migration 0009), and every `flask audit verify` that finds the chains intact anchors their heads
outside the database, so a later truncation is caught even where the triggers cannot stand (SQLite, or a
database owner who drops them)."""
import os

import pytest
from sqlalchemy import create_engine, text

from core.audit import GENESIS, chain_name
from core.extensions import db
from core.tenancy import platform_scope


@pytest.fixture
def anchor_dir(app_ctx, tmp_path, monkeypatch):
    monkeypatch.setitem(app_ctx.config, "AUDIT_ANCHOR_DIR", str(tmp_path))
    return tmp_path


def test_verify_anchors_the_heads_so_a_truncation_is_caught(app_ctx, client, world, login_as, anchor_dir, table_owner):
    login_as("director")  # writes to tenant A's chain
    chain = chain_name(world["a"].tenant_id)
    runner = app_ctx.test_cli_runner()
    first = runner.invoke(args=["audit", "verify"])
    assert first.exit_code == 0, first.output
    assert any(chain in path.read_text() for path in anchor_dir.glob("audit-anchor-*.jsonl"))
    with platform_scope(), table_owner():  # what an insider with the database's owner rights would do
        db.session.execute(text("DELETE FROM audit_log WHERE chain = :chain"), {"chain": chain})
        db.session.execute(text("UPDATE audit_chain_heads SET last_seq = 0, last_hash = :genesis "
                                "WHERE chain = :chain"), {"genesis": GENESIS, "chain": chain})
        db.session.commit()
        db.session.expire_all()
    second = runner.invoke(args=["audit", "verify"])
    assert second.exit_code == 1 and f"BROKEN chain {chain}" in second.output and "missing" in second.output


@pytest.mark.skipif(not os.environ.get("DATABASE_URL"), reason="the triggers are PostgreSQL's")
def test_postgresql_refuses_truncate_and_rewinding_a_head(tmp_root):
    from flask_migrate import upgrade

    from core import create_app
    from tests.conftest import make_config
    from tests.foundation.test_migrations import _fresh_database

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
                connection.execute(text("INSERT INTO audit_chain_heads (chain, last_seq, last_hash) "
                                        "VALUES ('platform', 1, 'b')"))
            refused = ["TRUNCATE audit_log", "TRUNCATE audit_chain_heads", "DELETE FROM audit_chain_heads",
                       "UPDATE audit_chain_heads SET last_seq = 0, last_hash = 'x'",
                       "UPDATE audit_chain_heads SET last_seq = 5"]
            for statement in refused:
                with engine.begin() as connection:
                    try:
                        connection.execute(text(statement))
                    except Exception as error:  # the trigger's exception, whatever the driver wraps it in
                        assert "audit" in str(error), statement
                    else:
                        raise AssertionError(f"{statement} was allowed")
            with engine.begin() as connection:  # the one change an append makes is still allowed
                connection.execute(text("UPDATE audit_chain_heads SET last_seq = 2, last_hash = 'c'"))
            engine.dispose()
            db.engine.dispose()
    finally:
        cleanup()
