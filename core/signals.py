"""Cross-package effects travel as signals, so no package imports another's views.

Each package declares its signals in its own `signals.py` (`hierarchy.signals`, `content.signals`,
`inbox.signals`) as `OrderedSignal`s and connects its receivers to the others' in its `receivers.py`.
Core's own:

- `demo_seed(app, tenant_id=..., start=None, end=None, share=1.0)`: `flask demo` asks every package to add its
  demo data, dated in [start, end) (aware datetimes; by default the last 30 days, see `demo_window`); `share`
  scales the costly parts (the tips, each lived through the services) so the demo stays quick. Each receiver is
  idempotent per window: a window that already holds its data is left alone. Receivers run in the order they
  connected, which is the app factory's FEATURES order (content before inbox before zalo before metrics), so a
  later package's demo can build on an earlier one's.
"""
from collections.abc import MutableSet
from datetime import UTC, datetime, timedelta

from blinker import Signal


class OrderedSet(MutableSet):
    """A set that iterates in insertion order (blinker's receivers are a plain, unordered set by default)."""

    def __init__(self, items=()):
        self._items = dict.fromkeys(items)

    def __contains__(self, item):
        return item in self._items

    def __iter__(self):
        return iter(list(self._items))

    def __len__(self):
        return len(self._items)

    def add(self, item):
        self._items[item] = None

    def discard(self, item):
        self._items.pop(item, None)

    def copy(self):
        return OrderedSet(self._items)


class OrderedSignal(Signal):
    set_class = OrderedSet


demo_seed = OrderedSignal("demo-seed")


DEMO_DAYS = 30


def demo_window(start=None, end=None):
    """(start, end) of a `demo_seed` call as aware UTC datetimes: the last DEMO_DAYS days unless given. `end`
    never lies in the future (a demo does not invent what has not happened yet)."""
    now = datetime.now(UTC)
    end = min(_aware(end) or now, now)
    start = _aware(start) or end - timedelta(days=DEMO_DAYS)
    return start, end


def _aware(value):
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)
