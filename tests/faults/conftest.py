"""Fault tests start their own Redis and PostgreSQL on free loopback ports, and stop only those.

Every wait is bounded. The machine's shared services (Redis on 6379, the cluster the services leg uses) are
never touched: a fault test breaks only what it started.
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.zalo.conftest import channel, fake  # noqa: F401  (the fake Zalo and a configured channel)

SERVICES_ONLY = pytest.mark.skipif(not os.environ.get("DATABASE_URL"),
                                   reason="fault tests run on the PostgreSQL + Redis leg only (set DATABASE_URL)")
ROOT = Path(__file__).resolve().parents[2]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, timeout=15.0, interval=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class OwnRedis:
    """A redis-server of the test's own, without persistence, on a free port."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(self.answers, what=f"redis on {self.port}")
        return self

    def answers(self):
        from redis import Redis
        from redis.exceptions import RedisError

        try:
            return Redis.from_url(self.url, socket_connect_timeout=0.5).ping()
        except RedisError:
            return False

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def own_redis():
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not installed (apt-get install redis-server)")
    server = OwnRedis().start()
    try:
        yield server
    finally:
        server.stop()


def _pg_bin():
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not found:
        pytest.fail("PostgreSQL server binaries are missing (apt-get install postgresql)")
    return found[-1].parent


class OwnPostgres:
    """A PostgreSQL cluster of the test's own: initdb as the `postgres` user in a temporary directory, trust
    authentication on loopback, its own port; `restart()` stops it fast and starts it again."""

    def __init__(self):
        self.bin = _pg_bin()
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="ketnoi-pg-"))
        self.data = self.dir / "data"
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _as_postgres(self, *args, timeout=60):
        command = [str(self.bin / args[0]), *map(str, args[1:])]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, timeout=timeout, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def init(self):
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
        self._as_postgres("initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        return self

    def start(self):
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._as_postgres("pg_ctl", "-D", self.data, "-o", options, "-l", self.dir / "log", "-w", "-t", "30",
                          "start")
        return self

    def stop(self):
        self._as_postgres("pg_ctl", "-D", self.data, "-m", "fast", "-w", "-t", "30", "stop")

    def remove(self):
        try:
            if (self.data / "postmaster.pid").exists():
                self.stop()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def own_postgres():
    server = OwnPostgres().init().start()
    try:
        yield server
    finally:
        server.remove()


@contextmanager
def worker_process(redis_url, env, queues=("exports",), burst=False, worker_class=None):
    """A real `rq worker` in its own process group; killed (with its work horse) when the block ends."""
    command = [str(Path(sys.executable).parent / "rq"), "worker", "--url", redis_url, "--path", str(ROOT)]
    if worker_class:
        command += ["--worker-class", worker_class]
    if burst:
        command.append("--burst")
    command += list(queues)
    process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        yield process
    finally:
        kill_group(process)


def kill_group(process):
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@pytest.fixture
def app_using(app_ctx, tmp_root, database_uri):
    """`app_using(REDIS_URL=...)`: a second app with those settings, sharing the test's rolled-back
    connection."""
    from core import create_app
    from core.extensions import db
    from tests.conftest import make_config, share_connection

    shared = db.engine  # the test's connection
    made = []

    def _make(**overrides):
        # As the app's own role where there is one (tests/conftest.py), as production must connect.
        uri = app_ctx.config.get("TEST_APP_ROLE_URL") or database_uri
        other = create_app(make_config(tmp_root, uri, **overrides))
        made.append(share_connection(other, shared))
        return other

    yield _make
    for engine in made:
        engine.dispose()
