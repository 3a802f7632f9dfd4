"""Background jobs: rq queues declared once, periodic jobs registered on the app, one `enqueue()` for everyone.

Rules every job follows:
- a job takes ids, never ORM objects, and runs inside the tenant scope of the tenant id it is given;
- the data a job works on is committed before the job is enqueued, and a failed enqueue loses nothing: the
  periodic sweeps find whatever was not scheduled;
- jobs are idempotent, so rq's retries and a sweep running the same work again change nothing.

With `REDIS_URL` the jobs go to rq (`flask jobs worker`, or `rq worker --worker-class core.jobs.AppWorker
--with-scheduler default exports notifications`, runs them and the ones due at a time; `rq cron core.cron` runs
the periodic ones). Without it (the embedded default) a job
due now runs in-process right away, in the caller's app context, and a job due later is left to the periodic
sweeps, which `flask jobs tick` runs every minute beside the development server.
"""
import functools
import logging
import os
from datetime import timedelta

from flask import current_app, has_app_context
from rq import SimpleWorker
from rq.utils import import_attribute

from core.registry import registry
from core.timeutil import as_utc, utcnow

log = logging.getLogger(__name__)

QUEUES = ("default", "exports", "notifications")
RETRY_INTERVALS = [10, 60, 300]


def register_periodic(app, func, seconds):
    """A module-level, argument-less job to run every `seconds` (rq cron / `flask jobs tick`); packages
    register theirs from `init_app`, in the factory's order."""
    registry("periodic", app).append((func, seconds))


_worker_app = None


def job(func):
    """Make a function runnable by an rq worker: it gets an app context when it has none."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        if has_app_context():
            return func(*args, **kwargs)
        with worker_app().app_context():
            return func(*args, **kwargs)

    return wrapper


def worker_app():
    """The app of a worker process started outside Flask (`rq worker`), built once: loaded the way gunicorn and
    the `flask` command load it, from its entry point (`FLASK_APP`, by default `wsgi:app`), so this module
    needs no import of the factory that imports it."""
    global _worker_app
    if _worker_app is None:
        from flask.cli import ScriptInfo

        _worker_app = ScriptInfo(app_import_path=os.environ.get("FLASK_APP") or "wsgi:app").load_app()
    return _worker_app


class AppWorker(SimpleWorker):
    """The platform's rq worker: jobs run in the worker's own process instead of a work horse forked per job.

    A horse per job (a fork, then new database and Redis connections) cost more than most jobs do: a worker ran
    about one webhook delivery a second. What the fork gave is kept: each job runs in a fresh app context (its
    own session, `g` and tenant scope, released when the job ends, even on error), rq's job timeout still stops
    a job (SIGALRM in this process), and a worker killed mid-job leaves the job to rq's abandoned-job handling
    and the periodic sweeps, as before. Without an app context (`rq worker --worker-class core.jobs.AppWorker`)
    each `@job` makes its own."""

    def execute_job(self, job, queue):
        if not has_app_context():
            return super().execute_job(job, queue)
        with current_app._get_current_object().app_context():
            return super().execute_job(job, queue)


def redis():
    return current_app.extensions.get("ketnoi_redis")


def queue(name="default"):
    from rq import Queue

    return Queue(name, connection=redis())


def enqueue(func, *args, queue_name="default", at=None, job_id=None, retries=None, timeout=600,
            **kwargs):
    """Hand `func(*args)` to the queue (services call it through `core.transaction.after_commit`, so the job
    exists only once the data it works on is committed). Returns the rq job, or None when the job ran
    in-process (embedded default), was left to a sweep, or could not be enqueued (logged; a sweep recovers).

    `func` is a job function, or its dotted name ("metrics.exports.jobs.run_export") where the job's module
    imports the caller's: rq stores jobs by name anyway, and the name keeps the modules free of import cycles."""
    at = as_utc(at)
    retries = len(RETRY_INTERVALS) if retries is None else retries
    if current_app.config["REDIS_URL"] is None:
        if at is None or at <= utcnow() + timedelta(seconds=1):
            (import_attribute(func) if isinstance(func, str) else func)(*args, **kwargs)
        return None
    from redis.exceptions import RedisError
    from rq import Retry

    options = {"job_id": job_id, "retry": Retry(max=retries, interval=RETRY_INTERVALS) if retries else None,
               "job_timeout": timeout, "failure_ttl": 7 * 24 * 3600}
    try:
        with redis().pipeline() as pipeline:  # one round trip instead of rq's two for a job due now
            target = queue(queue_name)
            if at is not None and at > utcnow():
                queued = target.enqueue_at(at, func, *args, **kwargs, **options, pipeline=pipeline)
            else:
                queued = target.enqueue(func, *args, **kwargs, **options, pipeline=pipeline)
            pipeline.execute()
        return queued
    except RedisError:
        log.warning("could not enqueue %s; the periodic sweep will pick it up", getattr(func, "__name__", func))
        return None


def run_periodic_once():
    """Run every periodic job once, in order (the embedded scheduler and tests use this)."""
    for func, _seconds in registry("periodic"):
        try:
            func()
        except Exception:  # one failing sweep must not stop the others
            log.exception("periodic job %s failed", func.__name__)
