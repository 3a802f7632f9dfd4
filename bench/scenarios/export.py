"""Export: the tips register of one province, one million rows (scaled in --quick), to CSV and XLSX.

The province (Hà Nội, the largest) is topped up with generated tips until its register over the dataset's
year holds the target number of rows. Each variant runs in its own process (see `export_worker`) so its peak
RSS is its own; the product's CSV is also run on a tenth of the rows to show memory does not grow with rows.
"""
import json
import subprocess
import sys
from datetime import date, timedelta

from bench.bulk import Calendar, seeded
from bench.common import RESULTS_DIR, ROOT, connect, log, ratio
from bench.dataset import inbox_models
from bench.tipsgen import TipWriter

FULL_ROWS = 1_000_000
TARGET_CSV_RATIO = 0.5
TARGET_XLSX_RATIO = 0.8
TARGET_RSS_GROWTH = 1.25  # peak RSS at N rows ≤ 1.25 × at N/10 rows


def top_up(ctx, rows):
    """Add generated tips to the province until its year holds `rows` tips; returns the tenant's facts."""
    from core.timeutil import utcnow

    models = inbox_models()
    last_day = date.fromisoformat(ctx.dataset["last_day"])
    calendar = Calendar(last_day, ctx.dataset.get("days", 365))
    with connect(ctx.database) as connection, connection.cursor() as cursor:
        tenant_id, slug = cursor.execute("SELECT id, slug FROM tenants WHERE slug = %s",
                                         (ctx.export_tenant,)).fetchone()
        cursor.execute("SELECT id, parent_id, kind, path FROM units WHERE tenant_id = %s ORDER BY path", (tenant_id,))
        units = cursor.fetchall()
        have = cursor.execute("SELECT count(*) FROM tips WHERE tenant_id = %s", (tenant_id,)).fetchone()[0]
        missing = rows - have
        if missing > 0:
            from inbox.codes import tenant_prefix

            first_id = cursor.execute("SELECT COALESCE(max(id), 0) + 1 FROM tips").fetchone()[0]
            rng = seeded(11, "export")
            writer = TipWriter(cursor, models, tenant_id, tenant_prefix(slug) + "X", first_id, first_id, utcnow(), rng)
            communes = [unit for unit in units if unit[2] == "commune"] or units
            for done in range(missing):
                unit = communes[rng.randrange(len(communes))]
                writer.add(_Unit(unit[0]), unit[1], calendar.instant(rng, rng.randrange(len(calendar.days))))
                if len(writer.tips) >= 50_000 or done == missing - 1:
                    writer.flush()
                    writer.events.clear()
            cursor.execute("SELECT setval(pg_get_serial_sequence('tips', 'id'), (SELECT max(id) FROM tips))")
            connection.commit()
            cursor.execute("ANALYZE tips; ANALYZE tip_escalations")
            connection.commit()
    root_path = next(unit[3] for unit in units if unit[1] is None)
    return {"database": ctx.database, "tenant_id": tenant_id, "path": root_path,
            "from": calendar.days[0].isoformat(), "to": (last_day + timedelta(days=1)).isoformat()}


class _Unit:
    def __init__(self, unit_id):
        self.id = unit_id


def run_variant(variant, params, suffix):
    out = RESULTS_DIR / f"export-{variant}.{suffix}.tmp"
    result = subprocess.run([sys.executable, "-m", "bench.scenarios.export_worker", variant, json.dumps(params),
                             str(out)], cwd=ROOT, capture_output=True, text=True, timeout=1800)
    if result.returncode != 0:
        raise RuntimeError(f"export {variant} failed:\n{result.stderr[-3000:]}")
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    figures["rows_per_s"] = round(figures["rows"] / figures["seconds"]) if figures["seconds"] else None
    figures["bytes"] = out.stat().st_size
    out.unlink()
    log(f"export/{variant}: {figures['rows']} rows in {figures['seconds']} s = {figures['rows_per_s']} rows/s, "
        f"peak RSS {figures['peak_rss_mb']} MB")
    return figures


def profile_product_csv(params, rows_limit):
    """pyinstrument over the product's CSV path on the first `rows_limit` rows, in-process."""
    import io
    from itertools import islice

    from flask_babel import force_locale

    from bench.common import bench_app
    from bench.profiling import library_split, profile
    from core.reports import Params
    from core.tenancy import tenant_scope
    from core.timeutil import local_day_bounds
    from hierarchy.services import root_unit
    from inbox.reports import tips_report
    from metrics.exports.writers import write_csv

    app = bench_app(params["database"])
    with app.app_context(), force_locale("vi"), tenant_scope(params["tenant_id"]):
        day_from, day_to = date.fromisoformat(params["from"]), date.fromisoformat(params["to"])

        def one():
            report = tips_report(Params(root_unit(), day_from, day_to, local_day_bounds(day_from)[0],
                                        local_day_bounds(day_to)[1], {}, None))
            write_csv(report.columns, islice(report.rows, rows_limit), io.BytesIO())

        result = profile(one, 1, label=f"tips register → write_csv, {rows_limit} rows (in-process)")
        result["layers"] = library_split(one, 1)
    return result


def run(ctx):
    if inbox_models() is None:
        return {"available": False, "why": "the inbox has no Tip model yet"}
    rows = ctx.export_rows
    log(f"export: topping up {ctx.export_tenant} to {rows} tips")
    params = top_up(ctx, rows)
    results = {"tenant": ctx.export_tenant, "rows_target": rows}
    for variant in ("copy-csv", "product-csv", "bare-xlsx", "product-xlsx"):
        results[variant] = run_variant(variant, params, "full")
    small = dict(params)
    small["to"] = (date.fromisoformat(params["from"]) + timedelta(days=36)).isoformat()
    results["product-csv-tenth"] = run_variant("product-csv", small, "tenth")
    csv_ratio = ratio(results["product-csv"]["rows_per_s"], results["copy-csv"]["rows_per_s"])
    xlsx_ratio = ratio(results["product-xlsx"]["rows_per_s"], results["bare-xlsx"]["rows_per_s"])
    rss_growth = ratio(results["product-csv"]["peak_rss_mb"], results["product-csv-tenth"]["peak_rss_mb"])
    results.update(csv_ratio=_round(csv_ratio), xlsx_ratio=_round(xlsx_ratio), rss_growth=_round(rss_growth))
    results["targets"] = {
        "CSV >= 0.5 x COPY": (csv_ratio or 0) >= TARGET_CSV_RATIO,
        "XLSX >= 0.8 x bare xlsxwriter": (xlsx_ratio or 0) >= TARGET_XLSX_RATIO,
        "RSS flat as rows grow (<= 1.25x from N/10 to N)": (rss_growth or 99) <= TARGET_RSS_GROWTH,
    }
    if ctx.profile:
        results["profile"] = profile_product_csv(params, min(rows, 5_000 if ctx.quick else 20_000))
    return results


def _round(value):
    return None if value is None else round(value, 3)
