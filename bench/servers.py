"""Servers under test: gunicorn (or an rq worker) started on 127.0.0.1, waited for, and always stopped.

Every process gets a watchdog: whatever happens to the benchmark, it is terminated after `max_seconds`.
"""
import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time

from bench.common import LOOPBACK, ROOT, cores, log, loopback_only

WORKERS = 2 * cores()


def free_port():
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


class Process:
    """A child process in its own process group, stopped by `stop()` or by its watchdog."""

    def __init__(self, name, command, env=None, cwd=ROOT, max_seconds=900, log_path=None):
        self.name = name
        full_env = dict(os.environ)
        full_env.update(env or {})
        full_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(cwd), full_env.get("PYTHONPATH")]))
        self.log_path = log_path or (ROOT / "bench" / "results" / f"{name}.log.tmp")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(command, env=full_env, cwd=cwd, stdout=self._log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        self._watchdog = threading.Timer(max_seconds, self.stop)
        self._watchdog.daemon = True
        self._watchdog.start()

    def alive(self):
        return self.process.poll() is None

    def stop(self, grace=10):
        self._watchdog.cancel()
        if self.alive():
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(grace)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
            except ProcessLookupError:
                pass
        self._log.close()

    def tail(self, lines=30):
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class HttpServer(Process):
    """gunicorn serving `app` (module:callable) with `workers` sync workers on 127.0.0.1:<free port>."""

    def __init__(self, name, app, env=None, workers=WORKERS, python=sys.executable, cwd=ROOT, ready_path="/",
                 max_seconds=900, extra_args=()):
        self.port = free_port()
        self.host = loopback_only(LOOPBACK)
        command = [python, "-m", "gunicorn", "--workers", str(workers), "--bind", f"{self.host}:{self.port}",
                   "--log-level", "warning", "--timeout", "60", "--graceful-timeout", "5", *extra_args, app]
        super().__init__(name, command, env=env, cwd=cwd, max_seconds=max_seconds)
        self.wait_ready(ready_path)

    def wait_ready(self, path, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(f"{self.name} exited early:\n{self.tail()}")
            try:
                connection = http.client.HTTPConnection(self.host, self.port, timeout=5)
                connection.request("GET", path)
                status = connection.getresponse().status
                connection.close()
                if status < 500:
                    log(f"{self.name}: ready on {self.host}:{self.port}")
                    return
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer on {self.host}:{self.port}:\n{self.tail()}")
