"""One export variant in a fresh process, so its peak RSS is its own: `python -m bench.scenarios.export_worker
VARIANT JSON_PARAMS OUT_PATH` prints {"rows", "seconds", "peak_rss_mb"}.

Variants: `product-csv` / `product-xlsx` (the tips register of `inbox.reports.tips_report` through
`metrics.exports.copy_csv.write_report_csv` / `writers.write_xlsx`, as the export job runs them), `copy-csv` (PostgreSQL
`COPY (same query) TO STDOUT WITH CSV` through psycopg 3), `bare-xlsx` (the same rows from a server-side
cursor into a constant-memory xlsxwriter workbook, one `write_row` per row).
"""
import json
import resource
import sys
import time
from datetime import date

RAW_SQL = """
SELECT t.tracking_code, u.code, u.name, f.code, t.channel, t.category, t.severity, t.status, t.resolution,
       t.created_at, t.acknowledged_at, t.resolved_at, t.closed_at, t.resolve_due_at, t.overdue,
       (SELECT count(e.id) FROM tip_escalations e WHERE e.tip_id = t.id) AS escalations
FROM tips t JOIN units u ON u.id = t.unit_id JOIN units f ON f.id = t.first_unit_id
WHERE t.tenant_id = {tenant} AND u.path LIKE '{path}%' AND t.created_at >= '{start}' AND t.created_at < '{end}'
ORDER BY t.id"""
HEADER = ["Mã tin báo", "Mã đơn vị", "Đơn vị đang xử lý", "Đơn vị tiếp nhận đầu", "Kênh", "Loại tin", "Mức độ",
          "Trạng thái", "Kết quả", "Tiếp nhận lúc", "Xác nhận lúc", "Giải quyết lúc", "Đóng lúc", "Hạn giải quyết",
          "Quá hạn", "Số lần chuyển"]


def product(params, out_path, fmt, clock):
    from flask_babel import force_locale

    from bench.common import bench_app
    from core.reports import Params
    from core.tenancy import tenant_scope
    from core.timeutil import local_day_bounds
    from hierarchy.services import root_unit
    from inbox.reports import tips_report
    from metrics.exports.copy_csv import write_report_csv
    from metrics.exports.jobs import PROGRESS_EVERY
    from metrics.exports.writers import write_xlsx

    app = bench_app(params["database"])
    # As the export job runs it: labels are translated outside any request.
    with app.app_context(), force_locale("vi"), tenant_scope(params["tenant_id"]):
        clock.append(time.perf_counter())  # the app is built: the export itself starts here
        day_from, day_to = date.fromisoformat(params["from"]), date.fromisoformat(params["to"])
        unit = root_unit()
        report = tips_report(Params(unit, day_from, day_to, local_day_bounds(day_from)[0],
                                    local_day_bounds(day_to)[1], {}, None))
        with open(out_path, "wb") as out:
            if fmt == "csv":  # the job's entry point: COPY on PostgreSQL
                return write_report_csv(report, out, progress_every=PROGRESS_EVERY)
            return write_xlsx(report.columns, report.rows, out)


def raw_sql(params):
    from core.timeutil import local_day_bounds

    start = local_day_bounds(date.fromisoformat(params["from"]))[0].isoformat()
    end = local_day_bounds(date.fromisoformat(params["to"]))[1].isoformat()
    return RAW_SQL.format(tenant=int(params["tenant_id"]), path=params["path"].replace("'", ""), start=start, end=end)


def copy_csv(params, out_path):
    from bench.common import connect

    rows = 0
    statement = f"COPY ({raw_sql(params)}) TO STDOUT WITH (FORMAT csv, HEADER true)"
    with (connect(params["database"]) as connection, connection.cursor() as cursor, open(out_path, "wb") as out,
          cursor.copy(statement) as copy):
        for block in copy:
            out.write(block)
            rows += bytes(block).count(b"\n")
    return rows - 1


def bare_xlsx(params, out_path):
    import xlsxwriter

    from bench.common import connect

    workbook = xlsxwriter.Workbook(out_path, {"constant_memory": True, "remove_timezone": True})
    sheet = workbook.add_worksheet("Dữ liệu")
    sheet.write_row(0, 0, HEADER)
    row_number = 0
    with connect(params["database"]) as connection, connection.cursor(name="bare_xlsx") as cursor:
        cursor.itersize = 2000
        cursor.execute(raw_sql(params))
        for row in cursor:
            row_number += 1
            sheet.write_row(row_number, 0, row)
    workbook.close()
    return row_number


def peak_rss_mb():
    """VmHWM of this process. (`getrusage` is no good here: Linux keeps ru_maxrss across exec, so a child
    would report its parent's peak.)"""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(variant, params, out_path):
    clock = [time.perf_counter()]
    if variant == "product-csv":
        rows = product(params, out_path, "csv", clock)
    elif variant == "product-xlsx":
        rows = product(params, out_path, "xlsx", clock)
    elif variant == "copy-csv":
        rows = copy_csv(params, out_path)
    elif variant == "bare-xlsx":
        rows = bare_xlsx(params, out_path)
    else:
        raise SystemExit(f"unknown variant {variant}")
    seconds = time.perf_counter() - clock[-1]
    peak = peak_rss_mb()
    print(json.dumps({"rows": rows, "seconds": round(seconds, 3), "peak_rss_mb": round(peak, 1)}))


if __name__ == "__main__":
    main(sys.argv[1], json.loads(sys.argv[2]), sys.argv[3])
