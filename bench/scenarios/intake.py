"""Tip intake: `POST /api/v1/public/units/<id>/tips` under gunicorn, against two baselines, plus the limiter.

The product runs with the benchmark configuration (RATELIMIT_PUBLIC_TIPS="1000000 per minute": all load comes
from one address); a separate server with the default limits must answer 429 after its quota. Every 201 must
be a row in the database: tips counted by the run's marker in the description, before and after.
"""
import json
import os
import uuid
from pathlib import Path

from bench import loadgen
from bench.common import connect, log, ratio, server_env
from bench.servers import WORKERS, HttpServer

TARGET_THROUGHPUT_RATIO = 0.5  # ≥ 0.5 × the bare baseline's req/s
TARGET_P99_RATIO = 3.0  # p99 within 3 × the bare baseline's
UNIT_SQL = ("SELECT u.id FROM units u JOIN tenants t ON t.id = u.tenant_id WHERE t.slug = 'kien-giang' "
            "AND u.kind = 'commune' ORDER BY u.path LIMIT 8")


def payload(marker, worker, seq):
    """A realistic submission; half of them leave a contact (the vault path), half are anonymous."""
    body = {"category": "security_report", "severity": "normal", "place": "Ấp Phước Hòa, gần chợ",
            "description": f"Nhóm thanh niên tụ tập gây mất trật tự vào ban đêm ở đầu hẻm. [{marker} {worker}-{seq}]"}
    if seq % 2 == 0:
        body["contact"] = {"name": "Nguyễn Văn An", "phone": f"09{(worker * 1_000_003 + seq) % 100_000_000:08d}"}
    return json.dumps(body, ensure_ascii=False).encode()


def load(port, units, marker, ctx, duration):
    headers = {"Content-Type": "application/json"}

    def iteration(client, worker, seq):
        client.request("POST", f"/api/v1/public/units/{units[seq % len(units)]}/tips",
                       payload(marker, worker, seq), headers)

    return loadgen.run(port, iteration, concurrency=ctx.concurrency, duration=duration)


def measure(name, app, env, table, where, units, ctx):
    """Warm up, load, then compare the 201s with the rows the database holds."""
    marker = f"bench-{uuid.uuid4().hex[:8]}"
    with HttpServer(name, app, env=env) as server:
        warm = load(server.port, units, marker, ctx, ctx.warmup)
        result = load(server.port, units, marker, ctx, ctx.duration)
    created = warm.statuses.get(201, 0) + result.statuses.get(201, 0)
    with connect(ctx.database) as connection:
        stored = connection.execute(f"SELECT count(*) FROM {table} WHERE {where}", (f"%[{marker} %",)).fetchone()[0]
    summary = result.summary()
    summary.update(created_201=created, rows_in_db=stored, nothing_lost=stored == created,
                   non_201=sum(count for code, count in result.statuses.items() if code != 201) + result.errors)
    log(f"intake/{name}: {summary['req_per_s']} req/s p50 {summary['p50_ms']} ms p99 {summary['p99_ms']} ms, "
        f"201s {created} = rows {stored}: {stored == created}")
    return summary


def rate_limit_check(units, ctx):
    """Default limits (no RATELIMIT_PUBLIC_TIPS override): the 11th tip in a minute from one client is a 429."""
    env = server_env(ctx.database)
    env.pop("RATELIMIT_PUBLIC_TIPS")
    statuses = []
    with HttpServer("intake-default-limits", "wsgi:app", env=env, workers=WORKERS) as server:
        client = loadgen.Client(server.port)
        for seq in range(15):
            status, _headers, _body = client.request(
                "POST", f"/api/v1/public/units/{units[0]}/tips", payload("limit-check", 0, seq),
                {"Content-Type": "application/json"})
            statuses.append(status)
        client.close()
    passed = statuses[:10] == [201] * 10 and all(status == 429 for status in statuses[10:])
    log(f"intake/limits: {statuses} -> {'429 after the quota' if passed else 'NOT LIMITED'}")
    return {"statuses": statuses, "limited_after_quota": passed, "default_limit": "10 per minute;60 per hour"}


def prepare_baseline_tables(ctx):
    from bench.baselines.bare_tips import TABLE

    with connect(ctx.database) as connection:
        connection.execute(TABLE)
        connection.execute(TABLE.replace("bench_bare_tips", "bench_naive_tips"))
        connection.commit()


