"""`flask doctor` names what is wrong with a deployment in plain words and exits 1; a healthy one passes."""
import os
import signal
import subprocess
import time

import pytest
from cryptography.fernet import Fernet

from core import create_app
from tests.conftest import make_config
from tests.ops.conftest import BIN, ROOT, SERVICES_ONLY, flask, process_env


def test_doctor_names_each_problem_and_exits_1(app, tmp_root, database_uri, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    doctor_app = create_app(make_config(tmp_root, database_uri, REDIS_URL=None, DOCTOR_MIN_FREE_MB=10**9,
                                        PRIVATE_ROOT=str(blocker / "private")))
    os.chmod(blocker, 0o400)
    result = doctor_app.test_cli_runner().invoke(args=["doctor"])
    assert result.exit_code == 1, (result.output, result.exception)
    lines = result.output.splitlines()
    # The session database was built from the models, not by migrations: no schema revision.
    assert any(line.startswith("✗ database:") and "db upgrade" in line for line in lines), result.output
    assert any(line.startswith("✗ disk:") and "MB trống" in line for line in lines), result.output
    assert any(line.startswith("! settings:") and "SECRET_KEY" in line for line in lines), result.output
    assert any(line.startswith("! redis:") and "REDIS_URL" in line for line in lines), result.output
    assert "lỗi cần sửa" in lines[-1]


def _strong_env(tmp_path, database, redis_url):
    return process_env(tmp_path, database.plain_url, redis_url, SECRET_KEY="s" * 48,
                       IDENTITY_KEY=Fernet.generate_key().decode(), PUBLIC_BASE_URL="https://ketnoi.example.vn",
                       METRICS_TOKEN="token-for-prometheus", DOCTOR_MIN_FREE_MB=1)


@pytest.mark.services
@SERVICES_ONLY
def test_doctor_passes_with_a_worker_and_cron_and_fails_when_the_worker_stops(new_database, own_redis, tmp_path):
    database = new_database()
    env = _strong_env(tmp_path, database, own_redis.url)
    flask(env, "db", "upgrade")
    before = flask(env, "doctor", check=False)
    assert before.returncode == 1
    assert "✗ worker: không có worker nào đang chạy" in before.stdout
    assert "✗ cron: bộ lập lịch định kỳ" in before.stdout

    worker = subprocess.Popen([str(BIN / "flask"), "--app", "wsgi", "jobs", "worker"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    cron = subprocess.Popen([str(BIN / "rq"), "cron", "core.cron", "--path", ".", "--url", own_redis.url], cwd=ROOT,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while (result := flask(env, "doctor", check=False)).returncode != 0 and time.monotonic() < deadline:
            time.sleep(1)
        healthy = result.stdout
        assert result.returncode == 0, healthy
        assert "✓ worker: 1 worker đang chạy" in healthy
        assert "✓ cron: bộ lập lịch định kỳ đang chạy" in healthy
        assert "✓ database: lược đồ ở phiên bản mới nhất" in healthy
        # The test server's role is a superuser: RLS would not apply, which doctor says (a warning outside
        # production, an error in it).
        assert "! database: ứng dụng kết nối bằng vai trò 'postgres' là superuser" in healthy

        worker.send_signal(signal.SIGTERM)  # a warm shutdown deregisters the worker at once
        worker.wait(timeout=30)
        after = flask(env, "doctor", check=False)
        assert after.returncode == 1
        assert "✗ worker: không có worker nào đang chạy" in after.stdout
    finally:
        for process in (worker, cron):
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=30)
