"""Helpers for the metrics tests: read counters back, record at a local time."""
from datetime import datetime

import pytest
from sqlalchemy import select

from core.extensions import db
from core.timeutil import LOCAL_TZ
from metrics.models import DailyCounter, MonthlyCounter, SubtreeMonthlyCounter


def local(*args):
    """An aware instant at a local (Asia/Ho_Chi_Minh) wall-clock time."""
    return datetime(*args, tzinfo=LOCAL_TZ)


def counters(model):
    """{(unit_id, period, metric): value} of the current tenant, zero rows left out."""
    period = model.day if model is DailyCounter else model.month
    rows = db.session.execute(select(model.unit_id, period, model.metric, model.value)).all()
    return {(unit_id, when, metric): value for unit_id, when, metric, value in rows if value}


def subtree_counters():
    """{(unit_path, parent_path, month, metric): value} of the current tenant, zero rows left out."""
    table = SubtreeMonthlyCounter
    rows = db.session.execute(select(table.unit_path, table.parent_path, table.month, table.metric, table.value))
    return {(path, parent, month, metric): value for path, parent, month, metric, value in rows if value}


@pytest.fixture
def snapshot():
    return lambda: (counters(DailyCounter), counters(MonthlyCounter), subtree_counters())
