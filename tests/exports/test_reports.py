"""What the files hold: the right rows, typed cells, Vietnamese text, no identity, no formulas."""
import csv
import io
from datetime import timedelta

import openpyxl
import pypdf
from sqlalchemy import select, update

from core.audit import AuditLog
from core.extensions import db
from core.timeutil import local_today, utcnow
from hierarchy.models import Unit
from tests.exports.conftest import REPORTER_NAME, REPORTER_PHONE, SECRET_PLACE, SECRET_TEXT

IDENTITY = (REPORTER_NAME, REPORTER_PHONE, SECRET_TEXT, SECRET_PLACE, "Bí Mật", "912345678")
FORMULA = '=HYPERLINK("http://evil.example","bấm vào")'


def _period():
    today = local_today()
    return {"from": (today - timedelta(days=6)).isoformat(), "to": today.isoformat()}


def _workbook_text(data):
    sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    return rows, "\n".join(str(value) for row in rows for value in row if value is not None)


def _tips(make_tip, in_tenant, tenant_a, world):
    units = world["a"].units
    now = utcnow()
    with in_tenant(tenant_a):
        inside = [
            make_tip(units["commune"].id, status="closed", resolution="handled", severity="high",
                     resolved_at=now - timedelta(minutes=30), closed_at=now - timedelta(minutes=20),
                     resolve_due_at=now + timedelta(days=1)),
            make_tip(units["sibling"].id, category="complaint", status="resolved",
                     resolved_at=now - timedelta(minutes=10), resolve_due_at=now - timedelta(hours=1)),
            make_tip(units["district"].id, category="social_evil"),
        ]
        outside = make_tip(units["department"].id)
        old = make_tip(units["commune"].id, created_at=now - timedelta(days=40))
        from inbox.models import Escalation

        db.session.add(Escalation(tip_id=inside[0].id, from_unit_id=units["commune"].id,
                                  to_unit_id=units["district"].id, at=now, reason="lý do", automatic=False))
        db.session.commit()
        return [tip.tracking_code for tip in inside], [outside.tracking_code, old.tracking_code]


def test_xlsx_tips_register_of_a_district_has_its_rows_and_no_identity(world, bearer, export_file, make_tip,
                                                                        in_tenant, tenant_a):
    inside, outside = _tips(make_tip, in_tenant, tenant_a, world)
    state, data = export_file(bearer("auditor"), report="tips", format="xlsx",
                              unit_id=world["a"].units["district"].id, **_period())
    rows, text = _workbook_text(data)
    header, body = rows[0], rows[1:]
    assert header[:3] == ["Mã tin báo", "Mã đơn vị", "Đơn vị đang xử lý"]
    codes = [row[0] for row in body]
    assert sorted(codes) == sorted(inside) and state["row_count"] == 3
    assert not set(outside) & set(codes)
    for secret in IDENTITY:
        assert secret not in text
    by_code = {row[0]: dict(zip(header, row, strict=False)) for row in body}
    first = by_code[inside[0]]
    assert first["Loại tin"] == "Tố giác tội phạm" and first["Mức độ"] == "Cao"
    assert first["Trạng thái"] == "Đã đóng" and first["Kết quả"] == "Đã xử lý"
    assert first["Đúng hạn"] == "Có" and first["Số lần chuyển"] == 1
    assert first["Tiếp nhận lúc"].year >= 2026  # a real datetime cell, not text
    assert by_code[inside[1]]["Đúng hạn"] == "Không"
    assert by_code[inside[2]]["Đúng hạn"] == "Chưa đến hạn"


def test_csv_tips_register_begins_with_bom_and_keeps_vietnamese(world, bearer, export_file, make_tip, in_tenant,
                                                                tenant_a):
    inside, _outside = _tips(make_tip, in_tenant, tenant_a, world)
    _state, data = export_file(bearer("director"), report="tips", format="csv",
                               unit_id=world["a"].units["district"].id, **_period())
    assert data[:3] == b"\xef\xbb\xbf"
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][0] == "Mã tin báo" and len(rows) == 4
    assert "Phản ánh" not in rows[1][5] and {row[5] for row in rows[1:]} == {"Tố giác tội phạm", "Khiếu nại",
                                                                              "Tệ nạn xã hội"}
    assert not any(secret in data.decode("utf-8-sig") for secret in IDENTITY)


def test_pdf_report_has_vietnamese_text_and_the_chain_hash(world, bearer, export_file, make_tip, in_tenant,
                                                            tenant_a, app_ctx):
    _tips(make_tip, in_tenant, tenant_a, world)
    state, data = export_file(bearer("auditor"), report="tips", format="pdf",
                              unit_id=world["a"].units["district"].id, **_period())
    assert data.startswith(b"%PDF")
    reader = pypdf.PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    flat = "".join(text.split())
    assert "SỔ THEO DÕI TIN BÁO, TỐ GIÁC" in text.upper()
    assert "Tố giác tội phạm" in text and "Kỳ báo cáo" in text and "Người lập biểu" in text
    assert world["a"].units["district"].name in text
    with in_tenant(tenant_a):
        # The head printed is the chain's head when the PDF was rendered: the record before `export.done`.
        done = db.session.execute(select(AuditLog).where(AuditLog.action == "export.done")).scalar_one()
        printed = db.session.execute(select(AuditLog).where(AuditLog.hash == done.prev_hash)).scalar_one()
    assert printed.hash in flat and f"(bảnghisố{printed.seq})" in flat
    assert REPORTER_NAME not in text and REPORTER_PHONE not in flat
    assert state["row_count"] == 3


