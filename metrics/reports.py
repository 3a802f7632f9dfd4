"""Metrics' report (`core.reports`): the dashboard's roll-up, by child unit, labelled and defined by
`metrics.figures`."""
from core.reports import Report, chart, pick

# The counters and derived figures the report shows, in column order.
COUNTERS = ("posts_published", "post_views", "followers_gained", "followers_lost", "followers_net", "messages_in",
            "messages_out", "interactions", "tips_received", "tips_acknowledged", "tips_resolved", "tips_escalated",
            "tips_overdue", "sla_met", "sla_missed")
DURATIONS = ("first_response_avg", "first_response_median")


def metrics_report(p):
    from metrics.charts import hours_minutes
    from metrics.figures import definitions, label, values
    from metrics.rollups import rollup

    result = rollup(p.unit, p.date_from, p.date_to)
    columns = [("code", "Mã đơn vị", "text"), ("name", "Đơn vị", "text")]
    columns += [(key, label(key), "int") for key in COUNTERS]
    columns += [("sla_compliance", label("sla_compliance"), "percent")]
    columns += [(key, f"{label(key)} (giờ:phút)", "text") for key in DURATIONS]

    def row(code, name, totals):
        figures = values(totals)
        for key in DURATIONS:
            figures[key] = hours_minutes(figures[key])
        return {"code": code, "name": name, **figures}

    rows = [row(p.unit.code, f"{p.unit.name} (trực tiếp)", result.own)]
    rows += [row(child.unit.code, child.unit.name, child.totals) for child in result.children]
    rows.append(row("", "Tổng cộng", result.totals))
    bars = [(child.unit.name, child.totals.get("tips_received", 0)) for child in result.children]
    return Report(
        title="Báo cáo tổng hợp số liệu hoạt động", columns=columns, total=len(rows), rows=rows,
        chart=lambda: chart(f"{label('tips_received')} theo đơn vị trực thuộc", bars),
        pdf_tables=(
            ("Trang thông tin và tương tác", pick(
                columns, "name", "posts_published", "post_views", "followers_gained", "followers_lost",
                "messages_in", "messages_out")),
            ("Tin báo và thời hạn xử lý", pick(
                columns, "name", "tips_received", "tips_resolved", "tips_escalated", "tips_overdue",
                "sla_compliance", ("first_response_avg", "Phản hồi đầu TB (giờ:phút)"),
                ("first_response_median", "Trung vị (giờ:phút)")))),
        definitions=tuple((name, text) for _key, name, text in definitions(COUNTERS + ("sla_compliance",) + DURATIONS)))
