"""`rq worker --worker-class tests.faults.slow_worker.SlowWorker`: a real rq worker whose export reports wait
before their first row, so a test can kill it while the export is running: rows read in Python (XLSX, PDF,
CSV on SQLite) and rows copied by PostgreSQL (`metrics.exports.copy_csv`, the tips register's CSV) alike."""
import os
import time

from rq import Worker

from metrics.exports import copy_csv, jobs

_build_report = jobs.build_report
_copy_rows = copy_csv._copy_rows
PAUSE = float(os.environ.get("KETNOI_TEST_EXPORT_PAUSE", "60"))


def _slow_rows(rows):
    time.sleep(PAUSE)
    yield from rows


def slow_build_report(export, requester):
    report = _build_report(export, requester)
    return report._replace(rows=_slow_rows(report.rows))


def slow_copy_rows(*args, **kwargs):
    time.sleep(PAUSE)
    return _copy_rows(*args, **kwargs)


jobs.build_report = slow_build_report
copy_csv._copy_rows = slow_copy_rows


class SlowWorker(Worker):
    """rq's own worker; importing this module is what slows the exports down."""
