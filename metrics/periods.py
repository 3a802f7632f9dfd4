"""Local-date arithmetic for roll-ups: months, presets, the previous period, and the read plan that splits a
date range into whole months (read from monthly counters) and edge days (read from daily counters)."""
from dataclasses import dataclass, field
from datetime import date, timedelta

MAX_RANGE_DAYS = 3 * 365 + 1  # "at most three years", a leap day included
DAILY_SERIES_MAX_DAYS = 92  # longer series are drawn per month
PRESETS = ("7d", "30d", "90d", "month", "quarter", "year")


def month_start(day):
    return day.replace(day=1)


def next_month(day):
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def month_end(day):
    return next_month(day) - timedelta(days=1)


def days_between(day_from, day_to):
    """Number of days in [day_from, day_to], both included."""
    return (day_to - day_from).days + 1


def previous_period(day_from, day_to):
    """The period of equal length that ends the day before `day_from`."""
    length = days_between(day_from, day_to)
    return day_from - timedelta(days=length), day_from - timedelta(days=1)


def preset_range(preset, today):
    """(from, to) of a named preset ending today: last 7/30/90 days, this month, quarter or year."""
    if preset.endswith("d") and preset[:-1].isdigit():
        return today - timedelta(days=int(preset[:-1]) - 1), today
    if preset == "month":
        return today.replace(day=1), today
    if preset == "quarter":
        return date(today.year, 3 * ((today.month - 1) // 3) + 1, 1), today
    if preset == "year":
        return date(today.year, 1, 1), today
    raise ValueError(f"unknown preset {preset!r}")


def granularity_for(day_from, day_to):
    return "day" if days_between(day_from, day_to) <= DAILY_SERIES_MAX_DAYS else "month"


@dataclass
class ReadPlan:
    """What to read for an exact sum over [from, to]: whole months, plus edge days, minus days outside."""

    months: list = field(default_factory=list)  # [(first month, last month)], both first days of months
    plus_days: list = field(default_factory=list)  # [(first day, last day)]
    minus_days: list = field(default_factory=list)


def read_plan(day_from, day_to, today, use_months=True):
    """Split [from, to] so a long range reads about one row per unit × metric × month.

    A partial month at an edge is read either as its covered days, or as the whole month minus the days
    outside the range, whichever touches fewer days (days after `today` hold nothing yet, so they cost
    nothing; they are still subtracted, which keeps the sum exact whatever was counted).
    """
    plan = ReadPlan()
    if not use_months:
        plan.plus_days.append((day_from, day_to))
        return plan
    month = month_start(day_from)
    while month <= day_to:
        last = month_end(month)
        low, high = max(month, day_from), min(last, day_to)
        outside = [(start, end) for start, end in ((month, low - timedelta(days=1)), (high + timedelta(days=1), last))
                   if start <= end]
        if not outside:
            _append_month(plan.months, month)
        elif 1 + sum(days_between(start, min(end, today)) for start, end in outside if start <= today) \
                < days_between(low, high):
            _append_month(plan.months, month)
            plan.minus_days.extend(outside)
        else:
            _append_days(plan.plus_days, low, high)
        month = next_month(month)
    return plan


def _append_month(ranges, month):
    if ranges and next_month(ranges[-1][1]) == month:
        ranges[-1] = (ranges[-1][0], month)
    else:
        ranges.append((month, month))


def _append_days(ranges, low, high):
    if ranges and ranges[-1][1] + timedelta(days=1) == low:
        ranges[-1] = (ranges[-1][0], high)
    else:
        ranges.append((low, high))
