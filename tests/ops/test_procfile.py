"""`honcho start` with the shipped Procfile serves the product: /healthz answers, the worker runs a job, the cron
scheduler is alive; SIGTERM stops every process it started, each on its own (no SIGKILL needed)."""
import json
import os
import signal
import subprocess
import urllib.request

import pytest
from redis import Redis

from tests.ops.conftest import BIN, ROOT, SERVICES_ONLY, flask, free_port, process_env, wait_until

pytestmark = [pytest.mark.services, SERVICES_ONLY]


def _healthz(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
            return response.status == 200 and json.load(response) == {"db": "ok", "queue": "ok"}
    except OSError:
        return False


def _group_alive(pgid):
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


def test_honcho_start_serves_runs_jobs_and_stops_gracefully(new_database, own_redis, tmp_path):
    from rq import Queue, Worker
    from rq.cron import CronScheduler

    database = new_database()
    env = process_env(tmp_path, database.plain_url, own_redis.url, WEB_CONCURRENCY=2)
    flask(env, "db", "upgrade")
    port = free_port()
    log = open(tmp_path / "honcho.log", "w")  # noqa: SIM115  (closed in the finally below)
    honcho = subprocess.Popen([str(BIN / "honcho"), "start", "-p", str(port), "--no-colour"], cwd=ROOT, env=env,
                              stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_until(lambda: _healthz(port), timeout=60, what="/healthz through honcho's gunicorn")
        redis = Redis.from_url(own_redis.url)
        wait_until(lambda: Worker.all(connection=redis), timeout=60, what="the rq worker to register")
        job = Queue("default", connection=redis).enqueue("os.getpid")
        wait_until(lambda: job.get_status(refresh=True) == "finished", timeout=30, what="the job to run")
        assert job.return_value() not in (honcho.pid, os.getpid())  # run by the worker process
        wait_until(lambda: CronScheduler.all(redis), timeout=30, what="the cron scheduler to register")

        honcho.send_signal(signal.SIGTERM)
        honcho.wait(timeout=45)
        wait_until(lambda: not _group_alive(honcho.pid), timeout=15, what="every child to exit")
    finally:
        if _group_alive(honcho.pid):
            os.killpg(honcho.pid, signal.SIGKILL)
        log.close()
    output = (tmp_path / "honcho.log").read_text()
    assert "SIGKILL" not in output, output  # each stopped on SIGTERM within honcho's grace period
    for name in ("web", "worker", "cron"):
        assert f"{name}.1 stopped" in output, output
    assert "Shutting down: Master" in output  # gunicorn drained its workers
    assert "warm shut down requested" in output  # rq finishes (or returns) its job first
    assert "shutdown complete" in output  # the cron scheduler deregistered
