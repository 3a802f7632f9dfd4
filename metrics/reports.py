"""Metrics' report (`core.reports`): the dashboard's roll-up, by child unit."""
from core.reports import Report, chart, pick

METRIC_LABELS = {
    "posts_published": "Bài đã đăng", "post_views": "Lượt xem bài", "followers_gained": "Người theo dõi mới",
    "followers_lost": "Bỏ theo dõi", "followers_net": "Theo dõi tăng ròng", "messages_in": "Tin nhắn đến",
    "messages_out": "Tin nhắn trả lời", "interactions": "Lượt tương tác", "tips_received": "Tin báo tiếp nhận",
    "tips_acknowledged": "Tin báo đã xác nhận", "tips_resolved": "Tin báo đã giải quyết",
    "tips_escalated": "Tin báo chuyển cấp trên", "tips_overdue": "Tin báo quá hạn", "sla_met": "Đúng hạn",
    "sla_missed": "Trễ hạn",
}


def metrics_report(p):
    from metrics.kpis import derive
    from metrics.rollups import rollup

    result = rollup(p.unit, p.date_from, p.date_to)
    columns = [("code", "Mã đơn vị", "text"), ("name", "Đơn vị", "text")]
    columns += [(key, label, "int") for key, label in METRIC_LABELS.items()]
    columns += [("sla_compliance", "Tỷ lệ đúng hạn", "percent"),
                ("first_response_avg", "Phản hồi đầu trung bình (giờ)", "float"),
                ("first_response_median", "Phản hồi đầu trung vị (giờ)", "float")]

    def row(code, name, totals):
        figures = {**totals, **derive(totals)}
        for key in ("first_response_avg", "first_response_median"):
            figures[key] = figures[key] / 3600 if figures[key] is not None else None
        return {"code": code, "name": name, **figures}

    rows = [row(p.unit.code, f"{p.unit.name} (trực tiếp)", result.own)]
    rows += [row(child.unit.code, child.unit.name, child.totals) for child in result.children]
    rows.append(row("", "Tổng cộng", result.totals))
    bars = [(child.unit.name, child.totals.get("tips_received", 0)) for child in result.children]
    return Report(
        title="Báo cáo tổng hợp số liệu hoạt động", columns=columns, total=len(rows), rows=rows,
        chart=lambda: chart("Tin báo tiếp nhận theo đơn vị trực thuộc", bars),
        pdf_tables=(
            ("Trang thông tin và tương tác", pick(
                columns, "name", ("posts_published", "Bài đăng"), ("post_views", "Lượt xem"),
                ("followers_gained", "Theo dõi mới"), ("followers_lost", "Bỏ theo dõi"),
                ("messages_in", "Tin nhắn đến"), ("messages_out", "Trả lời"))),
            ("Tin báo và thời hạn xử lý", pick(
                columns, "name", ("tips_received", "Tiếp nhận"), ("tips_resolved", "Giải quyết"),
                ("tips_escalated", "Chuyển lên"), ("tips_overdue", "Quá hạn"), ("sla_compliance", "Đúng hạn"),
                ("first_response_avg", "Phản hồi TB (giờ)"), ("first_response_median", "Trung vị (giờ)")))))