def test_metrics_and_sla_reports(world, bearer, export_file, make_tip, in_tenant, tenant_a):
    _tips(make_tip, in_tenant, tenant_a, world)
    _state, data = export_file(bearer("auditor"), report="sla", format="xlsx",
                               unit_id=world["a"].units["district"].id, **_period())
    rows, _text = _workbook_text(data)
    header = rows[0]
    records = [dict(zip(header, row, strict=False)) for row in rows[1:]]
    crime = next(r for r in records if r["Loại tin"] == "Tố giác tội phạm")
    complaint = next(r for r in records if r["Loại tin"] == "Khiếu nại")
    assert (crime["Đúng hạn"], crime["Trễ hạn"], crime["Tỷ lệ đúng hạn"]) == (1, 0, 1)
    assert (complaint["Đúng hạn"], complaint["Trễ hạn"], complaint["Tỷ lệ đúng hạn"]) == (0, 1, 0)

    from metrics.events import record

    with in_tenant(tenant_a):
        record("tips_received", world["a"].units["commune"].id, value=5)
        record("sla_met", world["a"].units["commune"].id, value=3)
        record("sla_missed", world["a"].units["sibling"].id, value=1)
        db.session.commit()
    _state, data = export_file(bearer("auditor"), report="metrics", format="xlsx",
                               unit_id=world["a"].units["district"].id, **_period())
    rows, _text = _workbook_text(data)
    header = rows[0]
    records = {row[0]: dict(zip(header, row, strict=False)) for row in rows[1:]}
    assert records[world["a"].units["commune"].code]["Tin báo tiếp nhận"] == 5
    total = next(r for r in records.values() if r["Đơn vị"] == "Tổng cộng")
    figures = ("Giải quyết đúng hạn", "Giải quyết trễ hạn", "Tỉ lệ giải quyết đúng hạn")
    assert tuple(total[name] for name in figures) == (3, 1, 0.75)
    # The workbook says what each column counts, in the words of the definitions page.
    definitions = openpyxl.load_workbook(io.BytesIO(data), read_only=True)["Định nghĩa"]
    defined = {row[0]: row[1] for row in definitions.iter_rows(min_row=2, values_only=True)}
    for name in header[2:]:
        assert name.split(" (giờ:phút)")[0] in defined, name
    assert "÷" in defined["Tỉ lệ giải quyết đúng hạn"]
    assert total["Phản hồi đầu tiên – trung bình (giờ:phút)"] is None  # no response: blank, not 0:00


def test_cells_that_look_like_formulas_are_neutralised_end_to_end(world, bearer, export_file, in_tenant, tenant_a,
                                                                  make_tip):
    with in_tenant(tenant_a):
        db.session.execute(update(Unit).where(Unit.id == world["a"].units["commune"].id).values(name=FORMULA))
        db.session.commit()
        make_tip(world["a"].units["commune"].id)
    headers = bearer("auditor")
    _state, data = export_file(headers, report="tips", format="csv", unit_id=world["a"].units["district"].id,
                               **_period())
    cells = [cell for row in csv.reader(io.StringIO(data.decode("utf-8-sig"))) for cell in row]
    assert "'" + FORMULA in cells and FORMULA not in cells
    _state, data = export_file(headers, report="metrics", format="xlsx", unit_id=world["a"].units["district"].id,
                               **_period())
    rows, _text = _workbook_text(data)
    names = [row[1] for row in rows]
    assert "'" + FORMULA in names and FORMULA not in names
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    assert all(cell.data_type != "f" for row in workbook.active.iter_rows() for cell in row)


def test_posts_register(world, bearer, export_file, in_tenant, tenant_a):
    from content.models import Post

    with in_tenant(tenant_a):
        now = utcnow()
        for index, (unit_key, status) in enumerate((("commune", "published"), ("district", "draft"),
                                                    ("department", "published"))):
            db.session.add(Post(unit_id=world["a"].units[unit_key].id, title=f"Cảnh giác lừa đảo {index}",
                                body="Nội dung", kind="warning", status=status, created_at=now,
                                published_at=now if status == "published" else None))
        db.session.commit()
    state, data = export_file(bearer("auditor"), report="posts", format="xlsx",
                              unit_id=world["a"].units["district"].id, **_period())
    rows, _text = _workbook_text(data)
    header = rows[0]
    records = [dict(zip(header, row, strict=False)) for row in rows[1:]]
    assert sorted(r["Tiêu đề"] for r in records) == ["Cảnh giác lừa đảo 0", "Cảnh giác lừa đảo 1"]
    assert {r["Trạng thái"] for r in records} == {"Đã đăng", "Nháp"} and state["row_count"] == 2
    assert {r["Loại bài"] for r in records} == {"Cảnh báo"}


def test_a_long_register_in_pdf_shows_its_first_rows_and_counts_the_rest(world, bearer, export_file, make_tip,
                                                                         in_tenant, tenant_a, monkeypatch):
    from metrics.exports import jobs

    inside, _outside = _tips(make_tip, in_tenant, tenant_a, world)
    monkeypatch.setattr(jobs, "PDF_ROW_LIMIT", 2)
    state, data = export_file(bearer("auditor"), report="tips", format="pdf",
                              unit_id=world["a"].units["district"].id, **_period())
    text = "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)
    assert state["row_count"] == 3
    flat = "".join(text.split())  # a narrow column wraps a code over two lines
    assert sum(code in flat for code in inside) == 2
    assert "và 1 dòng khác" in text
