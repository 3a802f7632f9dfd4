"""`flask backup create|restore`: a round trip into an empty database and empty stores gives back every row and
file; a tampered backup and a non-empty target are refused. On PostgreSQL, the restore drill: demo → backup →
restore into a new database → audit verify → the same figures on the roll-up API."""
import json
import os

import pytest

from tests.ops.conftest import SERVICES_ONLY, flask, process_env


def _sqlite_env(tmp_path, name):
    (tmp_path / name).mkdir()
    env = process_env(tmp_path / name, f"sqlite:///{tmp_path / name / 'ketnoi.sqlite3'}", "")
    env.pop("REDIS_URL")
    return env


def _files(root):
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_backup_round_trip_on_sqlite_and_its_refusals(tmp_path):
    source = _sqlite_env(tmp_path, "source")
    flask(source, "db", "upgrade")
    flask(source, "tenants", "create", "vinh-long", "--name", "Công an tỉnh Vĩnh Long", "--province", "86")
    evidence = tmp_path / "source/private/evidence/1/a.bin"
    evidence.parent.mkdir(parents=True)
    evidence.write_bytes(b"gAAAA-encrypted-evidence")  # stored as it is: encrypted on disk, encrypted in the backup
    (tmp_path / "source/media").mkdir(exist_ok=True)
    (tmp_path / "source/media/post.jpg").write_bytes(b"\xff\xd8jpeg")

    created = flask(source, "backup", "create", str(tmp_path / "backup"))
    assert "Đã sao lưu" in created.stdout
    manifest = json.loads((tmp_path / "backup/manifest.json").read_text())
    assert manifest["row_counts"]["units"] > 100 and manifest["schema_revision"]
    assert manifest["files"]["private/evidence/1/a.bin"]
    assert (tmp_path / "backup/private/evidence/1/a.bin").read_bytes() == b"gAAAA-encrypted-evidence"

    target = _sqlite_env(tmp_path, "target")
    restored = flask(target, "backup", "restore", str(tmp_path / "backup"))
    assert "✓ số dòng" in restored.stdout and "✓ nhật ký kiểm toán toàn vẹn" in restored.stdout
    for store in ("private", "media"):
        assert _files(tmp_path / "target" / store) == _files(tmp_path / "source" / store)
    listed = flask(target, "doctor", check=False).stdout
    assert "lược đồ ở phiên bản mới nhất" in listed

    again = flask(target, "backup", "restore", str(tmp_path / "backup"), check=False)
    assert again.returncode == 1 and "không trống" in again.stderr

    (tmp_path / "backup/private/evidence/1/a.bin").write_bytes(b"gAAAA-changed")
    other = _sqlite_env(tmp_path, "other")
    tampered = flask(other, "backup", "restore", str(tmp_path / "backup"), check=False)
    assert tampered.returncode == 1 and "private/evidence/1/a.bin" in tampered.stderr
    assert not os.path.exists(tmp_path / "other/ketnoi.sqlite3") or os.path.getsize(
        tmp_path / "other/ketnoi.sqlite3") == 0


def _rollup(database_url, tmp_path, token):
    from config import Config
    from core import create_app

    env = process_env(tmp_path, database_url, "")
    env.pop("REDIS_URL")
    # Flask-Limiter's extension is one object for every app: an app made with limits on would turn them on for
    # the rest of the session's tests too.
    env["RATELIMIT_ENABLED"] = "0"
    app = create_app(Config(env=env))
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    me = client.get("/api/v1/me", headers=headers).get_json()
    unit_id = me["memberships"][0]["unit_id"]
    response = client.get(f"/api/v1/metrics/rollup?unit_id={unit_id}&from=2024-01-01&to=2026-12-31",
                          headers=headers)
    assert response.status_code == 200, response.get_json()
    with app.app_context():
        from core.extensions import db

        db.engine.dispose()
    return response.get_json()


@pytest.mark.services
@SERVICES_ONLY
def test_restore_drill_on_postgresql(new_database, tmp_path):
    first, second = new_database(), new_database()
    source = process_env(tmp_path / "source", first.plain_url, "")
    source.pop("REDIS_URL")
    flask(source, "db", "upgrade")
    flask(source, "demo", timeout=900)  # minutes on a loaded 2-core machine
    token = flask(source, "users", "token", "giamdoc@vinh-long.ketnoi.local").stdout.strip().splitlines()[-1]
    flask(source, "backup", "create", str(tmp_path / "backup"))

    target = process_env(tmp_path / "target", second.plain_url, "")
    target.pop("REDIS_URL")
    restored = flask(target, "backup", "restore", str(tmp_path / "backup"))
    assert "✓ số dòng" in restored.stdout and "✓ nhật ký kiểm toán toàn vẹn" in restored.stdout
    assert flask(target, "audit", "verify").returncode == 0
    before, after = _rollup(first.plain_url, tmp_path / "source", token), _rollup(second.plain_url,
                                                                                    tmp_path / "target", token)
    assert before["totals"] and before == after
