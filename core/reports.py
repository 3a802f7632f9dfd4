"""What an export can hold: the registry of reports, and what every report builder shares.

Each package builds the reports of its own data and registers them from its `init_app` with `register_report`
(inbox: the tips register and SLA compliance; content: the posts register; metrics: the roll-up; audit: the
log). The exports package runs the job and writes CSV, XLSX and PDF from the `Report` a builder returns; it
knows no register.

A builder takes `Params` and returns a `Report`. A register is read by ONE query, `CHUNK` rows at a time through
a server-side cursor (`stream`): memory is flat for a million rows and PostgreSQL walks the register once. The
cursor lives on a session of its own, so the job commits its progress on `db.session` without closing it.
Registers yield tuples in column order, their labels looked up in dicts built once per export: no dict per row.
"""
from collections.abc import Callable, Iterable, Mapping
from typing import NamedTuple

from sqlalchemy import func, select

from core.extensions import db
from core.registry import registry

CHUNK = 2000


class Chart(NamedTuple):
    """A horizontal bar chart for the PDF: `bars` are (label, value); `value_type` formats the values."""

    title: str
    bars: list
    value_type: str = "int"


class Report(NamedTuple):
    title: str
    columns: list  # (key, label, type): text, int, float, date, datetime, percent
    total: int  # rows `rows` will yield (for the progress bar)
    rows: Iterable  # dicts by column key, or (registers) tuples in column order
    summary: Callable[[], list] = list  # extra PDF sections (heading, columns, rows), before the main table
    chart: Callable[[], Chart | None] = lambda: None
    # The PDF's tables: (heading, columns). A page is narrower than a sheet: each report picks the columns a
    # reader needs, and the CSV/XLSX keep them all. More than one table means `rows` is a list.
    pdf_tables: tuple = ()
    # The CSV as one SELECT of finished text cells in column order, for PostgreSQL's COPY (`copy_csv` in the
    # exports package, which also gives the cells' SQL forms).
    copy_select: object = None
    # The definitions of the figures the report shows: [(label, definition)], printed as a sheet in XLSX and a
    # closing section in the PDF.
    definitions: tuple = ()


class Params(NamedTuple):
    unit: object  # the unit whose subtree the report covers
    date_from: object
    date_to: object
    start: object  # UTC bounds of the local days
    end: object
    filters: dict
    user: object  # the requester


class ReportType(NamedTuple):
    key: str
    label: object  # shown on the exports page
    action: str  # the read right the requester needs on the unit, besides `export.create`
    build: Callable[[Params], Report]
    filters: tuple = ()  # request filters the report reads (the audit report: actor, action)
    order: int = 50


def register_report(app, key, label, action, build, filters=(), order=50):
    registry("reports", app)[key] = ReportType(key, label, action, build, tuple(filters), order)


def report_types(app=None):
    """{key: ReportType} in the order the exports page lists them."""
    types = registry("reports", app)
    return {key: types[key] for key in sorted(types, key=lambda key: (types[key].order, key))}


def pick(columns, *keys):
    """The columns named by `keys`, in that order; a (key, label) pair gives the column a shorter label (a
    PDF table's numeric headers do not wrap)."""
    by_key = {column[0]: column for column in columns}
    picked = []
    for key in keys:
        key, label = key if isinstance(key, tuple) else (key, by_key[key][1])
        picked.append((key, label, by_key[key][2]))
    return picked


def stream(statement, key):
    """The rows (tuples) of `statement` in `key` order, from one query read `CHUNK` rows at a time.

    The query runs on a read-only session of its own (tenant-scoped like every session): committing the job's
    progress on `db.session` would otherwise end the transaction, and with it the server-side cursor. Joined to
    a connection already in a transaction (the tests' rolled-back one), it leaves that transaction alone."""
    session = db.session.session_factory(join_transaction_mode="rollback_only")
    try:
        yield from session.execute(statement.order_by(key), execution_options={"yield_per": CHUNK})
    finally:
        session.close()


def as_mappings(report):
    """The report's rows as dicts by column key (the PDF picks its columns by key); registers stream tuples."""
    keys = [column[0] for column in report.columns]
    for row in report.rows:
        yield row if isinstance(row, Mapping) else dict(zip(keys, row, strict=False))


def count_of(statement):
    return db.session.execute(select(func.count()).select_from(statement.order_by(None).subquery())).scalar_one()


def labels(mapping):
    """Lazy labels as plain strings, looked up once per export."""
    return {key: str(label) for key, label in mapping.items()}


def within(column, p):
    """`column` falls in the report's period (local days)."""
    return (column >= p.start) & (column < p.end)


def grouped_counts(statement, name, names=None):
    """[(label, n)] of `statement`'s rows grouped by its column `name`, largest first."""
    column = statement.order_by(None).subquery().c[name]
    grouped = select(column, func.count()).group_by(column)
    rows = sorted(db.session.execute(grouped).all(), key=lambda row: (-row[1], str(row[0])))
    return [((names or {}).get(value, value) or "—", count) for value, count in rows]


def count_section(heading, label, pairs):
    """A PDF section (heading, columns, rows) counting `pairs` of (label, n)."""
    columns = [("label", label, "text"), ("count", "Số lượng", "int")]
    return heading, columns, [{"label": name, "count": count} for name, count in pairs]


def chart(title, bars, value_type="int"):
    """A bar chart, or None without bars."""
    return Chart(title, bars, value_type) if bars else None
