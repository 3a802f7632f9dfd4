"""A register's CSV written by PostgreSQL's `COPY (SELECT …) TO STDOUT`, byte-identical to `write_csv`.

`write_csv` spends its time in per-row Python (reading tuples through SQLAlchemy, formatting cells). On
PostgreSQL a register that offers a `copy_select` (a SELECT of the sort key, then one raw value per column,
labels already looked up) is copied instead: the server formats, quotes and streams the rows, and Python only
appends them.

Why the bytes are the same as `write_csv`'s:
- the BOM and header line are written by `write_csv` itself (with no rows);
- cells, formatted here by column type: text is made formula-neutral (`neutral_text`), times are local
  (`local_time`), and every empty text becomes NULL, which COPY writes as an empty unquoted cell, as the csv
  module writes "" and None (COPY would write an empty *string* as `""`); integers are written as they are;
- quoting: COPY's CSV quotes a value containing the delimiter, the quote, CR or LF, or equal to the NULL
  string (never written: empty text is NULL), and doubles quotes; Python's csv module (excel dialect,
  QUOTE_MINIMAL) quotes exactly the fields containing the delimiter, the quote or CR/LF, and doubles quotes;
- line ends: COPY ends every row with `\\n`, the csv module with `\\r\\n`. PostgreSQL sends exactly one CopyData
  message per row (protocol, "COPY Operations"), and psycopg's `Copy` yields one message per read, so the last
  byte of each message is the row's end and is replaced; a CR/LF inside a quoted cell is left alone, as the
  csv module leaves it. Counting messages also counts rows exactly, newlines in cells or not.
"""
from sqlalchemy import String, case, func, literal, select

from core import rls
from core.extensions import db
from metrics.exports.writers import FORMULA_TRIGGERS, LOCAL_TZ, normalise_columns, write_csv

CRLF = b"\r\n"
FLUSH_BYTES = 1 << 20
LOCAL_TIME_FORMAT = "YYYY-MM-DD HH24:MI:SS"  # the csv writer's `isoformat(" ", "seconds")`: seconds truncated


def neutral_text(expression):
    """`neutralise_formula` in SQL, and NULL for an empty text (an unquoted empty cell, like the csv module's)."""
    quoted = literal("'", String) + expression
    neutralised = case((func.left(expression, 1).in_(FORMULA_TRIGGERS), quoted), else_=expression)
    return func.nullif(neutralised, "")


def local_time(expression):
    """A timestamptz as the csv writer shows it: Asia/Ho_Chi_Minh wall time to the second; NULL stays NULL."""
    return func.to_char(func.timezone(LOCAL_TZ.key, expression), LOCAL_TIME_FORMAT)


CELLS = {"text": neutral_text, "datetime": local_time, "int": lambda expression: expression}


def copy_cells(report):
    """The SELECT COPY runs: the report's raw `copy_select` formatted cell by cell as `write_csv` would, in the
    order of its sort key (its first column)."""
    register = report.copy_select.subquery("register")
    key, *values = register.c
    columns = normalise_columns(report.columns)
    if len(values) != len(columns) or any(column.type not in CELLS for column in columns):
        raise ValueError("copy_select: the sort key, then one text, int or datetime value per column")
    return select(*[CELLS[column.type](value) for column, value in zip(columns, values, strict=True)]).order_by(key)


def uses_copy(report):
    return report.copy_select is not None and db.session.get_bind().dialect.name == "postgresql"


def write_report_csv(report, out, *, progress=None, progress_every):
    """The report as CSV into `out`, by COPY when it can; returns the number of data rows."""
    if not uses_copy(report):
        return write_csv(report.columns, report.rows, out, progress=progress, progress_every=progress_every)
    write_csv(report.columns, (), out)
    return _copy_rows(copy_cells(report), out, progress, progress_every)


def _copy_statement(select_statement, connection):
    """The COPY command and its parameters.

    Safe although it runs outside the session's tenancy hook: `select_statement` is built from the register's
    own SQLAlchemy statement, which names its tenant (`tips.tenant_id = …`) and its subtree's unit ids explicitly,
    and it is compiled by SQLAlchemy's PostgreSQL dialect into placeholders whose values psycopg binds (escaped,
    client-side, as COPY takes no server-side parameters): no value is formatted into the SQL text."""
    compiled = select_statement.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
    return f"COPY ({compiled}) TO STDOUT WITH (FORMAT csv, ENCODING 'UTF8')", compiled.params


def _copy_rows(select_statement, out, progress, progress_every):
    """Append the rows COPY streams to `out` with CRLF line ends; `progress(done)` every `progress_every` rows.

    On a session of its own, like `core.reports.stream` (joined to a test's transaction, it leaves it alone)."""
    session = db.session.session_factory(join_transaction_mode="rollback_only")
    done, buffer = 0, bytearray()
    try:
        connection = session.connection()
        command, params = _copy_statement(select_statement, connection)
        rls.apply(connection)  # COPY goes to the driver's cursor, past the hook that keeps the policies in step
        with connection.connection.driver_connection.cursor() as cursor, cursor.copy(command, params) as copy:
            for row in copy:
                buffer += row
                buffer[-1:] = CRLF
                done += 1
                if done % progress_every == 0:
                    if len(buffer) >= FLUSH_BYTES:
                        out.write(buffer)
                        buffer.clear()
                    if progress is not None:
                        progress(done)
        out.write(buffer)
    finally:
        session.close()
    if progress is not None and (done == 0 or done % progress_every):
        progress(done)  # the last call, as write_csv makes it
    return done
