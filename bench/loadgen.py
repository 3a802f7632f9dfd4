"""A bounded HTTP load generator: threads with keep-alive `http.client` connections to 127.0.0.1.

Each worker repeats an `iteration(client, worker, seq)` (one request, or a GET then a POST for a form) until
the time is up or the request budget is spent, then closes its connection. Latency is measured per request
from the first byte sent to the last byte read.
"""
import http.client
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from bench.common import LOOPBACK, loopback_only, percentile

MAX_DURATION = 600  # whatever a caller asks, no load runs longer than this


@dataclass
class LoadResult:
    seconds: float
    latencies: list = field(default_factory=list)  # seconds, one per completed request
    statuses: Counter = field(default_factory=Counter)
    errors: int = 0  # transport errors (refused, reset, timeout)
    iterations: int = 0

    @property
    def requests(self):
        return len(self.latencies)

    def summary(self):
        ms = [value * 1000 for value in self.latencies]
        return {
            "requests": self.requests, "iterations": self.iterations, "seconds": round(self.seconds, 2),
            "req_per_s": round(self.requests / self.seconds, 1) if self.seconds else None,
            "iter_per_s": round(self.iterations / self.seconds, 1) if self.seconds else None,
            "p50_ms": _round(percentile(ms, 0.50)), "p95_ms": _round(percentile(ms, 0.95)),
            "p99_ms": _round(percentile(ms, 0.99)), "max_ms": _round(max(ms) if ms else None),
            "statuses": {str(code): count for code, count in sorted(self.statuses.items())},
            "errors": self.errors,
        }


def _round(value):
    return None if value is None else round(value, 2)


class Client:
    """One keep-alive connection; `request` returns (status, headers, body) and records the latency."""

    def __init__(self, port, host=LOOPBACK, timeout=30):
        self.host, self.port, self.timeout = loopback_only(host), port, timeout
        self.connection = None
        self.latencies, self.statuses, self.errors = [], Counter(), 0

    def request(self, method, path, body=None, headers=None):
        if self.connection is None:
            self.connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        started = time.perf_counter()
        try:
            self.connection.request(method, path, body=body, headers=headers or {})
            response = self.connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            self.errors += 1
            self.close()
            return None, {}, b""
        self.latencies.append(time.perf_counter() - started)
        self.statuses[response.status] += 1
        if response.getheader("Connection", "").lower() == "close":
            self.close()
        return response.status, {key.lower(): value for key, value in response.getheaders()}, data

    def set_cookies(self, headers):
        """Set-Cookie values of a response as one Cookie header value (enough for a CSRF cookie + session)."""
        return "; ".join(part.split(";", 1)[0] for part in headers.get("set-cookie", "").split(", ") if "=" in part)

    def close(self):
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def run(port, iteration, concurrency=16, duration=30.0, max_iterations=None, setup=None):
    """Run `iteration(client, worker, seq)` on `concurrency` threads for `duration` seconds (or until
    `max_iterations` in total). `setup(client, worker)` runs once per worker before the clock starts."""
    duration = min(duration, MAX_DURATION)
    lock, issued = threading.Lock(), [0]
    clients = [Client(port) for _ in range(concurrency)]
    ready = threading.Barrier(concurrency + 1)
    deadline = [0.0]

    def take():
        with lock:
            if max_iterations is not None and issued[0] >= max_iterations:
                return None
            issued[0] += 1
            return issued[0] - 1

    def work(worker):
        client = clients[worker]
        if setup is not None:
            setup(client, worker)
        client.latencies.clear()
        client.statuses.clear()
        ready.wait()
        while time.perf_counter() < deadline[0]:
            seq = take()
            if seq is None:
                break
            iteration(client, worker, seq)
        client.close()

    threads = [threading.Thread(target=work, args=(worker,), daemon=True) for worker in range(concurrency)]
    for thread in threads:
        thread.start()
    deadline[0] = time.perf_counter() + duration + 3600  # provisional, set for real once everyone is ready
    ready.wait()
    started = time.perf_counter()
    deadline[0] = started + duration
    for thread in threads:
        thread.join(duration + 60)
    result = LoadResult(seconds=time.perf_counter() - started, iterations=issued[0])
    for client in clients:
        result.latencies.extend(client.latencies)
        result.statuses.update(client.statuses)
        result.errors += client.errors
    return result
