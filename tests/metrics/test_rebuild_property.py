"""Property: whatever sequence of counts happened, the incremental counters equal the ones rebuilt from events,
every monthly counter equals the sum of its daily counters, and every subtree counter the sum of the monthly
counters of the subtree's units."""
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.extensions import db
from hierarchy.models import Unit
from metrics.events import ALL_METRICS, record, record_first_response, record_many
from metrics.services import rebuild_counters

UNIT_KEYS = ("root", "department", "district", "commune", "sibling")
# Local midnight is 17:00 UTC; month ends, a leap day and a year end are where grouping mistakes show.
EDGES = [datetime(2024, 2, 28, 17, tzinfo=UTC), datetime(2024, 2, 29, 17, tzinfo=UTC),
         datetime(2025, 1, 31, 17, tzinfo=UTC), datetime(2025, 12, 31, 17, tzinfo=UTC)]

moments = st.builds(lambda edge, minutes: edge + timedelta(minutes=minutes),
                    st.sampled_from(EDGES), st.integers(min_value=-120, max_value=120))
single = st.tuples(st.just("record"), st.sampled_from(ALL_METRICS), st.sampled_from(UNIT_KEYS),
                   st.integers(min_value=1, max_value=500), moments)
response = st.tuples(st.just("first_response"), st.just(""), st.sampled_from(UNIT_KEYS),
                     st.integers(min_value=0, max_value=5 * 24 * 3600), moments)
bulk = st.tuples(st.just("bulk"), st.sampled_from(ALL_METRICS), st.sampled_from(UNIT_KEYS),
                 st.integers(min_value=1, max_value=50), moments)
operations = st.lists(st.one_of(single, response, bulk), min_size=1, max_size=25)


def _apply(operations, units):
    for kind, metric, unit_key, number, at in operations:
        unit_id = units[unit_key].id
        if kind == "record":
            record(metric, unit_id, number, at)
        elif kind == "first_response":
            record_first_response(unit_id, number, at)
        else:
            record_many([{"metric": metric, "unit_id": unit_id, "value": number, "at": at + timedelta(hours=h)}
                         for h in (0, 1, 2)])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=operations)
def test_incremental_counters_equal_rebuilt_counters(app_ctx, tenant_a, in_tenant, snapshot, operations):
    with in_tenant(tenant_a):
        savepoint = db.session.begin_nested()
        try:
            _apply(operations, tenant_a.units)
            daily, monthly, subtree = snapshot()
            by_month = defaultdict(int)
            for (unit_id, day, metric), value in daily.items():
                by_month[(unit_id, day.replace(day=1), metric)] += value
            assert monthly == dict(by_month)
            assert subtree == _subtree_sums(monthly)
            rebuild_counters()
            assert snapshot() == (daily, monthly, subtree)
        finally:
            savepoint.rollback()


def _subtree_sums(monthly):
    """The subtree counters expected from the monthly ones, walking the tree by parent ids (not by paths)."""
    units = {unit.id: unit for unit in db.session.execute(db.select(Unit)).scalars()}
    expected = defaultdict(int)
    for (unit_id, month, metric), value in monthly.items():
        unit = units[unit_id]
        while unit.parent_id is not None:
            parent = units[unit.parent_id]
            expected[(unit.path, parent.path, month, metric)] += value
            unit = parent
    return dict(expected)
