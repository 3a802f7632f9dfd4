"""What metrics does when the tree is re-organised (`hierarchy.signals`)."""
from hierarchy.signals import follow, unit_merged, units_moved
from metrics.models import Event
from metrics.services import rebuild_counters


@unit_merged.connect
def _follow_merged_units(_sender, pairs, **_kwargs):
    """A merged unit's events count at the target from now on, for every period (the counters follow on
    `units_moved`)."""
    follow(Event, pairs)


@units_moved.connect
def _rebuild(_sender, **_kwargs):
    """Counters carry unit paths: recomputed from the events over the tree as it now is, once per operation."""
    rebuild_counters()
