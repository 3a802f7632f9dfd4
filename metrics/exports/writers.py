"""Streaming CSV and XLSX writers for exports.

The export jobs hand these a column spec and an iterator of rows: dicts by column key, or tuples
in column order (a register streamed from the database: no dict per row). Nothing here knows about
Flask or the database. Each column's cell formatting is chosen once, with a fast path for the
value class a column normally holds, so a million rows cost little more than the library calls.
Memory stays flat however many rows come through: CSV is written row by row, and XLSX uses
XlsxWriter's ``constant_memory`` mode, which spills each finished row to a temporary file.

Times are stored in UTC: a naive datetime is taken as UTC, and every datetime is shown in
Asia/Ho_Chi_Minh local time.
"""
from __future__ import annotations

import csv
import io
import itertools
import math
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, BinaryIO, NamedTuple
from zoneinfo import ZoneInfo

import xlsxwriter

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
COLUMN_TYPES = frozenset({"text", "int", "float", "date", "datetime", "percent"})
DEFAULT_PROGRESS_EVERY = 10_000
# A spreadsheet opens a cell starting with one of these as a formula (CSV/formula injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
EXCEL_MAX_DATA_ROWS = 1_048_575  # 1,048,576 rows per sheet, less the header row

Row = Mapping[str, Any]
ProgressCallback = Callable[[int], None]
CellValue = None | str | int | float | date | datetime


class Column(NamedTuple):
    """One exported column: the row-dict key, its Vietnamese header label and its type.

    Types: ``text``, ``int``, ``float``, ``date``, ``datetime`` and ``percent`` (a fraction:
    0.953 is shown as 95.3 %).
    """

    key: str
    label: str
    type: str = "text"


def normalise_columns(columns: Iterable[Sequence[str]]) -> list[Column]:
    """Accept ``Column`` objects or plain ``(key, label, type)`` tuples; reject unknown types."""
    normalised = [Column(*column) for column in columns]
    if not normalised:
        raise ValueError("an export needs at least one column")
    for column in normalised:
        if column.type not in COLUMN_TYPES:
            raise ValueError(f"unknown column type {column.type!r} for column {column.key!r}")
    return normalised


def neutralise_formula(text: str) -> str:
    """Prefix a quote to text a spreadsheet would otherwise run as a formula."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def to_local_time(moment: datetime) -> datetime:
    """The naive Asia/Ho_Chi_Minh wall time of ``moment``; a naive ``moment`` is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(LOCAL_TZ).replace(tzinfo=None)


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def _as_number(value: Any) -> CellValue:
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value if math.isfinite(value) else None
    return _as_text(value)


def _as_date(value: Any) -> CellValue:
    if isinstance(value, datetime):
        return to_local_time(value).date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    return _as_text(value)


def _as_datetime(value: Any) -> CellValue:
    if isinstance(value, datetime):
        return to_local_time(value)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, str):
        try:
            return to_local_time(datetime.fromisoformat(value))
        except ValueError:
            pass
    return _as_text(value)


_CONVERTERS: dict[str, Callable[[Any], CellValue]] = {
    "text": _as_text,
    "int": _as_number,
    "float": _as_number,
    "percent": _as_number,
    "date": _as_date,
    "datetime": _as_datetime,
}


def make_row_converter(columns: Sequence[Column]) -> Callable[[Row], list[CellValue]]:
    """Build a function turning a row dict into typed cell values, in column order.

    A value that does not fit its column's type (say, a string in an ``int`` column) is kept as
    text rather than dropped. Missing keys, ``None`` and non-finite numbers become empty cells.
    """
    plan = [(column.key, _CONVERTERS[column.type]) for column in columns]

    def convert(row: Row) -> list[CellValue]:
        values: list[CellValue] = []
        for key, to_cell in plan:
            value = row.get(key)
            values.append(None if value is None else to_cell(value))
        return values

    return convert


def _in_column_order(columns: Sequence[Column], rows: Iterable[Row | Sequence[Any]]) -> Iterator[Sequence[Any]]:
    """``rows`` as sequences of values in column order.

    Rows are all mappings (read by key; a missing key is an empty cell) or all sequences already in
    column order; the first row tells which.
    """
    rows = iter(rows)
    for first in rows:
        rows = itertools.chain((first,), rows)
        if not isinstance(first, Mapping):
            return rows
        keys = [column.key for column in columns]
        return ([row.get(key) for key in keys] for row in rows)
    return iter(())


def _fast_converter(column_type: str) -> Callable[[Any], CellValue]:
    """``_CONVERTERS[column_type]``, quicker for the class a column of that type normally holds."""
    convert = _CONVERTERS[column_type]
    if column_type == "text":
        return lambda value: value if value.__class__ is str else convert(value)
    if column_type == "datetime":
        return lambda value: to_local_time(value) if value.__class__ is datetime else convert(value)
    if column_type == "int":
        return lambda value: value if value.__class__ is int else convert(value)
    return convert


