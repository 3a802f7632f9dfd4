"""`python -m bench.reform [--scale S] [--days N] [--database NAME] [--keep-db]`: the 2025 reform at national scale.

1. The national dataset (`bench.dataset.build`): the 63 pre-reform provinces with staff and a year of activity.
2. Today's 34 provinces imported as new tenants through the product's onboarding path, in one transaction:
   timed (target: under 5 s).
3. Every figure before: per old tenant × metric × month from the monthly counters, summed into its new province.
4. The reform of all 63, one `tenants.reform.apply_reform` (one transaction) per old tenant, as an operator would
   run `flask reform apply`: wall time of each and of all, and the process's peak resident memory over them.
   What the official data cannot place (a few dozen communes nationally) is settled the way an operator would
   on the reform page: the data's hint, else the commune keeps its code, else where a sibling commune of the
   same old district went; the choices are counted in the results.
5. Every figure after, per new tenant × metric × month, must equal the figures before: any difference is listed.
Results go to bench/results/reform/summary.json, shown in docs/benchmarks.md
(`python -m bench.report`). Uses PostgreSQL (DATABASE_URL's server), like `python -m bench`.
"""
import argparse
import contextlib
import json
import re
import time
from collections import defaultdict
from pathlib import Path

from bench.common import BENCH_DATABASE, RESULTS_DIR, bench_app, drop_database, log

IMPORT_TARGET_SECONDS = 5.0
# Beside the scenarios' results, not among them (`bench.report` reads this one for its own section).
REFORM_RESULTS = RESULTS_DIR / "reform" / "summary.json"


def new_slug(code):
    """Today's tenants beside the 63 old ones: the new province's name with -2025 (the old slugs are taken)."""
    from core.markdown import fold
    from hierarchy.importer import province_name

    return re.sub(r"[^a-z0-9]+", "-", fold(province_name(code))).strip("-") + "-2025"


def monthly_totals(db, column_of_tenant):
    """{(new province code, metric, month): value} from the monthly counters of every tenant."""
    from sqlalchemy import text

    rows = db.session.execute(text(
        "SELECT t.province_code, t.admin_map, m.metric, m.month, SUM(m.value) FROM metric_monthly m "
        "JOIN tenants t ON t.id = m.tenant_id GROUP BY t.province_code, t.admin_map, m.metric, m.month")).all()
    totals = defaultdict(int)
    for province, admin_map, metric, month, value in rows:
        totals[(column_of_tenant(province, admin_map), metric, str(month))] += int(value)
    return dict(totals)


def import_today(db):
    from core.tenancy import platform_scope
    from hierarchy.importer import province_codes
    from tenants.services import create_tenant

    codes = province_codes()
    started = time.perf_counter()
    with platform_scope():
        for code in codes:
            create_tenant(new_slug(code), None, code)
        db.session.commit()
    seconds = time.perf_counter() - started
    log(f"reform: today's {len(codes)} provinces imported in {seconds:.2f} s")
    return {"provinces": len(codes), "import_seconds": round(seconds, 2),
            "import_target_met": seconds < IMPORT_TARGET_SECONDS}


def settle(plan):
    """The bench's stand-in for the operator: {old code: new code} for every unsettled commune of a plan."""
    from hierarchy.correspondence import correspondence

    data, choices, kinds = correspondence(), {}, defaultdict(int)
    communes = {ward.code for ward in plan.new_province.children}
    district_of = {ward.code: district for district in plan.old_province.children for ward in district.children}
    for item in plan.units.unsettled:
        if item.hints:
            choices[item.code], kind = item.hints[0], "hint"
        elif item.code in communes:
            choices[item.code], kind = item.code, "keeps its code"
        else:
            siblings = [w.code for w in district_of[item.code].children]
            going = [data.successor[c].code for c in siblings if c in data.successor
                     and data.successor[c].code in communes]
            if not going:
                raise RuntimeError(f"{item.code}: nothing to settle it with")
            choices[item.code], kind = going[0], "sibling"
        kinds[kind] += 1
    return choices, kinds


def reform_all(db):
    from bench.dataset import slug_for
    from hierarchy.correspondence import correspondence
    from hierarchy.maps import pre_reform_map
    from tenants.models import tenant_by_slug
    from tenants.reform import apply_reform, plan_reform

    into = correspondence().province_into
    per_tenant, settled = [], defaultdict(int)
    _reset_peak_memory()
    started = time.perf_counter()
    for code in pre_reform_map().codes():
        old_slug, target = slug_for(code), new_slug(into[code])
        tick = time.perf_counter()
        plan = plan_reform(old_slug, target)
        overrides, kinds = settle(plan)
        for kind, count in kinds.items():
            settled[kind] += count
        apply_reform(old_slug, target, overrides)
        db.session.commit()
        per_tenant.append({"old": old_slug, "into": target, "seconds": round(time.perf_counter() - tick, 2),
                           "overrides": len(overrides)})
        assert tenant_by_slug(old_slug).carried_into_id is not None
    seconds = time.perf_counter() - started
    peak = _peak_memory_mb()
    log(f"reform: 63 provinces carried into 34 in {seconds:.1f} s, peak RSS {peak:.0f} MB, "
        f"{sum(settled.values())} communes settled for the operator ({dict(settled)})")
    slowest = max(per_tenant, key=lambda row: row["seconds"])
    return {"reform_seconds": round(seconds, 1), "reform_peak_rss_mb": round(peak, 1),
            "settled": dict(settled), "slowest": slowest, "per_tenant": per_tenant}


def _reset_peak_memory():
    """Linux: writing 5 to clear_refs resets the peak RSS (VmHWM), so the peak below is the reform's own."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _peak_memory_mb():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run(scale, days, database, keep):
    from bench.dataset import build

    results = {"scale": scale, "days": days}
    results["dataset"] = build(scale=scale, days=days, database=database)
    app = bench_app(database)
    with app.app_context():
        from core.extensions import db
        from hierarchy.correspondence import correspondence

        into = correspondence().province_into
        results.update(import_today(db))
        before = monthly_totals(db, lambda code, admin_map: into[code] if admin_map == "pre-2025" else code)
        results.update(reform_all(db))
        after = monthly_totals(db, lambda code, admin_map: code)
        differences = sorted(f"{key}: {before.get(key, 0)} -> {after.get(key, 0)}"
                             for key in set(before) | set(after) if before.get(key, 0) != after.get(key, 0))
        results.update({"figures_compared": len(before), "figures_equal": not differences,
                        "differences": differences[:50]})
        log(f"reform: {len(before)} figures (new province × metric × month) compared, "
            f"{'all equal' if not differences else f'{len(differences)} differ'}")
        db.engine.dispose()
    if not keep:
        drop_database(database)
    REFORM_RESULTS.parent.mkdir(parents=True, exist_ok=True)
    REFORM_RESULTS.write_text(json.dumps(results, indent=1, ensure_ascii=False, default=str) + "\n")
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.reform", description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.05)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--database", default=BENCH_DATABASE)
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args(argv)
    results = run(args.scale, args.days, args.database, args.keep_db)
    return 0 if results["figures_equal"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
