"""Dashboard: a province roll-up (Kiên Giang, 169 units) for 30 and 365 days through `metrics.rollups.rollup`,
against a hand-written SQL sum over per-unit daily counters by path prefix; then the province's events are
grown 10× (units and days fixed, counters rebuilt by `flask metrics rebuild --tenant`) and both are measured
again. A recount of raw events is measured too, to show what the counters spare the dashboard.
"""
import time
from datetime import timedelta

from bench.common import bench_app, connect, log, percentile, ratio
from bench.dataset import grow_events

TENANT = "kien-giang"
TARGET_30_RATIO = 1.5  # 30 days: ≤ 1.5 × the naive daily sum
TARGET_365_MS = 40.0
TARGET_GROWTH = 1.25  # the roll-up after 10× events: ≤ 1.25 × before (timing noise allowed, no growth)
GROWTH_FACTOR = 10
NAIVE_SQL = ("SELECT metric, sum(value) FROM metric_daily WHERE tenant_id = %s AND unit_path LIKE %s "
             "AND day BETWEEN %s AND %s GROUP BY metric")
EVENTS_SQL = ("SELECT e.metric, sum(e.value) FROM metric_events e JOIN units u ON u.id = e.unit_id "
              "WHERE e.tenant_id = %s AND u.path LIKE %s AND e.day BETWEEN %s AND %s GROUP BY e.metric")


def timings(fn, repeat):
    fn()  # warm caches and plans
    values = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        values.append((time.perf_counter() - started) * 1000)
    return {"p50_ms": round(percentile(values, 0.5), 2), "p95_ms": round(percentile(values, 0.95), 2),
            "runs": repeat}


def measure_all(ctx, repeat, with_events=True):
    """{days: {"rollup": …, "naive_sum": …, "events_recount": …}} and whether roll-up == naive sum."""
    app = bench_app(ctx.database)
    out, agree = {}, True
    with app.app_context(), connect(ctx.database) as connection:
        from core.extensions import db
        from core.tenancy import platform_scope, tenant_scope
        from core.timeutil import local_today
        from hierarchy.services import root_unit
        from metrics.rollups import rollup
        from tenants.models import tenant_by_slug

        with platform_scope():
            tenant_id = tenant_by_slug(TENANT).id
        today = local_today()
        with tenant_scope(tenant_id):
            unit = root_unit()
            path = unit.path
            for days in (30, 365):
                day_from = today - timedelta(days=days - 1)
                args = (tenant_id, path + "%", day_from, today)
                figures = {
                    "rollup": timings(lambda day_from=day_from: rollup(unit, day_from, today), repeat),
                    "naive_sum": timings(lambda args=args: connection.execute(NAIVE_SQL, args).fetchall(), repeat),
                }
                if with_events:
                    recount = lambda args=args: connection.execute(EVENTS_SQL, args).fetchall()  # noqa: E731
                    figures["events_recount"] = timings(recount, max(3, repeat // 20))
                totals = rollup(unit, day_from, today).totals
                naive = {metric: int(value) for metric, value in connection.execute(NAIVE_SQL, args).fetchall()}
                agree = agree and all(totals.get(metric, 0) == value for metric, value in naive.items())
                out[days] = figures
            out["units"] = len(db.session.execute(unit.subtree_of(unit)).scalars().all())
        db.engine.dispose()
    return out, agree


def profile_rollup(ctx, repeat):
    from bench.profiling import library_split, profile

    app = bench_app(ctx.database)
    with app.app_context():
        from core.tenancy import platform_scope, tenant_scope
        from core.timeutil import local_today
        from hierarchy.services import root_unit
        from metrics.rollups import rollup
        from tenants.models import tenant_by_slug

        with platform_scope():
            tenant_id = tenant_by_slug(TENANT).id
        today = local_today()
        with tenant_scope(tenant_id):
            unit = root_unit()

            def one():
                rollup(unit, today - timedelta(days=364), today)

            result = profile(one, repeat, label="rollup(province, 365 days)")
            result["layers"] = library_split(one, repeat)
    return result


def run(ctx):
    repeat = 20 if ctx.quick else 200
    before, agree = measure_all(ctx, repeat)
    with connect(ctx.database) as connection:
        counters = connection.execute(
            "SELECT count(*) FROM metric_daily d JOIN tenants t ON t.id = d.tenant_id WHERE t.slug = %s",
            (TENANT,)).fetchone()[0]
    events_before, events_after, rebuild_seconds = grow_events(ctx.database, TENANT, GROWTH_FACTOR)
    after, agree_after = measure_all(ctx, repeat)
    log(f"dashboard: 30 d roll-up p95 {before[30]['rollup']['p95_ms']} ms (naive {before[30]['naive_sum']['p95_ms']}),"
        f" 365 d {before[365]['rollup']['p95_ms']} ms (naive {before[365]['naive_sum']['p95_ms']}); after 10x events "
        f"365 d {after[365]['rollup']['p95_ms']} ms")
    results = {"tenant": TENANT, "units": before["units"], "daily_counter_rows": counters, "runs": repeat,
               "before": {str(days): before[days] for days in (30, 365)},
               "after_growth": {str(days): after[days] for days in (30, 365)},
               "events_before": events_before, "events_after": events_after,
               "rebuild_after_growth_s": round(rebuild_seconds, 1),
               "rollup_equals_naive_sum": agree and agree_after}
    r30 = ratio(before[30]["rollup"]["p95_ms"], before[30]["naive_sum"]["p95_ms"])
    r365 = ratio(before[365]["rollup"]["p95_ms"], before[365]["naive_sum"]["p95_ms"])
    growth = max(ratio(after[days]["rollup"]["p95_ms"], before[days]["rollup"]["p95_ms"]) for days in (30, 365))
    recount_growth = ratio(after[365]["events_recount"]["p50_ms"], before[365]["events_recount"]["p50_ms"])
    results.update(ratio_30=_round(r30), ratio_365=_round(r365), rollup_growth=_round(growth),
                   events_recount_growth=_round(recount_growth))
    results["targets"] = {
        "30 d <= 1.5 x naive daily sum": (r30 or 99) <= TARGET_30_RATIO,
        "365 d p95 < 40 ms": before[365]["rollup"]["p95_ms"] < TARGET_365_MS,
        "no growth with 10x events (<= 1.25x)": (growth or 99) <= TARGET_GROWTH,
        "roll-up totals == naive sum": results["rollup_equals_naive_sum"],
    }
    if ctx.profile:
        results["profile"] = profile_rollup(ctx, 20 if ctx.quick else 50)
    return results


def _round(value):
    return None if value is None else round(value, 3)
