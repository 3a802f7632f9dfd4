"""The A4 PDF summary: Vietnamese text, page numbers, audit hash, chart, escaping, capped tables."""
import io
import re
import unicodedata
from datetime import UTC, date, datetime

import pytest

pytest.importorskip("weasyprint")
pypdf = pytest.importorskip("pypdf")

from core.reports import Chart  # noqa: E402
from metrics.exports.pdf import find_report_fonts, format_vietnamese, render_pdf  # noqa: E402

AUDIT_HASH = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
COLUMNS = [
    ("unit", "Đơn vị", "text"),
    ("received", "Tin báo nhận", "int"),
    ("on_time", "Tỷ lệ đúng hạn", "percent"),
    ("day", "Ngày", "date"),
]
HOSTILE = '<b>đậm</b><img src="http://evil.example/x.png"><script>alert(1)</script>'


def _rows(count):
    return ({"unit": f"Công an xã số {n}", "received": 1000 + n, "on_time": 0.953, "day": date(2025, 3, 5)}
            for n in range(count))


def _render(**overrides):
    arguments = {
        "title": "Báo cáo tiếp nhận tin báo",
        "scope": "Công an tỉnh Trà Vinh",
        "period": (date(2025, 3, 1), date(2025, 3, 31)),
        "generated_at": datetime(2025, 3, 31, 17, 5, tzinfo=UTC),
        "sections": [("Tin báo theo đơn vị", COLUMNS, _rows(80)), ("Tin báo theo lĩnh vực", COLUMNS, [])],
        "chart": Chart("Tin báo theo huyện",
                          [("Thành phố Trà Vinh", 1234), ("Huyện Càng Long", 75), ("Huyện Cầu Kè", 0)]),
        "audit_hash": AUDIT_HASH,
    } | overrides
    out = io.BytesIO()
    pages = render_pdf(out, **arguments)
    reader = pypdf.PdfReader(io.BytesIO(out.getvalue()))
    texts = [unicodedata.normalize("NFC", page.extract_text()) for page in reader.pages]
    return pages, reader, texts


@pytest.fixture(scope="module")
def report():
    return _render()


def test_text_is_vietnamese_with_diacritics(report):
    _, _, texts = report
    text = "\n".join(texts)
    for phrase in ["Công an tỉnh Trà Vinh", "CÔNG AN TỈNH TRÀ VINH", "Báo cáo tiếp nhận tin báo".upper(),
                   "Từ ngày 01/03/2025 đến ngày 31/03/2025", "Người lập biểu", "Thủ trưởng đơn vị",
                   "Tỷ lệ đúng hạn", "Công an xã số 79", "Không có dữ liệu."]:
        assert phrase in text


def test_pages_are_a4_and_numbered_trang_x_of_y(report):
    pages, reader, texts = report
    assert pages == len(reader.pages) >= 2
    for number, text in enumerate(texts, 1):
        assert f"Trang {number}/{pages}" in text
    width, height = reader.pages[0].mediabox.width, reader.pages[0].mediabox.height
    assert (round(float(width)), round(float(height))) == (595, 842)


def test_every_page_shows_the_audit_hash(report):
    _, _, texts = report
    assert all(AUDIT_HASH in text for text in texts)


def test_generated_at_is_vietnam_local_time(report):
    _, _, texts = report
    # 17:05 UTC on 31 March is 00:05 on 1 April in Asia/Ho_Chi_Minh.
    assert "01/04/2025 00:05" in texts[0]
    assert "Ngày 01 tháng 04 năm 2025" in texts[-1]


def test_numbers_and_dates_are_written_the_vietnamese_way(report):
    _, _, texts = report
    assert re.search(r"Công an xã số 0\s+1\.000\s+95,3%\s+05/03/2025", texts[0])


def test_bar_chart_is_drawn_with_labels_and_values(report):
    _, _, texts = report
    assert "Tin báo theo huyện" in texts[0]
    assert re.search(r"Thành phố Trà Vinh\s+1\.234", texts[0])


def test_fonts_with_vietnamese_coverage_are_embedded(report):
    if find_report_fonts() is None:
        pytest.skip("DejaVu Sans is not installed")
    _, reader, _ = report
    fonts = {str(font["/BaseFont"]) for font in reader.pages[0]["/Resources"]["/Font"].values()}
    assert any("Report-Sans" in name for name in fonts)


def test_data_is_escaped_not_interpreted():
    _, _, texts = _render(
        title=HOSTILE,
        scope="Công an tỉnh Trà Vinh",
        sections=[(HOSTILE, COLUMNS, [{"unit": HOSTILE, "received": 1}])],
        chart=Chart(HOSTILE, [(HOSTILE, 1)]),
    )
    text = "".join(texts).replace("\n", "")
    # The section heading, the table cell and the chart title; the title is shown upper-cased.
    assert text.count(HOSTILE) >= 3
    assert HOSTILE.upper() in text


def test_long_tables_are_capped_with_a_note():
    _, _, texts = _render(sections=[("Tin báo", COLUMNS, _rows(2_025))], row_limit=10)
    text = "\n".join(texts)
    assert "Công an xã số 9" in text
    assert "Công an xã số 10" not in text
    assert "… và 2.015 dòng khác, xem tệp CSV/XLSX." in text


def test_period_may_be_given_as_text_and_chart_omitted():
    _, _, texts = _render(period="Quý I năm 2025", chart=None, audit_hash="")
    assert "Quý I năm 2025" in texts[0]
    assert "Mã băm chuỗi kiểm toán" not in texts[0]


@pytest.mark.parametrize(
    ("column_type", "value", "shown"),
    [
        ("int", 1234567, "1.234.567"),
        ("int", -5, "-5"),
        ("float", 1234.5, "1.234,50"),
        ("percent", 0.953, "95,3%"),
        ("date", date(2025, 3, 5), "05/03/2025"),
        ("datetime", datetime(2025, 3, 5, 14, 30), "05/03/2025 14:30"),
        ("text", "Phòng PC04", "Phòng PC04"),
        ("int", None, ""),
    ],
)
def test_format_vietnamese(column_type, value, shown):
    assert format_vietnamese(column_type, value) == shown
