"""`python -m bench --quick` end to end, so the benchmarks never rot (PostgreSQL + Redis leg only)."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ("intake", "peer", "zalo", "dashboard", "export")

pytestmark = [
    pytest.mark.services,
    pytest.mark.skipif(not os.environ.get("DATABASE_URL"),
                       reason="the benchmark needs PostgreSQL (DATABASE_URL) and Redis; it runs on the services leg"),
]


def test_quick_benchmark_runs_every_scenario_and_writes_its_results(tmp_path):
    env = dict(os.environ)
    # The bench creates and drops its own databases on this server (named for this test run, so a developer's
    # kept benchmark database is left alone) and flushes the Redis database it is given.
    env.setdefault("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
    env["BENCH_DATABASE"] = f"ketnoi_bench_test_{os.getpid()}"
    env["BENCH_PEER_DATABASE"] = f"helpdesk_bench_test_{os.getpid()}"
    result = subprocess.run([sys.executable, "-m", "bench", "--quick", "--no-docs", "--results", str(tmp_path)],
                            cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-4000:]
    assert "scenario" in result.stdout and "ERROR" not in result.stdout

    dataset = json.loads((tmp_path / "dataset.json").read_text())["results"]
    assert dataset["tenants"] == 63 and dataset["units"] > 11_000
    assert dataset["counters_consistent"] is True
    for name in SCENARIOS:
        payload = json.loads((tmp_path / f"{name}.json").read_text())["results"]
        assert "error" not in payload, payload.get("error")
        assert payload.get("targets"), f"{name} reported no targets"
    intake = json.loads((tmp_path / "intake.json").read_text())["results"]
    assert intake["bare"]["nothing_lost"] and intake["bare"]["req_per_s"] > 0
    assert intake["limits"]["statuses"][-1] == 429
