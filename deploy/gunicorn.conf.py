"""gunicorn settings for the web process (Procfile, systemd, Containerfile): `gunicorn -c deploy/gunicorn.conf.py
wsgi:app`. Everything can be overridden from the environment; defaults suit one box."""
import multiprocessing
import os

# honcho and most platforms pass PORT; systemd socket activation passes the socket itself (LISTEN_FDS), which
# gunicorn uses instead of `bind`.
bind = os.environ.get("GUNICORN_BIND") or f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * multiprocessing.cpu_count())
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
# A request slower than this is killed and logged; exports and uploads run as jobs, so 60 s is generous.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
# On SIGTERM (systemd stop, honcho, podman stop) workers finish their requests for up to this long: the drain.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = 5
# Each request is logged by the app as one JSON line (core.logs); gunicorn's own access log would repeat it.
accesslog = None
errorlog = "-"
# Heartbeat files in memory, not on a disk that may stall.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def child_exit(server, worker):
    """Prometheus multiprocess mode (ops.metrics): a dead worker's live gauges are dropped."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
