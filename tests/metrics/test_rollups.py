"""Roll-ups: sums up the tree without double counting, month aggregates equal day sums, cost independent of
the number of events."""
import random
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from core.extensions import db
from core.tenancy import load
from hierarchy.models import Unit
from metrics.events import record, record_first_response, record_many
from metrics.kpis import derive, median_from_buckets
from metrics.models import DailyCounter
from metrics.periods import read_plan
from metrics.rollups import child_series, ranking, rollup, series, subtree_table
from tests.metrics.conftest import local

TODAY = date(2025, 6, 20)


def _unit(tenant, key):
    return load(Unit, tenant.units[key].id)


def _naive_sum(unit, day_from, day_to):
    """The hand-written baseline: daily counters of the subtree summed over the range."""
    rows = db.session.execute(
        select(DailyCounter.metric, func.sum(DailyCounter.value))
        .where(DailyCounter.unit_path.like(unit.path + "%"), DailyCounter.day.between(day_from, day_to))
        .group_by(DailyCounter.metric)).all()
    return {metric: int(value) for metric, value in rows}


def _nonzero(totals):
    return {metric: value for metric, value in totals.items() if value}


def test_parent_totals_are_own_plus_children_and_nothing_counts_twice(app_ctx, tenant_a, in_tenant):
    units = tenant_a.units
    with in_tenant(tenant_a):
        at = local(2025, 6, 10, 9)
        record("tips_received", units["commune"].id, 3, at)
        record("tips_received", units["sibling"].id, 2, at)
        record("tips_received", units["district"].id, 1, at)
        record("tips_received", units["root"].id, 10, at)
        record("posts_published", units["department"].id, 4, at)
        province = rollup(_unit(tenant_a, "root"), date(2025, 6, 1), TODAY, today=TODAY)
        district = rollup(_unit(tenant_a, "district"), date(2025, 6, 1), TODAY, today=TODAY)
        district_children = db.session.execute(
            select(func.count()).select_from(Unit).where(Unit.parent_id == units["district"].id)).scalar_one()

    assert province.totals["tips_received"] == 16 and province.own["tips_received"] == 10
    children = {child.unit.id: child.totals for child in province.children}
    assert children[units["district"].id]["tips_received"] == 6
    assert children[units["department"].id]["posts_published"] == 4
    for metric, total in province.totals.items():
        assert total == province.own[metric] + sum(child[metric] for child in children.values())
    assert district.own["tips_received"] == 1
    assert {child.unit.id: child.totals["tips_received"] for child in district.children
            if child.totals["tips_received"]} == {units["commune"].id: 3, units["sibling"].id: 2}
    # Every child of the unit is listed, with zeros, in the tree's order.
    assert len(district.children) == district_children
    assert set(province.totals) >= {"posts_published", "sla_met", "first_response_count"}


def test_month_aggregates_give_the_same_totals_as_days_across_month_edges(app_ctx, tenant_a, in_tenant):
    generator = random.Random(7)
    keys = ("root", "department", "district", "commune", "sibling")
    start = datetime(2024, 11, 1, tzinfo=UTC)
    entries = [{"metric": generator.choice(("tips_received", "post_views", "followers_lost")),
                "unit_id": tenant_a.units[generator.choice(keys)].id, "value": generator.randint(1, 9),
                "at": start + timedelta(minutes=generator.randint(0, 240 * 24 * 60))} for _ in range(600)]
    ranges = [(date(2024, 11, 15), date(2025, 2, 14)), (date(2024, 12, 1), date(2025, 2, 28)),
              (date(2024, 12, 31), date(2025, 1, 1)), (date(2025, 1, 2), date(2025, 6, 19)),
              (date(2024, 11, 1), TODAY), (date(2025, 3, 5), date(2025, 3, 9))]
    with in_tenant(tenant_a):
        record_many(entries)
        for key in ("root", "district", "commune"):
            unit = _unit(tenant_a, key)
            for day_from, day_to in ranges:
                assert _nonzero(rollup(unit, day_from, day_to, today=TODAY).totals) == \
                    _naive_sum(unit, day_from, day_to), (key, day_from, day_to)
                by_month = series(unit, day_from, day_to, ("tips_received",), "month", today=TODAY)
                assert sum(values["tips_received"] for _month, values in by_month) == \
                    _naive_sum(unit, day_from, day_to).get("tips_received", 0)


def test_a_long_range_reads_whole_months_and_only_edge_days():
    plan = read_plan(date(2024, 6, 21), TODAY, TODAY)
    assert plan.months == [(date(2024, 7, 1), date(2025, 6, 1))]
    assert plan.plus_days == [(date(2024, 6, 21), date(2024, 6, 30))]
    # The current month is read whole, minus the days after the range (which hold nothing yet).
    assert plan.minus_days == [(date(2025, 6, 21), date(2025, 6, 30))]
    assert read_plan(date(2025, 1, 1), date(2025, 3, 31), TODAY).months == [(date(2025, 1, 1), date(2025, 3, 1))]
    assert read_plan(date(2025, 6, 3), date(2025, 6, 9), TODAY).plus_days == [(date(2025, 6, 3), date(2025, 6, 9))]


