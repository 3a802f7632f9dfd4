"""The outputs of a run: the console table, bench/results/<scenario>.json and docs/benchmarks.md."""
import json
from datetime import UTC, datetime

from bench.common import RESULTS_DIR, ROOT

DOC = ROOT / "docs" / "benchmarks.md"
NOTES = ROOT / "bench" / "NOTES.md"
FINDINGS = ROOT / "bench" / "FINDINGS.md"


def write_json(name, payload, directory=RESULTS_DIR):
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{name}.json").write_text(json.dumps(payload, indent=2, ensure_ascii=False, default=str) + "\n")


def rows(results):
    """(scenario, figure, Kết Nối, baseline, ratio, target, met) for the table and the document."""
    out = []
    intake = results.get("intake") or {}
    if "product" in intake:
        p, b, n = intake["product"], intake["bare"], intake["naive"]
        out += [("intake", "req/s", p["req_per_s"], f"bare {b['req_per_s']} · naive {n['req_per_s']}",
                 intake["throughput_ratio"], "≥ 0.5× bare", intake["targets"]["throughput >= 0.5 x bare"]),
                ("intake", "p50 / p99 ms", f"{p['p50_ms']} / {p['p99_ms']}", f"{b['p50_ms']} / {b['p99_ms']}",
                 intake["p99_ratio"], "p99 ≤ 3× bare", intake["targets"]["p99 <= 3 x bare"]),
                ("intake", "201s = rows in DB", f"{p['created_201']} = {p['rows_in_db']}",
                 f"non-201: {p['non_201']}", None, "nothing lost", p["nothing_lost"]),
                ("intake", "default limits → 429", str(intake["limits"]["statuses"][9:12]), "", None, "429 after 10",
                 intake["limits"]["limited_after_quota"])]
    peer = results.get("peer") or {}
    if "ketnoi" in peer:
        k, h = peer["ketnoi"], peer["helpdesk"]
        if h.get("available"):
            out += [("peer", "form submissions/s", k["submissions_per_s"], f"helpdesk {h['submissions_per_s']}",
                     peer["throughput_ratio"], "≥ 4× helpdesk",
                     peer["targets"]["Kết Nối >= 4 x helpdesk submissions/s"]),
                    ("peer", "p99 ms (GET+POST)", k["p99_ms"], h["p99_ms"], peer["p99_ratio"], "< helpdesk",
                     peer["targets"]["Kết Nối p99 better than helpdesk"])]
        else:
            out.append(("peer", "django-helpdesk", k["submissions_per_s"], "not installed", None, "", False))
    zalo = results.get("zalo") or {}
    if "product" in zalo:
        p, b = zalo["product"], zalo["bare"]
        out += [("zalo", "ack p95 ms", p["p95_ms"], f"bare {b['p95_ms']}", zalo["ack_p95_ratio"], "< 20 ms",
                 zalo["targets"]["ack p95 < 20 ms"]),
                ("zalo", "deliveries/s", p["req_per_s"], f"bare {b['req_per_s']}", zalo["throughput_ratio"], "", None),
                ("zalo", "messages per msg_id", f"{p['messages_stored']} / {p['distinct_msg_ids']}", "", None,
                 "exactly 1", zalo["targets"]["exactly one message per distinct msg_id"])]
    dash = results.get("dashboard") or {}
    if "before" in dash:
        d30, d365 = dash["before"]["30"], dash["before"]["365"]
        out += [("dashboard", "30 d roll-up p95 ms", d30["rollup"]["p95_ms"], f"SQL sum {d30['naive_sum']['p95_ms']}",
                 dash["ratio_30"], "≤ 1.5× sum", dash["targets"]["30 d <= 1.5 x naive daily sum"]),
                ("dashboard", "365 d roll-up p95 ms", d365["rollup"]["p95_ms"],
                 f"SQL sum {d365['naive_sum']['p95_ms']}", dash["ratio_365"], "< 40 ms",
                 dash["targets"]["365 d p95 < 40 ms"]),
                ("dashboard", "after 10× events (365 d p95)", dash["after_growth"]["365"]["rollup"]["p95_ms"],
                 f"events recount ×{dash['events_recount_growth']}", dash["rollup_growth"], "no growth",
                 dash["targets"]["no growth with 10x events (<= 1.25x)"])]
    export = results.get("export") or {}
    if "product-csv" in export:
        e = export
        out += [("export", "CSV rows/s", e["product-csv"]["rows_per_s"], f"COPY {e['copy-csv']['rows_per_s']}",
                 e["csv_ratio"], "≥ 0.5× COPY", e["targets"]["CSV >= 0.5 x COPY"]),
                ("export", "XLSX rows/s", e["product-xlsx"]["rows_per_s"], f"xlsxwriter {e['bare-xlsx']['rows_per_s']}",
                 e["xlsx_ratio"], "≥ 0.8× bare", e["targets"]["XLSX >= 0.8 x bare xlsxwriter"]),
                ("export", "peak RSS MB (N/10 → N)",
                 f"{e['product-csv-tenth']['peak_rss_mb']} → {e['product-csv']['peak_rss_mb']}",
                 f"COPY {e['copy-csv']['peak_rss_mb']}", e["rss_growth"], "flat",
                 e["targets"]["RSS flat as rows grow (<= 1.25x from N/10 to N)"])]
    for name, payload in results.items():
        if isinstance(payload, dict) and payload.get("error"):
            out.append((name, "ERROR", payload["error"].splitlines()[-1][:60], "", None, "", False))
    return out


