"""A4 PDF summary reports in Vietnamese, rendered by WeasyPrint from an HTML template.

A PDF is for people to read, sign and file, so its tables are capped (the full data belongs in
the CSV/XLSX export) and its bar chart is inline SVG drawn here: rendering needs no network and
no JavaScript. Every piece of data reaches the HTML through Jinja's autoescaping.
"""
from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

from jinja2 import Environment, FileSystemLoader
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from core.reports import Chart
from metrics.exports.writers import (
    CellValue,
    Column,
    make_row_converter,
    normalise_columns,
    to_local_time,
)

DEFAULT_ROW_LIMIT = 5_000
MAX_CHART_BARS = 30
TEMPLATES_DIR = Path(__file__).parent / "templates"
# Where distributions put DejaVu Sans (Debian/Ubuntu, Fedora, Alpine, Arch).
FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu-sans-fonts"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/share/fonts/TTF"),
)
# (font-weight, font-style) of each DejaVu Sans face the stylesheet uses.
REPORT_FONT_FILES = {
    ("normal", "normal"): "DejaVuSans.ttf",
    ("bold", "normal"): "DejaVuSans-Bold.ttf",
    ("normal", "italic"): "DejaVuSans-Oblique.ttf",
}

_CHART_WIDTH = 640
_CHART_LABEL_WIDTH = 200
_CHART_VALUE_WIDTH = 70
_CHART_BAR_HEIGHT = 14
_CHART_BAR_GAP = 6
_CHART_LABEL_CHARS = 34
_NUMERIC_TYPES = frozenset({"int", "float", "percent"})
_VIETNAMESE_SEPARATORS = str.maketrans({",": ".", ".": ","})

_templates = Environment(loader=FileSystemLoader(TEMPLATES_DIR), autoescape=True)


class Section(NamedTuple):
    """One table of the report: a heading, columns as for the CSV/XLSX writers, and row dicts."""

    heading: str
    columns: Sequence[Sequence[str]]
    rows: Iterable[Mapping[str, Any]]


def format_vietnamese(column_type: str, value: CellValue) -> str:
    """Show a typed cell value the Vietnamese way: 1.234.567 ; 12,50 ; 95,3% ; 05/03/2025."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if column_type == "percent":
        text = f"{value * 100:,.1f}%"
    elif column_type == "float":
        text = f"{value:,.2f}"
    else:
        text = f"{value:,}"
    return text.translate(_VIETNAMESE_SEPARATORS)


def find_report_fonts(font_dirs: Iterable[Path] = FONT_DIRS) -> dict[tuple[str, str], Path] | None:
    """The DejaVu Sans files by (weight, style), from the first directory holding them all."""
    for font_dir in font_dirs:
        files = {face: font_dir / name for face, name in REPORT_FONT_FILES.items()}
        if all(path.is_file() for path in files.values()):
            return files
    return None


class _FontFilesOnly(URLFetcher):
    """Lets WeasyPrint read the report's font files and nothing else, least of all the network."""

    def __init__(self, allowed_urls: Iterable[str]):
        super().__init__(allowed_protocols=("file",))
        self._allowed_urls = frozenset(allowed_urls)

    def fetch(self, url, headers=None):
        if url not in self._allowed_urls:
            raise ValueError(f"the PDF renderer may not fetch {url}")
        return super().fetch(url, headers)


def _font_face_css(fonts: dict[tuple[str, str], Path] | None) -> str:
    """@font-face rules naming DejaVu by file, so the report never depends on fontconfig's pick.

    Without the files the stylesheet's font-family list falls back to installed fonts.
    """
    if fonts is None:
        return ""
    return "".join(
        f'@font-face {{ font-family: "Report Sans"; font-weight: {weight}; font-style: {style}; '
        f'src: url("{path.as_uri()}"); }}\n'
        for (weight, style), path in fonts.items()
    )


def _period_text(period: str | tuple[date, date]) -> str:
    if isinstance(period, str):
        return period
    start, end = period
    return f"Từ ngày {start:%d/%m/%Y} đến ngày {end:%d/%m/%Y}"


def _section_context(section: Section, row_limit: int) -> dict[str, Any]:
    columns = normalise_columns(section.columns)
    convert = make_row_converter(columns)
    rows = iter(section.rows)
    shown = [
        [format_vietnamese(column.type, value) for column, value in zip(columns, convert(row), strict=False)]
        for row in itertools.islice(rows, row_limit)
    ]
    omitted = sum(1 for _ in rows)
    return {
        "heading": section.heading,
        "columns": [(column.label, column.type in _NUMERIC_TYPES) for column in columns],
        "rows": shown,
        "omitted_text": format_vietnamese("int", omitted) if omitted else "",
    }


def _shorten(label: str, limit: int) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _chart_context(chart: Chart) -> dict[str, Any]:
    """Geometry of the SVG bar chart, in CSS pixels; the template only draws it."""
    bars = list(chart.bars)
    shown = bars[:MAX_CHART_BARS]
    peak = max((value or 0 for _, value in shown), default=0) or 1
    bar_area = _CHART_WIDTH - _CHART_LABEL_WIDTH - _CHART_VALUE_WIDTH
    step = _CHART_BAR_HEIGHT + _CHART_BAR_GAP
    return {
        "title": chart.title,
        "width": _CHART_WIDTH,
        "height": len(shown) * step + _CHART_BAR_GAP,
        "label_width": _CHART_LABEL_WIDTH,
        "bar_height": _CHART_BAR_HEIGHT,
        "bars": [
            {
                "label": _shorten(str(label), _CHART_LABEL_CHARS),
                "value_text": format_vietnamese(chart.value_type, value),
                "y": _CHART_BAR_GAP + index * step,
                "width": round(max(value or 0, 0) / peak * bar_area, 1),
            }
            for index, (label, value) in enumerate(shown)
        ],
        "shown": len(shown),
        "total": len(bars),
    }


def render_pdf(
    out: BinaryIO,
    *,
    title: str,
    scope: str,
    period: str | tuple[date, date],
    generated_at: datetime,
    sections: Iterable[Section | tuple[str, Sequence[Column], Iterable[Mapping[str, Any]]]],
    chart: Chart | None = None,
    audit_hash: str = "",
    row_limit: int = DEFAULT_ROW_LIMIT,
) -> int:
    """Write an A4 report to the binary file ``out`` and return its page count.

    ``scope`` is the unit's name, ``period`` a text or a (first day, last day) pair,
    ``generated_at`` an aware or UTC-naive datetime shown in Vietnamese local time. Each section
    table shows at most ``row_limit`` rows and says how many more the CSV/XLSX export holds.
    """
    local_generated_at = to_local_time(generated_at)
    html = _templates.get_template("report.html").render(
        title=title,
        scope=scope,
        period=_period_text(period),
        generated_at=format_vietnamese("datetime", local_generated_at),
        signed_on=local_generated_at,
        sections=[_section_context(Section(*section), row_limit) for section in sections],
        chart=_chart_context(chart) if chart else None,
        audit_hash=audit_hash,
    )
    fonts = find_report_fonts()
    fetcher = _FontFilesOnly(path.as_uri() for path in (fonts or {}).values())
    font_config = FontConfiguration()
    stylesheets = [
        CSS(string=_font_face_css(fonts), font_config=font_config, url_fetcher=fetcher),
        CSS(filename=TEMPLATES_DIR / "report.css", font_config=font_config, url_fetcher=fetcher),
    ]
    document = HTML(string=html, url_fetcher=fetcher).render(
        stylesheets=stylesheets, font_config=font_config
    )
    document.write_pdf(out)
    return len(document.pages)
