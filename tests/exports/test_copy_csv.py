"""On PostgreSQL the tips register's CSV comes from COPY: the same bytes as the Python writer, row for row."""
import io
from datetime import UTC, datetime, time, timedelta

import pytest
from flask_babel import force_locale

from core.extensions import db
from core.reports import Params
from core.tenancy import load
from core.timeutil import local_day_bounds, local_today, utcnow
from hierarchy.models import Unit
from inbox.constants import CATEGORIES, CHANNELS, RESOLUTIONS, SEVERITIES, STATUSES
from inbox.models import Escalation
from inbox.reports import tips_report
from metrics.exports.copy_csv import uses_copy, write_report_csv
from metrics.exports.writers import LOCAL_TZ, write_csv

# Cells a spreadsheet would run as formulas, cells the csv module quotes, cells it does not.
AWKWARD_CODES = ["=1+2", "+84", "-x", "@SUM", "\tx", "\rx", "a,b", 'q"q', '"', "x\ny", "a\r\nb", " lead",
                 "trail ", "\\.", "'x", "a;b", "Đ ư"]
UNIT_NAMES = {"commune": '=HYPERLINK("http://x","y")', "sibling": 'Xã "An", Bình', "district": "-Huyện\nĐêm",
              "department": "@Phòng, \"PC04\""}


@pytest.fixture
def postgresql_only(app_ctx):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("COPY is PostgreSQL's")


def _local_midnight(days_ago):
    """The UTC instant of a local midnight `days_ago` days back."""
    day = local_today() - timedelta(days=days_ago)
    return datetime.combine(day, time(), LOCAL_TZ).astimezone(UTC)


def _rename_units(world):
    units = world["a"].units
    for key, name in UNIT_NAMES.items():
        load(Unit, units[key].id).name = name
    load(Unit, units["department"].id).code = "+PC,04"
    db.session.commit()


def _awkward_tips(world, make_tip):
    """Tips covering every label, unknown keys, NULLs, each SLA state, and times either side of local midnight."""
    units = world["a"].units
    now = utcnow()
    keys = [list(labels) for labels in (CHANNELS, CATEGORIES, SEVERITIES, STATUSES)]
    resolutions = [*RESOLUTIONS, None]
    moments = [_local_midnight(3) - timedelta(microseconds=1), _local_midnight(3),
               _local_midnight(2) + timedelta(microseconds=999_999), now - timedelta(hours=2)]
    sla_cases = [  # (resolved_at, closed_at, resolve_due_at)
        (now - timedelta(hours=1), None, now), (now - timedelta(hours=1), None, now - timedelta(days=1)),
        (None, now - timedelta(hours=1), None), (None, None, now - timedelta(days=1)),
        (None, None, now + timedelta(days=1)), (None, None, None)]
    unit_keys = ["commune", "sibling", "district"]
    tips = []
    for n in range(max(len(AWKWARD_CODES), *(len(k) for k in keys), len(resolutions), len(sla_cases) * 2)):
        channel, category, severity, status = (values[n % len(values)] for values in keys)
        resolved_at, closed_at, due = sla_cases[n % len(sla_cases)]
        created_at = moments[n % len(moments)]
        tips.append(make_tip(units[unit_keys[n % 3]].id, category=category, status=status, created_at=created_at,
                 channel=channel, severity=severity, resolution=resolutions[n % len(resolutions)],
                 tracking_code=AWKWARD_CODES[n] if n < len(AWKWARD_CODES) else f"TV-COPY-{n}",
                 first_unit_id=units["department" if n % 4 == 0 else unit_keys[n % 3]].id,
                 acknowledged_at=created_at + timedelta(minutes=5) if n % 2 else None, resolved_at=resolved_at,
                 closed_at=closed_at, resolve_due_at=due, overdue=bool(n % 3 == 1)))
    for tip in (tips[0], tips[1], tips[1]):
        db.session.add(Escalation(tip_id=tip.id, from_unit_id=units["commune"].id, to_unit_id=units["district"].id,
                                  at=now, reason="lý do", automatic=False))
    make_tip(units["commune"].id, channel="=raw", category="", severity="-x", status="@odd",
             tracking_code="TV-COPY-UNKNOWN")


def _register(world):
    day_from, day_to = local_today() - timedelta(days=6), local_today()
    unit = load(Unit, world["a"].units["district"].id)
    return tips_report(Params(unit, day_from, day_to, local_day_bounds(day_from)[0], local_day_bounds(day_to)[1],
                              {}, None))


def test_copy_writes_the_bytes_the_python_writer_writes(postgresql_only, world, make_tip, in_tenant, tenant_a):
    with in_tenant(tenant_a), force_locale("vi"):
        _rename_units(world)
        _awkward_tips(world, make_tip)
        expected, copied = io.BytesIO(), io.BytesIO()
        python_rows = write_csv(_register(world).columns, _register(world).rows, expected)
        report = _register(world)
        assert uses_copy(report)
        copied_rows = write_report_csv(report, copied, progress_every=500)
    assert copied_rows == python_rows == report.total > len(AWKWARD_CODES)
    assert copied.getvalue() == expected.getvalue()
    text = expected.getvalue().decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "'@SUM" in text and ",2\r\n" in text  # the test does cover what it says


def test_copy_reports_progress_as_rows_arrive(postgresql_only, world, make_tip, in_tenant, tenant_a):
    with in_tenant(tenant_a), force_locale("vi"):
        _awkward_tips(world, make_tip)
        report = _register(world)
        calls = []
        rows = write_report_csv(report, io.BytesIO(), progress=calls.append, progress_every=4)
    assert rows == report.total
    assert calls == [*range(4, rows + 1, 4), *([rows] if rows % 4 else [])]