def profile_product(units, ctx, repeat):
    """The product path in-process (Flask test client) under the profiler: where a tip's time goes."""
    from bench.common import bench_app
    from bench.profiling import library_split, profile

    app = bench_app(ctx.database, RATELIMIT_ENABLED=False)
    client = app.test_client()
    marker, seq, statuses = "bench-profile", [0], {}

    def one():
        seq[0] += 1
        response = client.post(f"/api/v1/public/units/{units[0]}/tips", data=payload(marker, 0, seq[0]),
                               content_type="application/json")
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    for _ in range(20):
        one()
    with app.app_context():
        from core.extensions import db

        queries = _count_queries(db, one)
    result = profile(one, repeat, label="POST /api/v1/public/units/<id>/tips (in-process)")
    result["layers"] = library_split(one, repeat)
    result["sql_statements_per_tip"] = queries
    result["statuses"] = {str(code): count for code, count in statuses.items()}
    return result


def served_cpu(app, units, ctx, seconds):
    """CPU per tip of a gunicorn-served path (workers' and their PostgreSQL backends' utime+stime from /proc,
    over a separate load after the measured one): says whether the served path is CPU-bound, which the
    in-process profile alone cannot."""
    if not Path("/proc/self/stat").exists():
        return None
    with HttpServer("intake-served-cpu", app, env=server_env(ctx.database)) as server:
        load(server.port, units, "bench-served-cpu", ctx, min(ctx.warmup, 1.0))
        workers = _children(server.process.pid)
        before = _cpu_seconds(workers), _backend_cpu_seconds(ctx.database)
        result = load(server.port, units, "bench-served-cpu", ctx, seconds)
        after = _cpu_seconds(workers), _backend_cpu_seconds(ctx.database)
    tips = result.statuses.get(201, 0) or 1
    return {"tips": tips, "req_per_s": result.summary()["req_per_s"], "cores": os.cpu_count(),
            "worker_cpu_ms_per_tip": round(1000 * (after[0] - before[0]) / tips, 2),
            "postgres_cpu_ms_per_tip": round(1000 * (after[1] - before[1]) / tips, 2)}


def _children(pid):
    try:
        return [int(child) for task in Path(f"/proc/{pid}/task").iterdir()
                for child in (task / "children").read_text().split()]
    except OSError:  # a kernel without /proc/<pid>/task/<tid>/children: no figure rather than a failed run
        return []


def _cpu_seconds(pids):
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _backend_cpu_seconds(database):
    with connect(database) as connection:
        pids = [row[0] for row in connection.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND backend_type = 'client backend' "
            "AND pid <> pg_backend_pid()", (database,)).fetchall()]
    return _cpu_seconds(pids)


def _count_queries(db, fn):
    from sqlalchemy import event

    statements = []

    def count(*_args):
        statements.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        fn()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(statements)


def run(ctx):
    with connect(ctx.database) as connection:
        units = [row[0] for row in connection.execute(UNIT_SQL).fetchall()]
    prepare_baseline_tables(ctx)
    env = server_env(ctx.database)
    results = {"workers": WORKERS, "concurrency": ctx.concurrency, "duration_s": ctx.duration,
               "rate_limit_env": "RATELIMIT_PUBLIC_TIPS=1000000 per minute"}
    results["product"] = measure("intake-product", "wsgi:app", env, "tips", "description LIKE %s", units, ctx)
    results["bare"] = measure("intake-bare", "bench.baselines.bare_tips:app", env, "bench_bare_tips",
                              "description LIKE %s", units, ctx)
    results["naive"] = measure("intake-naive", "bench.baselines.naive_tips:app", env, "bench_naive_tips",
                               "description LIKE %s", units, ctx)
    results["limits"] = rate_limit_check(units, ctx)
    product, bare = results["product"], results["bare"]
    results["throughput_ratio"] = _round(ratio(product["req_per_s"], bare["req_per_s"]))
    results["naive_throughput_ratio"] = _round(ratio(results["naive"]["req_per_s"], bare["req_per_s"]))
    results["p99_ratio"] = _round(ratio(product["p99_ms"], bare["p99_ms"]))
    results["targets"] = {
        "throughput >= 0.5 x bare": _met(results["throughput_ratio"], TARGET_THROUGHPUT_RATIO, higher=True),
        "p99 <= 3 x bare": _met(results["p99_ratio"], TARGET_P99_RATIO, higher=False),
        "nothing lost (rows == 201s)": product["nothing_lost"],
        "default limits answer 429": results["limits"]["limited_after_quota"],
    }
    if ctx.profile:
        results["profile"] = profile_product(units, ctx, 30 if ctx.quick else 60)
        seconds = 2 if ctx.quick else 5
        results["served_cpu"] = {"product": served_cpu("wsgi:app", units, ctx, seconds),
                                 "bare": served_cpu("bench.baselines.bare_tips:app", units, ctx, seconds)}
        log(f"intake/served cpu: {results['served_cpu']}")
    return results


def _round(value):
    return None if value is None else round(value, 3)


def _met(value, target, higher):
    if value is None:
        return False
    return value >= target if higher else value <= target
