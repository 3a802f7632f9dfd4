"""Cross-package effects travel as signals, so no package imports another's views.

Each package declares its signals in its own `signals.py` (`hierarchy.signals`, `content.signals`,
`inbox.signals`) as `OrderedSignal`s and connects its receivers to the others' in its `receivers.py`.
Core's own:

- `demo_seed(app, tenant_id=...)`: `flask demo` asks every package to add its demo data. Receivers run in the
  order they connected, which is the app factory's FEATURES order (content before inbox before zalo before
  metrics), so a later package's demo can build on an earlier one's.
"""
from collections.abc import MutableSet

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
