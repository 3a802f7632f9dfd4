"""Times are stored in UTC and shown in Asia/Ho_Chi_Minh; a "day" is a local day."""
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def utcnow():
    return datetime.now(UTC)


def as_utc(value):
    """Naive datetimes read back from SQLite are UTC; make them aware."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def to_local(value):
    return as_utc(value).astimezone(LOCAL_TZ) if value is not None else None


def local_day(value):
    """The local calendar day a UTC instant falls on (a tip at 23:30 UTC counts on the next day)."""
    return to_local(value).date()


def local_today():
    return local_day(utcnow())


def local_day_bounds(day: date):
    """UTC instants [start, end) of one local day."""
    start = datetime.combine(day, time.min, tzinfo=LOCAL_TZ).astimezone(UTC)
    return start, start + timedelta(days=1)


def isoformat(value):
    return to_local(value).isoformat() if value is not None else None
