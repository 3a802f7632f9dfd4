"""The working clock: weekends, Tết, the government's make-up Saturdays and extra days off."""
from datetime import date, datetime

import pytest

from core.timeutil import LOCAL_TZ
from inbox.workclock import WorkCalendar, calendar_add


def local(*args):
    return datetime(*args, tzinfo=LOCAL_TZ)


def test_a_weekend_does_not_count():
    friday = local(2026, 12, 4, 16, 0)
    assert WorkCalendar().add(friday, 2) == local(2026, 12, 7, 8, 30)  # Monday, 1 h Friday + 1 h Monday
    assert calendar_add(friday, 2) == local(2026, 12, 4, 18, 0)


def test_the_lunch_break_and_the_evening_do_not_count():
    assert WorkCalendar().add(local(2026, 12, 7, 11, 0), 1) == local(2026, 12, 7, 13, 30)
    assert WorkCalendar().add(local(2026, 12, 7, 20, 0), 8) == local(2026, 12, 8, 17, 0)


def test_tet_is_skipped_whole():
    # Tết 2027: Thursday 4 February to Wednesday 10 February are holidays (with the weekend between).
    before_tet = local(2027, 2, 3, 16, 0)
    assert WorkCalendar().add(before_tet, 2) == local(2027, 2, 11, 8, 30)
    assert WorkCalendar().working_hours_between(before_tet, local(2027, 2, 11, 8, 30)) == pytest.approx(2)


def test_a_make_up_saturday_counts_and_an_extra_day_off_does_not():
    friday = local(2026, 8, 21, 16, 0)
    assert WorkCalendar().add(friday, 2) == local(2026, 8, 24, 8, 30)
    make_up = WorkCalendar(work_days=frozenset({date(2026, 8, 22)}))
    assert make_up.add(friday, 2) == local(2026, 8, 22, 8, 30)
    # 2026-08-31 is already a day off in the package (moved from the 22nd); an extra one the tenant adds:
    day_off = WorkCalendar(days_off=frozenset({date(2026, 8, 24)}))
    assert day_off.add(friday, 2) == local(2026, 8, 25, 8, 30)


def test_hung_kings_day_is_a_holiday():
    # Thursday 15 April 2027 16:00 + 2 working hours: Friday the 16th is the Hùng Kings' day.
    assert WorkCalendar().add(local(2027, 4, 15, 16, 0), 2) == local(2027, 4, 19, 8, 30)


def test_a_calendar_without_hours_is_refused():
    with pytest.raises(ValueError):
        WorkCalendar(periods=()).add(local(2026, 12, 7, 8, 0), 1)
