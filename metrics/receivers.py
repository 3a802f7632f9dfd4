"""What metrics does when the tree is re-organised (`hierarchy.signals`)."""
from sqlalchemy import delete

from core.extensions import db
from hierarchy.signals import follow, tenant_carry_check, tenant_carrying, unit_merged, units_moved
from metrics.models import DailyCounter, Event, MonthlyCounter, SubtreeMonthlyCounter
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


COUNTER_TABLES = (DailyCounter, MonthlyCounter, SubtreeMonthlyCounter)


@tenant_carry_check.connect
def _counters_are_rebuilt(_sender, **_kwargs):
    """Counters are derived: the old tenant's are dropped and the new tenant's rebuilt from every event."""
    return {"handles": [model.__tablename__ for model in COUNTER_TABLES]}


@tenant_carrying.connect
def _drop_old_counters(_sender, old_tenant_id, **_kwargs):
    for model in COUNTER_TABLES:
        db.session.execute(delete(model).where(model.tenant_id == old_tenant_id))
