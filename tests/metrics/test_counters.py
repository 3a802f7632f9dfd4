"""Counting: the local day of an event, daily and monthly counters kept together, rebuild == incremental."""
import os
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from core.extensions import db
from metrics.events import record, record_first_response, record_many
from metrics.models import DailyCounter, Event, MonthlyCounter, SubtreeMonthlyCounter
from metrics.services import rebuild_counters
from tests.metrics.conftest import counters, subtree_counters


def test_an_event_at_2330_utc_counts_on_the_next_local_day(app_ctx, tenant_a, in_tenant):
    commune = tenant_a.units["commune"].id
    with in_tenant(tenant_a):
        record("tips_received", commune, at=datetime(2025, 3, 31, 23, 30, tzinfo=UTC))
        record("tips_received", commune, at=datetime(2025, 3, 31, 16, 59, 59, tzinfo=UTC))
        record("tips_received", commune, at=datetime(2025, 3, 31, 17, 0, 0, tzinfo=UTC))
        assert counters(DailyCounter) == {(commune, date(2025, 4, 1), "tips_received"): 2,
                                          (commune, date(2025, 3, 31), "tips_received"): 1}
        # 23:30 UTC on the last day of March is April locally: the month counter follows the local day.
        assert counters(MonthlyCounter) == {(commune, date(2025, 4, 1), "tips_received"): 2,
                                            (commune, date(2025, 3, 1), "tips_received"): 1}


def test_first_response_counts_sum_count_and_one_bucket(app_ctx, tenant_a, in_tenant):
    district = tenant_a.units["district"].id
    with in_tenant(tenant_a):
        record_first_response(district, 5 * 3600, at=datetime(2025, 5, 2, 3, tzinfo=UTC))
        assert counters(DailyCounter) == {
            (district, date(2025, 5, 2), "first_response_seconds_sum"): 18000,
            (district, date(2025, 5, 2), "first_response_count"): 1,
            (district, date(2025, 5, 2), "first_response_le_24h"): 1}


def test_record_many_matches_record_one_by_one(app_ctx, tenant_a, in_tenant):
    units = tenant_a.units
    entries = [{"metric": "post_views", "unit_id": units["commune"].id, "value": 7,
                "at": datetime(2025, 1, 31, 18, tzinfo=UTC)},
               {"metric": "post_views", "unit_id": units["commune"].id, "value": 3,
                "at": datetime(2025, 2, 1, 2, tzinfo=UTC)},
               {"metric": "followers_gained", "unit_id": units["root"].id, "value": 40,
                "at": datetime(2025, 2, 3, tzinfo=UTC)}]
    with in_tenant(tenant_a):
        assert record_many(entries) == 3
        bulk = counters(DailyCounter), counters(MonthlyCounter)
        assert bulk[1] == {(units["commune"].id, date(2025, 2, 1), "post_views"): 10,
                           (units["root"].id, date(2025, 2, 1), "followers_gained"): 40}
        for entry in entries:
            record(entry["metric"], entry["unit_id"], entry["value"], entry["at"])
        doubled = counters(DailyCounter), counters(MonthlyCounter)
        assert doubled == tuple({key: 2 * value for key, value in table.items()} for table in bulk)


def test_record_rejects_an_unknown_metric(app_ctx, tenant_a, in_tenant):
    with in_tenant(tenant_a), pytest.raises(ValueError):
        record("tips_lost", tenant_a.units["commune"].id)


def test_rebuild_restores_lost_counters_and_leaves_other_tenants_alone(app_ctx, tenant_a, tenant_b, in_tenant):
    with in_tenant(tenant_b):
        record("tips_received", tenant_b.units["commune"].id, at=datetime(2025, 6, 1, tzinfo=UTC))
        theirs = counters(DailyCounter)
    with in_tenant(tenant_a):
        record("messages_in", tenant_a.units["commune"].id, 4, at=datetime(2025, 6, 1, tzinfo=UTC))
        record("messages_in", tenant_a.units["sibling"].id, at=datetime(2025, 6, 30, 20, tzinfo=UTC))
        expected = counters(DailyCounter), counters(MonthlyCounter), subtree_counters()
        db.session.execute(db.update(DailyCounter).values(value=99))
        db.session.execute(db.delete(MonthlyCounter))
        db.session.execute(db.delete(SubtreeMonthlyCounter))
        assert rebuild_counters() == (2, 2)
        assert (counters(DailyCounter), counters(MonthlyCounter), subtree_counters()) == expected
    with in_tenant(tenant_b):
        assert counters(DailyCounter) == theirs


def test_rebuild_command_names_each_tenant_and_rejects_an_unknown_one(app_ctx, tenant_a, in_tenant):
    with in_tenant(tenant_a):
        record("posts_published", tenant_a.units["root"].id)
    runner = app_ctx.test_cli_runner()
    result = runner.invoke(args=["metrics", "rebuild", "--tenant", "tra-vinh"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("tra-vinh: 1 ")
    with in_tenant(tenant_a):
        assert db.session.execute(select(Event.metric)).scalars().all() == ["posts_published"]
        assert list(counters(MonthlyCounter).values()) == [1]
    result = runner.invoke(args=["metrics", "rebuild", "--tenant", "nowhere"])
    assert result.exit_code == 1 and "nowhere" in result.output


@pytest.mark.skipif(not os.environ.get("DATABASE_URL"), reason="VACUUM is PostgreSQL's")
def test_rebuild_command_leaves_the_counter_tables_vacuumed(app_ctx, tenant_a, in_tenant):
    """A rebuild rewrites every counter row; without a VACUUM the roll-ups' index-only scans read the heap until
    autovacuum comes by, so the command vacuums the counter tables itself."""
    from metrics.cli import COUNTER_TABLES

    def vacuums():
        with db.engine.engine.connect() as connection:
            connection.exec_driver_sql("SELECT pg_stat_clear_snapshot()")
            rows = connection.exec_driver_sql(
                "SELECT relname, vacuum_count FROM pg_stat_user_tables WHERE relname = ANY(%(names)s)",
                {"names": list(COUNTER_TABLES)}).all()
        return dict(rows)

    before = vacuums()
    result = app_ctx.test_cli_runner().invoke(args=["metrics", "rebuild", "--tenant", "tra-vinh"])
    assert result.exit_code == 0, result.output
    after = vacuums()
    assert set(after) == set(COUNTER_TABLES)
    assert all(after[name] > before.get(name, 0) for name in COUNTER_TABLES)
