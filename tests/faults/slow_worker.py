"""`rq worker --worker-class tests.faults.slow_worker.SlowWorker`: a real rq worker whose export reports wait
before their first row, so a test can kill it while the export is running."""
import os
import time

from rq import Worker

from metrics.exports import jobs

_build_report = jobs.build_report
PAUSE = float(os.environ.get("KETNOI_TEST_EXPORT_PAUSE", "60"))


def _slow_rows(rows):
    time.sleep(PAUSE)
    yield from rows


def slow_build_report(export, requester):
    report = _build_report(export, requester)
    return report._replace(rows=_slow_rows(report.rows))


jobs.build_report = slow_build_report


class SlowWorker(Worker):
    """rq's own worker; importing this module is what slows the exports down."""
