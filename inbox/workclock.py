"""Working time: the clock that deadlines the law counts in working days run on.

A working day is a weekday that is not one of Vietnam's public holidays (the lunar ones included: Tết, the Hùng
Kings' day; from the maintained `holidays` package), unless the government announced it as an extra day off; a
weekend day announced as a make-up working day ("ngày làm bù") is a working day. Within a working day only the
office hours count (Asia/Ho_Chi_Minh). The make-up days and extra days off are announced year by year, so a
tenant keeps its own list per year; the hours are per tenant too.

Not wired into the SLA yet: this is the calculator the SLA rows' "working" clock will use.
"""
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

import holidays

from core.timeutil import LOCAL_TZ, as_utc

# Office hours by default: 7:30–11:30 and 13:00–17:00, eight hours a day (editable per tenant once wired).
OFFICE_HOURS = ((time(7, 30), time(11, 30)), (time(13, 0), time(17, 0)))
WEEKEND = (5, 6)  # Saturday, Sunday
MAX_DAYS = 3660  # a deadline further than ten years away is a configuration error, not a date


@lru_cache(maxsize=32)
def public_holidays(year):
    """Vietnam's public holidays of `year` as the `holidays` package knows them (observed days included)."""
    return frozenset(holidays.country_holidays("VN", years=year))


@dataclass(frozen=True)
class WorkCalendar:
    periods: tuple = OFFICE_HOURS
    weekend: tuple = WEEKEND
    work_days: frozenset = field(default_factory=frozenset)  # announced make-up working days
    days_off: frozenset = field(default_factory=frozenset)  # announced extra days off

    def is_working_day(self, day: date):
        if day in self.days_off:
            return False
        if day in self.work_days:
            return True
        return day.weekday() not in self.weekend and day not in public_holidays(day.year)

    def add(self, start, hours):
        """The UTC instant `hours` working hours after `start`."""
        if not self.periods:
            raise ValueError("a working calendar needs office hours")
        remaining = timedelta(hours=hours)
        moment = as_utc(start).astimezone(LOCAL_TZ)
        day = moment.date()
        for _ in range(MAX_DAYS):
            if self.is_working_day(day):
                for opens, closes in self.periods:
                    begin = max(moment, datetime.combine(day, opens, tzinfo=LOCAL_TZ))
                    end = datetime.combine(day, closes, tzinfo=LOCAL_TZ)
                    if end <= begin:
                        continue
                    if end - begin >= remaining:
                        return (begin + remaining).astimezone(UTC)
                    remaining -= end - begin
            day += timedelta(days=1)
            moment = datetime.combine(day, time.min, tzinfo=LOCAL_TZ)
        raise ValueError("no working time within ten years")

    def working_hours_between(self, start, end):
        """Working hours from `start` to `end` (0 when `end` is not after `start`): how late a tip was."""
        start, end = as_utc(start).astimezone(LOCAL_TZ), as_utc(end).astimezone(LOCAL_TZ)
        total, day = timedelta(), start.date()
        while day <= end.date():
            if self.is_working_day(day):
                for opens, closes in self.periods:
                    begin = max(start, datetime.combine(day, opens, tzinfo=LOCAL_TZ))
                    finish = min(end, datetime.combine(day, closes, tzinfo=LOCAL_TZ))
                    if finish > begin:
                        total += finish - begin
            day += timedelta(days=1)
        return total.total_seconds() / 3600


def calendar_add(start, hours):
    """The calendar clock: every hour counts (an urgent crime report)."""
    return as_utc(start) + timedelta(hours=hours)