def test_series_fill_every_day_and_children_series_split_by_child(app_ctx, tenant_a, in_tenant):
    units = tenant_a.units
    with in_tenant(tenant_a):
        record("messages_in", units["commune"].id, 2, local(2025, 6, 18, 23, 59))
        record("messages_in", units["sibling"].id, 5, local(2025, 6, 19, 0, 1))
        district = _unit(tenant_a, "district")
        points = series(district, date(2025, 6, 17), date(2025, 6, 20), ("messages_in",), today=TODAY)
        by_child = child_series(district, date(2025, 6, 17), date(2025, 6, 20), ("messages_in",), today=TODAY)
    assert [(day.day, values["messages_in"]) for day, values in points] == [(17, 0), (18, 2), (19, 5), (20, 0)]
    assert [values["messages_in"] for _day, values in by_child[units["commune"].id]] == [0, 2, 0, 0]
    assert [values["messages_in"] for _day, values in by_child[units["sibling"].id]] == [0, 0, 5, 0]


def test_ranking_of_children_and_of_descendants_of_a_kind(app_ctx, tenant_a, in_tenant):
    units = tenant_a.units
    with in_tenant(tenant_a):
        at = local(2025, 6, 12, 10)
        record("sla_met", units["commune"].id, 1, at)
        record("sla_missed", units["commune"].id, 3, at)
        record("sla_met", units["sibling"].id, 4, at)
        record("tips_received", units["sibling"].id, 9, at)
        record("tips_received", units["commune"].id, 2, at)
        district = _unit(tenant_a, "district")
        by_sla = ranking(district, date(2025, 6, 1), TODAY, "sla_compliance", today=TODAY)
        communes = ranking(_unit(tenant_a, "root"), date(2025, 6, 1), TODAY, "tips_received", kind="commune",
                           today=TODAY)
        districts = ranking(_unit(tenant_a, "root"), date(2025, 6, 1), TODAY, "tips_received", kind="district",
                            today=TODAY)
    assert [(item.unit.id, item.value) for item in by_sla[:2]] == [(units["sibling"].id, 1.0),
                                                                 (units["commune"].id, 0.25)]
    assert all(item.value is None for item in by_sla[2:])
    assert [(item.rank, item.unit.id, item.value) for item in communes[:2]] == [
        (1, units["sibling"].id, 9), (2, units["commune"].id, 2)]
    assert {item.unit.kind for item in communes} == {"commune"}
    assert districts[0].unit.id == units["district"].id and districts[0].value == 11


def test_subtree_table_gives_each_unit_its_own_and_subtree_figures(app_ctx, tenant_a, in_tenant):
    units = tenant_a.units
    with in_tenant(tenant_a):
        record("posts_published", units["commune"].id, 1, local(2025, 6, 2, 8))
        record("posts_published", units["district"].id, 2, local(2025, 6, 2, 8))
        rows = {unit.id: (own, totals) for unit, own, totals in
                subtree_table(_unit(tenant_a, "district"), date(2025, 6, 1), TODAY, ("posts_published",),
                              today=TODAY)}
    assert rows[units["district"].id] == ({"posts_published": 2}, {"posts_published": 3})
    assert rows[units["commune"].id] == ({"posts_published": 1}, {"posts_published": 1})
    assert rows[units["sibling"].id] == ({"posts_published": 0}, {"posts_published": 0})


def test_derived_figures_and_the_bucket_median(app_ctx, tenant_a, in_tenant):
    with in_tenant(tenant_a):
        for seconds in (600, 1800, 7200, 10_000, 90_000):
            record_first_response(tenant_a.units["commune"].id, seconds, local(2025, 6, 5, 9))
        totals = rollup(_unit(tenant_a, "root"), date(2025, 6, 1), TODAY, today=TODAY).totals
    figures = derive(totals)
    assert figures["first_response_avg"] == (600 + 1800 + 7200 + 10_000 + 90_000) / 5
    # The middle (3rd of 5) response lies in the 1–4 h bucket, holding 2: half-way through it.
    assert 3600 < figures["first_response_median"] < 4 * 3600
    assert figures["sla_compliance"] is None
    assert median_from_buckets({"first_response_gt_72h": 3}) == 72 * 3600


def test_the_roll_up_runs_the_same_queries_however_many_events(app_ctx, tenant_a, in_tenant, query_counter):
    units = tenant_a.units
    province_id = units["root"].id

    def measure():
        with query_counter() as count:
            province = load(Unit, province_id)
            result = rollup(province, date(2024, 7, 1), TODAY, today=TODAY)
            series(province, date(2025, 5, 1), TODAY, today=TODAY)
        return count.n, result.totals["post_views"]

    with in_tenant(tenant_a):
        record_many({"metric": "post_views", "unit_id": units["commune"].id, "at": local(2025, 6, 1, 8)}
                    for _ in range(10))
        few = measure()
        record_many({"metric": "post_views", "unit_id": units[key].id, "at": local(2025, 1 + n % 6, 1 + n % 19, 8)}
                    for n in range(2000) for key in ("commune", "sibling"))
        many = measure()
    assert few[1] == 10 and many[1] == 4010
    assert few[0] == many[0] <= 4
