"""`GET /metrics` for Prometheus, behind `METRICS_TOKEN` (unset: 404; a wrong or missing bearer token: 401).

Request latency histograms per route come from prometheus-flask-exporter; the queue figures are read from Redis
at scrape time, so every web process answers the same. With several gunicorn workers the per-request histograms
live in each process: set `PROMETHEUS_MULTIPROC_DIR` (deploy/systemd/ketnoi-web.service does, and
deploy/gunicorn.conf.py drops a dead worker's files) and the scrape aggregates every process's files."""
import hmac
import os
import time

from flask import Response, abort, current_app, request
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily

from core.jobs import QUEUES


class QueueCollector:
    """rq queue depth and the age of the oldest waiting job, per queue."""

    def __init__(self, app):
        self.app = app

    def collect(self):
        from rq import Queue

        depth = GaugeMetricFamily("ketnoi_rq_queue_depth", "Jobs waiting in an rq queue", labels=["queue"])
        age = GaugeMetricFamily("ketnoi_rq_oldest_job_age_seconds", "Age of the oldest waiting job", labels=["queue"])
        connection = self.app.extensions["ketnoi_redis"]
        for name in QUEUES:
            queue = Queue(name, connection=connection)
            try:
                depth.add_metric([name], queue.count)
                ids = queue.get_job_ids(0, 0)
                job = queue.fetch_job(ids[0]) if ids else None
                oldest = job.enqueued_at.timestamp() if job is not None and job.enqueued_at else None
            except Exception:  # Redis down: the figures are missing, /healthz and doctor say why
                continue
            age.add_metric([name], max(0.0, time.time() - oldest) if oldest else 0.0)
        yield depth
        yield age


def init_metrics(app):
    from prometheus_flask_exporter import PrometheusMetrics

    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    PrometheusMetrics(app, path=None, registry=registry, group_by="url_rule", excluded_paths=["/metrics", "/healthz"])
    registry.register(QueueCollector(app))
    app.extensions["ketnoi_metrics_registry"] = registry

    @app.get("/metrics", endpoint="ops_metrics")
    def metrics():
        token = current_app.config.get("METRICS_TOKEN")
        if not token:
            abort(404)
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), token.encode()):
            abort(401)
        return Response(generate_latest(registry), mimetype="text/plain; version=0.0.4; charset=utf-8")
