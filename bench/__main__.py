"""`python -m bench [--quick] [--scale S] [--only a,b] ...`: build the national dataset, run every scenario
against its baselines, print a table, write bench/results/<scenario>.json and rewrite docs/benchmarks.md.

Everything it starts listens on or targets 127.0.0.1 and stops by itself. It creates the PostgreSQL databases
`ketnoi_bench` and `helpdesk_bench` (env BENCH_DATABASE, BENCH_PEER_DATABASE) on the server of DATABASE_URL
(default postgresql://postgres@localhost/postgres) and drops them at the end
(`--keep-db` keeps them; `--reuse-db` runs on a kept dataset).
"""
import argparse
import json
import os
import sys
import time
import traceback
from pathlib import Path

from bench import report
from bench.common import (
    BENCH_DATABASE,
    PEER_DATABASE,
    RESULTS_DIR,
    database_exists,
    drop_database,
    flush_bench_redis,
    log,
    machine_info,
)
from bench.context import Context
from bench.servers import WORKERS

SCENARIOS = ("intake", "peer", "zalo", "dashboard", "export")
QUICK = {"scale": 0.005, "duration": 2.0, "export_rows": 20_000}
FULL = {"scale": 0.25, "duration": 30.0, "export_rows": 1_000_000}


def parse(argv):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small scale, a few seconds per scenario (CI)")
    parser.add_argument("--scale", type=float, help=f"dataset scale (default {FULL['scale']}, quick {QUICK['scale']})")
    parser.add_argument("--duration", type=float, help="seconds of load per server (default 30, quick 2)")
    parser.add_argument("--export-rows", type=int, help="rows in the export scenario (default 1,000,000)")
    parser.add_argument("--export-tenant", default="ha-noi", help="province slug of the export scenario")
    parser.add_argument("--only", help=f"comma-separated scenarios among {', '.join(SCENARIOS)}")
    parser.add_argument("--no-profile", action="store_true", help="skip the profiles")
    parser.add_argument("--keep-db", action="store_true", help="keep the benchmark databases at the end")
    parser.add_argument("--reuse-db", action="store_true", help="reuse a kept dataset instead of building one")
    parser.add_argument("--no-docs", action="store_true", help="do not rewrite docs/benchmarks.md")
    parser.add_argument("--results", type=Path, default=RESULTS_DIR,
                        help="where the JSON results go (default bench/results)")
    return parser.parse_args(argv)


def load_average():
    return [round(value, 2) for value in os.getloadavg()]


def build_dataset(ctx, reuse):
    from bench.dataset import DATASET_FILE, build

    if reuse and database_exists(ctx.database) and DATASET_FILE.exists():
        log("dataset: reusing the kept benchmark database")
        return json.loads(DATASET_FILE.read_text())["results"]
    log(f"dataset: building the national dataset at scale {ctx.scale}")
    return build(scale=ctx.scale, database=ctx.database)


def run_scenario(name, ctx):
    import importlib

    started = time.perf_counter()
    try:
        result = importlib.import_module(f"bench.scenarios.{name}").run(ctx)
    except Exception:  # a scenario's failure is reported, the others still run
        result = {"error": traceback.format_exc()}
        log(f"{name}: FAILED\n{result['error']}")
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


def main(argv=None):
    args = parse(argv)
    defaults = QUICK if args.quick else FULL
    ctx = Context(quick=args.quick, scale=args.scale or defaults["scale"],
                  duration=args.duration or defaults["duration"],
                  export_rows=args.export_rows or defaults["export_rows"], export_tenant=args.export_tenant,
                  profile=not args.no_profile)
    chosen = [name.strip() for name in args.only.split(",")] if args.only else list(SCENARIOS)
    unknown = set(chosen) - set(SCENARIOS)
    if unknown:
        sys.exit(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    started = time.perf_counter()
    meta = {"quick": ctx.quick, "scale": ctx.scale, "duration": ctx.duration, "concurrency": ctx.concurrency,
            "workers": WORKERS, "machine": machine_info(), "load_before": load_average(),
            "started": report.now_iso()}
    results, failed = {}, []
    try:
        results["dataset"] = ctx.dataset = build_dataset(ctx, args.reuse_db)
        report.write_json("dataset", {"meta": meta, "results": results["dataset"]}, args.results)
        for name in chosen:
            log(f"== {name}")
            results[name] = run_scenario(name, ctx)
            # Written as soon as it is known: a run stopped later keeps what it measured.
            report.write_json(name, {"meta": meta, "results": results[name]}, args.results)
            if "error" in results[name]:
                failed.append(name)
    finally:
        if not args.keep_db:
            drop_database(BENCH_DATABASE)
            drop_database(PEER_DATABASE)
        flush_bench_redis()
    meta.update(finished=report.now_iso(), seconds=time.perf_counter() - started, load_after=load_average())
    for name, payload in results.items():
        report.write_json(name, {"meta": meta, "results": payload}, args.results)
    if not args.no_docs:
        report.write_markdown(results, meta)
    print(report.table(results))
    print(f"\n{len(chosen)} scenario(s) in {meta['seconds']:.0f} s; results in {args.results}, "
          f"{'docs not rewritten' if args.no_docs else 'docs/benchmarks.md rewritten'}.")
    if failed:
        print(f"FAILED: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
