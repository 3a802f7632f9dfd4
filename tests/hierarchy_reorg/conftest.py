"""Helpers of the re-organisation tests: units by code, tips, posts, events and roll-ups of tenant A."""
from datetime import date, datetime

import pytest
from sqlalchemy import select

from core.extensions import db
from core.tenancy import tenant_scope
from core.timeutil import LOCAL_TZ
from hierarchy.models import Unit

NEUTRAL_TIP = "Có người lạ lảng vảng trước cổng trường vào buổi tối."
DAY = date(2026, 3, 10)
RANGE = (date(2026, 1, 1), date(2026, 12, 31))


def unit(code):
    return db.session.execute(select(Unit).where(Unit.code == code)).scalar_one()


def tip_at(target, status="new"):
    from inbox.intake import submit_tip

    tip = submit_tip(target, "security_report", NEUTRAL_TIP).tip
    tip.status = status
    db.session.commit()
    return tip


def post_at(target, title="Bài của đơn vị"):
    from content.services import new_post

    post = new_post(None, target, {"title": title, "kind": "news", "body": "Nội dung."})
    db.session.add(post)
    db.session.flush()
    return post


def count_at(target, metric="post_views", value=1):
    from metrics.events import record

    record(metric, target, value, at=datetime(DAY.year, DAY.month, DAY.day, 9, tzinfo=LOCAL_TZ))


def totals(target, metric="post_views"):
    from metrics.rollups import totals as rollup_totals

    return rollup_totals(target, *RANGE, metrics=(metric,), today=date(2027, 1, 1))[metric]


@pytest.fixture
def in_a(app_ctx, world):
    """The test body runs in tenant A's scope, as a job or CLI command would."""
    with tenant_scope(world["a"].tenant_id):
        yield world["a"]


@pytest.fixture
def other_district(in_a):
    """A district of tenant A other than the world's own."""
    district = db.session.execute(select(Unit).where(Unit.kind == "district", Unit.code != in_a.units["district"].code)
                                  .order_by(Unit.code)).scalars().first()
    return district
