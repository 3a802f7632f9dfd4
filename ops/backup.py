"""`flask backup create DIR` and `flask backup restore DIR`.

A backup is a directory:
- `database.dump` (PostgreSQL, `pg_dump -Fc` from an exported snapshot) or `database.sqlite3` (SQLite's online
  backup API): the whole database at one instant;
- `media/`, `private/`, `anchors/`: the public media store, the evidence store (files stay as they are on disk,
  i.e. encrypted with IDENTITY_KEY: a backup without the keys reveals nothing) and the audit chain anchors;
- `manifest.json`: when, the schema revision, the row count of every table in the same snapshot as the dump, and
  the sha256 of every file of the backup.

Restore goes only into an empty database and empty stores, checks every checksum first, and afterwards compares
every table's row count with the manifest and runs `flask audit verify` against the restored anchors.
On PostgreSQL the dump and the counts are read as the tables' owner (`DATABASE_OWNER_URL`, else `DATABASE_URL`)
in the platform scope, since row-level security holds the owner too."""
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

FORMAT = 1
STORES = (("MEDIA_ROOT", "media"), ("PRIVATE_ROOT", "private"), ("AUDIT_ANCHOR_DIR", "anchors"))
PLATFORM_OPTIONS = "-c app.platform=on"  # the platform policy of core/rls.py: every tenant's rows


class BackupError(RuntimeError):
    """A refusal or a failed check, said in plain words."""


def _owner_url():
    return current_app.config.get("DATABASE_OWNER_URL") or current_app.config["SQLALCHEMY_DATABASE_URI"]


def _libpq(url):
    """The URL as libpq tools take it (no SQLAlchemy driver name)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _tool_env():
    return {**os.environ, "PGOPTIONS": PLATFORM_OPTIONS}


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _count_rows(connection):
    tables = sorted(inspect(connection).get_table_names())
    return {table: connection.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one() for table in tables}


def _revision(connection):
    try:
        return sorted(row[0] for row in connection.execute(text("SELECT version_num FROM alembic_version")))
    except Exception:
        return []


def create(directory):
    target = Path(directory)
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"thư mục {target} không trống")
    target.mkdir(parents=True, exist_ok=True)
    engine = create_engine(_owner_url())
    try:
        if engine.dialect.name == "postgresql":
            database = _dump_postgres(engine, target)
        else:
            database = _copy_sqlite(engine, target)
    finally:
        engine.dispose()
    for key, name in STORES:
        source = Path(current_app.config[key])
        if source.exists():
            shutil.copytree(source, target / name, symlinks=False)
        else:
            (target / name).mkdir()
    files = {str(path.relative_to(target)): sha256(path) for path in sorted(target.rglob("*")) if path.is_file()}
    manifest = {"format": FORMAT, "created_at": datetime.now(UTC).isoformat(timespec="seconds"), **database,
                "files": files}
    (target / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False), encoding="utf-8")
    return manifest


def _dump_postgres(engine, target):
    """Counts and dump from one snapshot: what the manifest says is exactly what the dump holds."""
    with engine.connect() as connection:
        connection.execute(text("BEGIN ISOLATION LEVEL REPEATABLE READ"))
        connection.execute(text("SELECT set_config('app.platform', 'on', true)"))
        snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
        counts, revision = _count_rows(connection), _revision(connection)
        result = subprocess.run(["pg_dump", "-Fc", "--enable-row-security", f"--snapshot={snapshot}",
                                 "-f", str(target / "database.dump"), _libpq(str(engine.url.render_as_string(
                                     hide_password=False)))], env=_tool_env(), capture_output=True, text=True)
        connection.execute(text("COMMIT"))
    if result.returncode != 0:
        raise BackupError(f"pg_dump thất bại: {result.stderr.strip()[:500]}")
    return {"dialect": "postgresql", "database": "database.dump", "schema_revision": revision, "row_counts": counts}


def _sqlite_path(engine):
    return engine.url.database


def _copy_sqlite(engine, target):
    source = sqlite3.connect(_sqlite_path(engine))
    copy = sqlite3.connect(target / "database.sqlite3")
    try:
        source.backup(copy)  # the online backup API: a consistent copy while the app writes
    finally:
        source.close()
        copy.close()
    copied = create_engine(f"sqlite:///{target / 'database.sqlite3'}")
    with copied.connect() as connection:
        counts, revision = _count_rows(connection), _revision(connection)
    copied.dispose()
    return {"dialect": "sqlite", "database": "database.sqlite3", "schema_revision": revision, "row_counts": counts}


def read_manifest(directory):
    source = Path(directory)
    try:
        manifest = json.loads((source / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise BackupError(f"không đọc được {source / 'manifest.json'}: {error}") from error
    bad = [name for name, digest in manifest["files"].items()
           if not (source / name).is_file() or sha256(source / name) != digest]
    extra = [str(p.relative_to(source)) for p in source.rglob("*")
             if p.is_file() and p.name != "manifest.json" and str(p.relative_to(source)) not in manifest["files"]]
    if bad or extra:
        raise BackupError("bản sao lưu bị hỏng hoặc bị sửa: " + ", ".join(sorted(bad + extra)[:10]))
    return manifest


def restore(directory):
    """Checks, then restores; returns the manifest. Row counts and the audit chains are checked by the caller
    (`ops.cli`), on the restored database."""
    source = Path(directory)
    manifest = read_manifest(source)
    engine = create_engine(_owner_url())
    try:
        if engine.dialect.name != manifest["dialect"]:
            raise BackupError(f"bản sao lưu là {manifest['dialect']}, cơ sở dữ liệu đích là {engine.dialect.name}")
        with engine.connect() as connection:
            existing = inspect(connection).get_table_names()
        if existing:
            raise BackupError(f"cơ sở dữ liệu đích không trống ({len(existing)} bảng): chỉ phục hồi vào cơ sở "
                              "dữ liệu mới, trống")
        for key, _name in STORES:
            path = Path(current_app.config[key])
            if path.exists() and any(path.iterdir()):
                raise BackupError(f"{key}={path} không trống: chỉ phục hồi vào kho trống")
        if manifest["dialect"] == "postgresql":
            result = subprocess.run(["pg_restore", "--no-owner", "--no-acl", "--exit-on-error", "-d",
                                     _libpq(engine.url.render_as_string(hide_password=False)),
                                     str(source / manifest["database"])],
                                    env=_tool_env(), capture_output=True, text=True)
            if result.returncode != 0:
                raise BackupError(f"pg_restore thất bại: {result.stderr.strip()[:500]}")
        else:
            engine.dispose()
            backup = sqlite3.connect(source / manifest["database"])
            restored = sqlite3.connect(_sqlite_path(engine))
            try:
                backup.backup(restored)
            finally:
                backup.close()
                restored.close()
    finally:
        engine.dispose()
    for key, name in STORES:
        path = Path(current_app.config[key])
        path.mkdir(parents=True, exist_ok=True)
        shutil.copytree(source / name, path, dirs_exist_ok=True)
    return manifest


def compare_counts(manifest):
    """[(table, expected, found)] for every table whose row count differs from the manifest."""
    engine = create_engine(_owner_url())
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "postgresql":
                connection.execute(text("SELECT set_config('app.platform', 'on', false)"))
            found = _count_rows(connection)
    finally:
        engine.dispose()
    expected = manifest["row_counts"]
    return [(table, expected.get(table), found.get(table)) for table in sorted(set(expected) | set(found))
            if expected.get(table) != found.get(table)]