def _fmt(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "met" if value else "MISSED"
    if isinstance(value, float):
        return f"{value:.3g}" if value < 100 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def table(results):
    header = ("scenario", "figure", "Kết Nối", "baseline", "ratio", "target", "")
    body = [tuple(_fmt(cell) for cell in row) for row in rows(results)]
    widths = [max(len(str(line[index])) for line in [header] + body) for index in range(len(header))]
    lines = ["  ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=True))
             for line in [header] + body]
    return "\n".join(lines)


def markdown(results, meta):
    m = meta["machine"]
    lines = [
        "# Benchmarks", "",
        f"Generated by `python -m bench{' --quick' if meta['quick'] else ''}` on "
        f"{meta['finished'][:16].replace('T', ' ')} UTC, in {meta['seconds']:.0f} s. Every figure below comes from "
        "that one run on one machine; each baseline was measured in the same run. Re-run it to refresh this page.",
        "",
        f"**Machine:** {m['cores']} cores ({m['cpu']}), {m['memory_gib']} GiB RAM, PostgreSQL {m['postgresql']}, "
        f"Python {m['python']}. Load average before / after the run: {meta['load_before']} / {meta['load_after']} "
        "(other work on the machine shows up here and slows every figure alike).",
        "",
        f"**Mode:** {'quick (CI smoke run: small scale, a few seconds per scenario)' if meta['quick'] else 'full'}; "
        f"dataset scale {meta['scale']}; {meta['duration']} s of load per server; {meta['concurrency']} concurrent "
        f"clients; gunicorn with {meta['workers']} sync workers (2 × cores).",
        "", "## Results", "",
        "| scenario | figure | Kết Nối | baseline | ratio | target | |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows(results):
        lines.append("| " + " | ".join(_fmt(cell).replace("|", "/") for cell in row) + " |")
    missed = [f"{row[0]}: {row[1]} ({row[5]})" for row in rows(results) if row[6] is False]
    lines += ["", "**Targets missed:** " + ("; ".join(missed) if missed else "none."), ""]
    for name, payload in results.items():
        if isinstance(payload, dict) and payload.get("note"):
            lines += [f"**Note on {name}:** {payload['note']}", ""]
    lines += _dataset_section(results.get("dataset") or {})
    lines += _reform_section()
    for name in ("intake", "peer", "zalo", "dashboard", "export"):
        lines += _profile_section(name, results.get(name) or {})
    for extra in (FINDINGS, NOTES):
        if extra.exists():
            lines += ["", extra.read_text().strip(), ""]
    return "\n".join(lines).rstrip() + "\n"


def _reform_section():
    """The 2025 reform at national scale, from the last `python -m bench.reform` (a run of its own)."""
    from bench.reform import IMPORT_TARGET_SECONDS, REFORM_RESULTS

    if not REFORM_RESULTS.exists():
        return []
    r = json.loads(REFORM_RESULTS.read_text())
    d, slowest = r["dataset"], r["slowest"]
    return [
        "## The 2025 reform at national scale", "",
        f"`python -m bench.reform --scale {r['scale']}`: the national dataset above at that scale "
        f"({d['tenants']} pre-reform provinces, {d['units']} units, {d.get('events', 0)} events over "
        f"{r['days']} days), "
        "then today's 34 provinces imported as new tenants and every old tenant carried into its new province by "
        "`tenants.reform.apply_reform`, one transaction each, as `flask reform apply` does.", "",
        f"- Import of today's {r['provinces']} provinces (one transaction): **{r['import_seconds']} s** "
        f"(target < {IMPORT_TARGET_SECONDS:g} s: {'met' if r['import_target_met'] else 'missed'}).",
        f"- Reform of all 63: **{r['reform_seconds']} s** wall time, peak RSS **{r['reform_peak_rss_mb']} MB**; "
        f"slowest tenant {slowest['old']} → {slowest['into']} in {slowest['seconds']} s.",
        f"- Figures before = after: **{'yes' if r['figures_equal'] else 'NO'}**, {r['figures_compared']} figures "
        "(new province × metric × month, the old provinces' monthly counters summed into their new province, "
        "against the new tenants' rebuilt counters).",
        f"- Communes the official data cannot place, settled as an operator would on the reform page: "
        f"{sum(r['settled'].values())} ({', '.join(f'{k}: {v}' for k, v in sorted(r['settled'].items()))}).", "",
    ]


def _dataset_section(d):
    if not d:
        return []
    lines = ["## National dataset", "",
             f"{d.get('tenants')} provinces as tenants, {d.get('units'):,} units, {d.get('users'):,} staff users; "
             f"a year ({d.get('days')} days to {d.get('last_day')}) of activity at scale {d.get('scale')}: "
             f"{d.get('posts', 0):,} posts, {d.get('events', 0):,} metric events, {d.get('tips', 0):,} tips with "
             f"{d.get('tip_messages', 0):,} messages and {d.get('escalations', 0):,} escalations.", "",
             "| step | figure | target |", "|---|---|---|",
             "| import of the 63 trees (`create_tenant` → `import_province`, one commit) | "
             f"{d.get('import_seconds')} s "
             f"| < 15 s: {'met' if (d.get('import_seconds') or 99) < 15 else 'MISSED'} |",
             f"| activity rows + events by COPY | {d.get('activity_seconds')} s | |",
             f"| counters by `flask metrics rebuild` | {d.get('rebuild_seconds')} s → {d.get('daily_counters', 0):,} "
             f"daily, {d.get('monthly_counters', 0):,} monthly rows | |",
             f"| events, daily and monthly totals equal per metric | {d.get('counters_consistent')} | consistent |",
             f"| `metrics.events.record()` one call per event (sample, rolled back) | "
             f"{d.get('record_events_per_s')} events/s | |",
             "| `metrics.events.record_many()` (sample, rolled back) | "
             f"{d.get('record_many_events_per_s')} events/s | |",
             ""]
    return lines


def _profile_section(name, payload):
    lines = []
    if payload.get("error"):
        return [f"## {name}: error", "", "```", payload["error"][-3000:], "```", ""]
    profile = payload.get("profile")
    if not profile:
        return lines
    lines += [f"## Profile: {name} — {profile['label']}", ""]
    if profile.get("sql_statements_per_tip") is not None:
        lines.append(f"SQL statements per tip: {profile['sql_statements_per_tip']}.")
    if profile.get("layers"):
        lines.append("Own time by layer: " + ", ".join(f"{layer} {share:.0%}" for layer, share in
                                                       list(profile["layers"].items())[:6]) + ".")
    if profile.get("hot"):
        lines += ["", "| product function | cumulative s | share |", "|---|---|---|"]
        for item in profile["hot"][:8]:
            lines.append(f"| `{item['function']}` | {item['cumulative_s']} | {item['share']:.0%} |")
    lines += ["", "<details><summary>pyinstrument tree</summary>", "", "```", profile["tree"][:6000], "```", "",
              "</details>", ""]
    return lines


def write_markdown(results, meta):
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(markdown(results, meta))


def now_iso():
    return datetime.now(UTC).isoformat()


def rewrite_from_results(directory=RESULTS_DIR):
    """docs/benchmarks.md again from the JSON of the last run (after editing bench/FINDINGS.md or NOTES.md)."""
    results, meta = {}, None
    for path in sorted(directory.glob("*.json")):
        payload = json.loads(path.read_text())
        results[path.stem] = payload["results"]
        meta = meta or payload["meta"]
    if meta is None:
        raise SystemExit(f"no results in {directory}")
    write_markdown(results, meta)
    print(table(results))


if __name__ == "__main__":
    rewrite_from_results()