def _reporting_progress(
    rows: Iterable[Row], progress: ProgressCallback | None, every: int
) -> Iterator[Row]:
    """``rows``, with ``progress(done)`` called every ``every`` rows and once at the end."""
    if every < 1:
        raise ValueError("progress_every must be at least 1")
    if progress is None:
        return iter(rows)
    return _yield_reporting(rows, progress, every)


def _yield_reporting(rows: Iterable[Row], progress: ProgressCallback, every: int) -> Iterator[Row]:
    done = 0
    for row in rows:
        yield row
        done += 1
        if done % every == 0:
            progress(done)
    if done == 0 or done % every:
        progress(done)


def _csv_field(value: CellValue) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return neutralise_formula(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    return str(value)


def _csv_formatter(column_type: str) -> Callable[[Any], Any]:
    """A non-None value of a ``column_type`` column → what the csv module writes for it.

    The usual value class of a column takes a path of one expression; anything else goes the long way
    (``_CONVERTERS`` then ``_csv_field``), with the same result.
    """
    convert = _CONVERTERS[column_type]

    def long_way(value: Any) -> str:
        return _csv_field(convert(value))

    if column_type == "text":
        return lambda value: (
            ("'" + value if value.startswith(FORMULA_TRIGGERS) else value) if value.__class__ is str
            else long_way(value)
        )
    if column_type == "datetime":
        # Local wall time to the second: the aware ISO form, less its "+07:00".
        return lambda value: (
            value.astimezone(LOCAL_TZ).isoformat(" ", "seconds")[:19]
            if value.__class__ is datetime and value.tzinfo is not None else long_way(value)
        )
    if column_type == "int":
        # The csv module writes an int as str() does.
        return lambda value: value if value.__class__ is int else long_way(value)
    return long_way


def write_csv(
    columns: Iterable[Sequence[str]],
    rows: Iterable[Row],
    out: BinaryIO,
    *,
    progress: ProgressCallback | None = None,
    progress_every: int = DEFAULT_PROGRESS_EVERY,
) -> int:
    """Stream ``rows`` to ``out`` as UTF-8 CSV with a BOM; return the number of data rows.

    The BOM makes Excel read the file as UTF-8, so Vietnamese text survives a double-click.
    Dates are ISO (``2025-03-05``), datetimes local ``2025-03-05 14:30:00``, percents fractions.
    """
    columns = normalise_columns(columns)
    formatters = [_csv_formatter(column.type) for column in columns]
    values_of_rows = _in_column_order(columns, _reporting_progress(rows, progress, progress_every))
    text_out = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
    try:
        writer = csv.writer(text_out)
        writer.writerow([neutralise_formula(column.label) for column in columns])
        write_row, count = writer.writerow, 0
        for count, values in enumerate(values_of_rows, 1):  # noqa: B007 - the count is the return value
            # None is written as an empty field by the csv module itself.
            write_row([None if value is None else cell(value)
                       for cell, value in zip(formatters, values, strict=False)])
    finally:
        # Hand the caller's file back open: closing the wrapper would close it too.
        text_out.detach()
    return count


_XLSX_NUMBER_FORMATS = {
    "int": "#,##0",
    "float": "#,##0.00",
    "percent": "0.0%",
    "date": "dd/mm/yyyy",
    "datetime": "dd/mm/yyyy hh:mm",
}
_XLSX_TYPE_WIDTHS = {"text": 24, "int": 12, "float": 14, "percent": 10, "date": 12, "datetime": 17}
_XLSX_MAX_WIDTH = 50


def _column_width(column: Column) -> int:
    return min(max(_XLSX_TYPE_WIDTHS[column.type], len(column.label) + 2), _XLSX_MAX_WIDTH)


class _XlsxSheetWriter:
    """Writes typed rows into one workbook, starting a new sheet when Excel's row limit is hit."""

    def __init__(self, workbook: xlsxwriter.Workbook, columns: list[Column], sheet_name: str):
        self._workbook = workbook
        self._columns = columns
        self._sheet_name = sheet_name
        self._header_format = workbook.add_format(
            {"bold": True, "bg_color": "#D9E1F2", "bottom": 1, "text_wrap": True, "valign": "top"}
        )
        self._cells = [_xlsx_cell_writer(column.type, workbook) for column in columns]
        self._sheet_count = 0
        self._start_sheet()

    def _start_sheet(self) -> None:
        self._sheet_count += 1
        name = self._sheet_name if self._sheet_count == 1 else f"{self._sheet_name} ({self._sheet_count})"
        self._sheet = self._workbook.add_worksheet(name)
        self._row = 0
        for index, column in enumerate(self._columns):
            self._sheet.set_column(index, index, _column_width(column))
            self._sheet.write_string(0, index, neutralise_formula(column.label), self._header_format)
        self._sheet.freeze_panes(1, 0)

    def finish_sheet(self) -> None:
        self._sheet.autofilter(0, 0, self._row, len(self._columns) - 1)

    def write_row(self, values: Sequence[Any]) -> None:
        if self._row == EXCEL_MAX_DATA_ROWS:
            self.finish_sheet()
            self._start_sheet()
        self._row += 1
        sheet, row = self._sheet, self._row
        for col, (write_cell, value) in enumerate(zip(self._cells, values, strict=False)):
            if value is not None:
                write_cell(sheet, row, col, value)


XlsxCellWriter = Callable[[Any, int, int, Any], None]


def _xlsx_cell_writer(column_type: str, workbook: xlsxwriter.Workbook) -> XlsxCellWriter:
    """``write(sheet, row, col, value)`` for a non-None value of a ``column_type`` column."""
    number_format = _XLSX_NUMBER_FORMATS.get(column_type)
    cell_format = workbook.add_format({"num_format": number_format}) if number_format else None
    convert = _fast_converter(column_type)

    def write_cell(sheet: Any, row: int, col: int, value: Any) -> None:
        value = convert(value)
        if value is None:
            return
        if isinstance(value, str):
            # write_string, never write(): a string must not become a formula or a link.
            sheet.write_string(row, col, neutralise_formula(value))
        elif isinstance(value, date):
            sheet.write_datetime(row, col, value, cell_format)
        else:
            sheet.write_number(row, col, value, cell_format)

    def write_text(sheet: Any, row: int, col: int, value: Any) -> None:
        sheet.write_string(row, col, neutralise_formula(convert(value)))

    def write_moment(sheet: Any, row: int, col: int, value: Any) -> None:
        if value.__class__ is datetime:
            sheet.write_datetime(row, col, to_local_time(value), cell_format)
        else:
            write_cell(sheet, row, col, value)

    return {"text": write_text, "datetime": write_moment}.get(column_type, write_cell)


def write_xlsx(
    columns: Iterable[Sequence[str]],
    rows: Iterable[Row],
    out: BinaryIO,
    *,
    progress: ProgressCallback | None = None,
    progress_every: int = DEFAULT_PROGRESS_EVERY,
    sheet_name: str = "Dữ liệu",
    definitions: Sequence[tuple[str, str]] = (),
) -> int:
    """Stream ``rows`` to ``out`` as an XLSX workbook; return the number of data rows.

    Bold header row, frozen; numbers, dates (dd/mm/yyyy) and datetimes (dd/mm/yyyy hh:mm) are
    real typed cells. Past Excel's 1,048,575 data rows a sheet "<sheet_name> (2)" continues.
    Nothing reaches ``out`` until every row is written, so a failed export leaves it empty.
    """
    columns = normalise_columns(columns)
    values_of_rows = _in_column_order(columns, _reporting_progress(rows, progress, progress_every))
    # A private spill directory: if a row iterator raises, its removal takes the temp files along.
    with tempfile.TemporaryDirectory(prefix="ketnoi-xlsx-") as spill_dir:
        workbook = xlsxwriter.Workbook(
            out, {"constant_memory": True, "tmpdir": spill_dir, "use_zip64": True}
        )
        sheets = _XlsxSheetWriter(workbook, columns, sheet_name)
        count = 0
        for count, values in enumerate(values_of_rows, 1):  # noqa: B007 - the count is the return value
            sheets.write_row(values)
        sheets.finish_sheet()
        if definitions:
            _write_definitions(workbook, definitions)
        workbook.close()
    return count


def _write_definitions(workbook: xlsxwriter.Workbook, definitions: Sequence[tuple[str, str]]) -> None:
    """A sheet "Định nghĩa": each figure's label (as the columns name it) and what it counts."""
    sheet = workbook.add_worksheet("Định nghĩa")
    bold = workbook.add_format({"bold": True, "bg_color": "#D9E1F2", "bottom": 1})
    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
    sheet.set_column(0, 0, 32)
    sheet.set_column(1, 1, 100)
    sheet.write_string(0, 0, "Chỉ số", bold)
    sheet.write_string(0, 1, "Định nghĩa", bold)
    for row, (label, text) in enumerate(definitions, 1):
        sheet.write_string(row, 0, neutralise_formula(str(label)), wrap)
        sheet.write_string(row, 1, neutralise_formula(str(text)), wrap)
