"""Operating tests: real processes (honcho, gunicorn, rq, pgbouncer) against a database of their own on the
services leg's PostgreSQL server, and a redis-server of their own (tests/faults): they stop only what they start."""
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from config import Config
from tests.faults.conftest import free_port, own_redis, wait_until  # noqa: F401  (fixtures and helpers)

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SERVICES_ONLY = pytest.mark.skipif(not os.environ.get("DATABASE_URL"),
                                   reason="runs on the PostgreSQL + Redis leg only (set DATABASE_URL)")


def admin_engine():
    url = make_url(Config(env={"DATABASE_URL": os.environ["DATABASE_URL"]}).SQLALCHEMY_DATABASE_URI)
    return create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT"), url


class Database:
    """A database of the test's own on the services leg's server, dropped at the end."""

    def __init__(self, prefix="ketnoi_ops"):
        self.engine, base = admin_engine()
        self.name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        with self.engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{self.name}"'))
        self.url = base.set(database=self.name).render_as_string(hide_password=False)
        # The plain spelling operators write (config.py adds the driver).
        self.plain_url = self.url.replace("postgresql+psycopg://", "postgresql://")

    def drop(self):
        with self.engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.engine.dispose()


@pytest.fixture
def new_database():
    made = []

    def _make(prefix="ketnoi_ops"):
        made.append(Database(prefix))
        return made[-1]

    yield _make
    for database in made:
        database.drop()


def process_env(tmp_path, database_url, redis_url, **extra):
    """The environment an operator's process gets: the settings of README's "Operating", nothing of pytest's."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST", "COV_"))}
    env.update(DATABASE_URL=database_url, REDIS_URL=redis_url, MEDIA_ROOT=str(tmp_path / "media"),
               PRIVATE_ROOT=str(tmp_path / "private"), AUDIT_ANCHOR_DIR=str(tmp_path / "anchors"),
               PATH=f"{BIN}:{env.get('PATH', '')}", FLASK_APP="wsgi:app", PYTHONUNBUFFERED="1")
    env.update({key: str(value) for key, value in extra.items()})
    return env


def flask(env, *args, check=True, timeout=300, input=None):  # noqa: A002
    return subprocess.run([str(BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, check=check, timeout=timeout, input=input)
