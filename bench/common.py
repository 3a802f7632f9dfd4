"""Shared plumbing of the benchmark: where the databases are, the machine, timing, percentiles, logging.

Everything the benchmark starts binds to or targets 127.0.0.1 only; `loopback_only` is the one check every
server and load generator goes through.
"""
import os
import platform
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

ROOT = Path(os.path.abspath(__file__)).parent.parent  # not resolved: a checkout reached by a symlink stays itself
BENCH_DIR = ROOT / "bench"
RESULTS_DIR = BENCH_DIR / "results"
DEFAULT_DATABASE_URL = "postgresql://postgres@localhost/postgres"
# Overridable so that two runs on one server (a developer's and a test's) never drop each other's databases.
BENCH_DATABASE = os.environ.get("BENCH_DATABASE", "ketnoi_bench")
PEER_DATABASE = os.environ.get("BENCH_PEER_DATABASE", "helpdesk_bench")
BENCH_REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
LOOPBACK = "127.0.0.1"
_STARTED = time.monotonic()


def log(message):
    print(f"[{time.monotonic() - _STARTED:7.1f}s] {message}", file=sys.stderr, flush=True)


def loopback_only(host):
    """Refuse any target but this machine's loopback (the workplace's rule for load tests)."""
    if host not in (LOOPBACK, "localhost", "::1"):
        raise ValueError(f"benchmark traffic goes to loopback only, not {host!r}")
    return host


def base_database_url():
    return os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL


def database_url(name, driver=None):
    """The server of DATABASE_URL with another database name, as a plain libpq URL (or with a driver)."""
    url = make_url(base_database_url().replace("postgres://", "postgresql://", 1)).set(drivername="postgresql")
    url = url.set(database=name)
    if driver:
        url = url.set(drivername=f"postgresql+{driver}")
    return url.render_as_string(hide_password=False)


def admin_connection():
    return psycopg.connect(database_url("postgres"), autocommit=True)


def recreate_database(name):
    with admin_connection() as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def drop_database(name):
    with admin_connection() as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def database_exists(name):
    with admin_connection() as connection:
        return connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None


def connect(name=BENCH_DATABASE, **kwargs):
    return psycopg.connect(database_url(name), **kwargs)


def flush_bench_redis():
    from redis import Redis

    Redis.from_url(BENCH_REDIS_URL).flushdb()


def cores():
    return os.cpu_count() or 1


def machine_info():
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gib = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    with admin_connection() as connection:
        server = connection.execute("SHOW server_version").fetchone()[0]
    return {"cores": cores(), "memory_gib": memory_gib, "cpu": model or platform.processor(),
            "python": platform.python_version(), "postgresql": server, "kernel": platform.release()}


def percentile(values, fraction):
    """Nearest-rank percentile of a list (fraction in 0..1); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, int(round(fraction * len(ordered) + 0.5)) - 1))
    return ordered[index]


def ratio(value, baseline):
    if value is None or not baseline:
        return None
    return value / baseline


@contextmanager
def timed():
    """`with timed() as t: ...` then `t()` is the elapsed seconds."""
    start = time.perf_counter()
    end = []
    yield lambda: (end[0] if end else time.perf_counter()) - start
    end.append(time.perf_counter())


def bench_app(database=BENCH_DATABASE, **overrides):
    """The real app on a benchmark database, configured as gunicorn would be (see `server_env`)."""
    from config import Config
    from core import create_app

    env = dict(os.environ)
    env.update(server_env(database))
    config = Config(env=env)
    for key, value in overrides.items():
        setattr(config, key, value)
    return create_app(config)


def server_env(database=BENCH_DATABASE, redis=True, **extra):
    """Environment of the product under benchmark: its database, Redis, raised public rate limits."""
    env = {"DATABASE_URL": database_url(database), "APP_ENV": "development",
           "RATELIMIT_PUBLIC_TIPS": "1000000 per minute", "RATELIMIT_FOLLOWUP": "1000000 per minute",
           "RATELIMIT_ZALO_WEBHOOK": "1000000 per minute",
           "MEDIA_ROOT": str(BENCH_DIR / "results" / "media.tmp"),
           "PRIVATE_ROOT": str(BENCH_DIR / "results" / "private.tmp"),
           "AUDIT_ANCHOR_DIR": str(BENCH_DIR / "results" / "anchors.tmp"),
           # Never Zalo's real hosts: the Zalo scenario points these at the loopback fake; elsewhere nothing
           # listens on the discard port, so a stray outbound call fails at once.
           "ZALO_API_BASE": "http://127.0.0.1:9", "ZALO_OAUTH_BASE": "http://127.0.0.1:9"}
    if redis:
        env["REDIS_URL"] = BENCH_REDIS_URL
    env.update({key: str(value) for key, value in extra.items()})
    return env
