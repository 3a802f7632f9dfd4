"""The audit log as a report (`core.reports`), filtered as on its page."""
import json

from sqlalchemy import select

from audit.views import audit_records
from core.audit import AuditLog
from core.extensions import db
from core.reports import Report, chart, count_of, grouped_counts, pick, stream
from hierarchy.models import Unit


def audit_report(p):
    statement = audit_records(p.user, p.unit, p.filters.get("actor"), p.filters.get("action"), p.date_from,
                              p.date_to)
    listing = statement.with_only_columns(
        AuditLog.id.label("id"), AuditLog.seq, AuditLog.at, AuditLog.actor, AuditLog.action, AuditLog.unit_id,
        AuditLog.target_type, AuditLog.target_id, AuditLog.details, AuditLog.hash)
    codes = dict(db.session.execute(select(Unit.id, Unit.code)).all())
    columns = [("id", "Mã bản ghi", "int"), ("seq", "Số thứ tự chuỗi", "int"), ("at", "Thời điểm", "datetime"),
               ("actor", "Người thực hiện", "text"), ("action", "Hành động", "text"), ("unit", "Đơn vị", "text"),
               ("target", "Đối tượng", "text"), ("details", "Chi tiết", "text"), ("hash", "Mã băm", "text")]

    def rows():
        for row in stream(listing, AuditLog.id):
            row = row._mapping
            yield {**row, "unit": codes.get(row["unit_id"], ""),
                   "target": f"{row['target_type']} #{row['target_id']}" if row["target_type"] else "",
                   "details": json.dumps(row["details"] or {}, ensure_ascii=False, sort_keys=True),
                   "hash_short": row["hash"][:12] + "…"}

    actions = listing.with_only_columns(AuditLog.id.label("id"), AuditLog.action)
    return Report(
        title="Trích xuất nhật ký kiểm toán", columns=columns, total=count_of(listing), rows=rows(),
        chart=lambda: chart("Bản ghi theo hành động", grouped_counts(actions, "action")),
        pdf_tables=(("Các bản ghi", [*pick(columns, ("seq", "Số"), "at", "actor", "action", "unit", "target",
                                          "details"), ("hash_short", "Mã băm (đầu)", "text")]),))
