"""COPY-based bulk writing for the national dataset.

The product has bulk paths for the tree (`import_province`) and for counting (`record_many`, and the
rebuild of counters from events); rows it creates one request at a time (posts, tips, their messages) are
written here with PostgreSQL COPY, column by column from the product's own table definitions, so a column
a developer adds with a default is filled with that default instead of breaking the generator.
"""
import random
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from psycopg.types.json import Json

from core.timeutil import LOCAL_TZ

TEXT_NULL = "\\N"


def table_defaults(table):
    """{column: default} for every non-key column of a SQLAlchemy table (scalars and callables evaluated)."""
    defaults = {}
    for column in table.columns:
        if column.primary_key:
            continue
        default = column.default
        if default is None:
            defaults[column.name] = None
        elif default.is_scalar:
            defaults[column.name] = default.arg
        elif default.is_callable:
            try:
                defaults[column.name] = default.arg(None)
            except TypeError:
                defaults[column.name] = default.arg()
        else:
            defaults[column.name] = None
    return defaults


class TableCopy:
    """Rows for one table through `COPY … FROM STDIN`, given as dicts of the columns the caller knows."""

    def __init__(self, cursor, table, with_id=False):
        self.table = table
        self.defaults = table_defaults(table)
        self.columns = (["id"] if with_id else []) + list(self.defaults)
        missing = [column.name for column in table.columns
                   if not column.nullable and not column.primary_key and self.defaults.get(column.name) is None]
        self.required = set(missing)
        names = ", ".join(f'"{name}"' for name in self.columns)
        self._copy_cm = cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN')
        self._copy = None
        self.count = 0

    def __enter__(self):
        self._copy = self._copy_cm.__enter__()
        return self

    def __exit__(self, *exc):
        return self._copy_cm.__exit__(*exc)

    def write(self, values):
        absent = self.required - values.keys()
        if absent:
            raise KeyError(f"{self.table.name}: no value for required column(s) {sorted(absent)}")
        row = [values[name] if name in values else self.defaults[name] for name in self.columns]
        self._copy.write_row([Json(value) if isinstance(value, (dict, list)) else value for value in row])
        self.count += 1


def copy_text(cursor, table_name, columns, lines):
    """Fast path for the largest table: pre-formatted COPY text lines (tab-separated, `\\N` for NULL)."""
    names = ", ".join(columns)
    written = 0
    with cursor.copy(f"COPY {table_name} ({names}) FROM STDIN") as copy:
        buffer = []
        for line in lines:
            buffer.append(line)
            if len(buffer) >= 20000:
                copy.write("".join(buffer))
                written += len(buffer)
                buffer.clear()
        if buffer:
            copy.write("".join(buffer))
            written += len(buffer)
    return written


@contextmanager
def deferred_indexes(connection, table_name):
    """Drop a table's secondary indexes and foreign keys for a bulk load and recreate them, as defined, after.

    Maintaining four B-trees row by row makes COPY into `metric_events` ~30× slower than building them once
    afterwards; the rows are consistent by construction, and re-adding the foreign keys validates them anyway.
    """
    with connection.cursor() as cursor:
        indexes = cursor.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i JOIN pg_class c ON c.relname = i.indexname "
            "JOIN pg_index x ON x.indexrelid = c.oid WHERE i.tablename = %s AND NOT x.indisprimary "
            "AND NOT x.indisunique", (table_name,)).fetchall()
        keys = cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
            "AND contype = 'f'", (table_name,)).fetchall()
        for name, _definition in keys:
            cursor.execute(f'ALTER TABLE "{table_name}" DROP CONSTRAINT "{name}"')
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        connection.commit()
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for _name, definition in indexes:
                cursor.execute(definition)
            for name, definition in keys:
                cursor.execute(f'ALTER TABLE "{table_name}" ADD CONSTRAINT "{name}" {definition}')
            connection.commit()


def set_sequence(cursor, table_name, column="id"):
    cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table_name}', '{column}'), "
                   f"COALESCE((SELECT max({column}) FROM {table_name}), 0) + 1, false)")


def next_id(cursor, table_name):
    cursor.execute(f"SELECT COALESCE(max(id), 0) + 1 FROM {table_name}")
    return cursor.fetchone()[0]


def poisson(rng, mean):
    """A Poisson draw (normal approximation above 50: the dataset needs realistic counts, not exact tails)."""
    if mean <= 0:
        return 0
    if mean > 50:
        return max(0, int(round(rng.gauss(mean, mean ** 0.5))))
    limit, product, count = pow(2.718281828459045, -mean), rng.random(), 0
    while product > limit:
        product *= rng.random()
        count += 1
    return count


class Calendar:
    """The local days of the dataset's year, with cheap random instants inside them (local time, +07)."""

    def __init__(self, last_day, days):
        self.days = [last_day - timedelta(days=offset) for offset in range(days - 1, -1, -1)]
        self.iso = [day.isoformat() for day in self.days]

    def instant(self, rng, index, earliest=0):
        """A random aware datetime within day `index` (seconds after local midnight ≥ `earliest`)."""
        second = rng.randrange(earliest, 86400) if earliest < 86400 else 86399
        day = self.days[index]
        local = datetime(day.year, day.month, day.day, second // 3600, second // 60 % 60, second % 60,
                         tzinfo=LOCAL_TZ)
        return local.astimezone(UTC)

    def stamp(self, rng, index):
        """(COPY text of a random instant in day `index`, the day's ISO date)."""
        second = rng.randrange(86400)
        return (f"{self.iso[index]} {second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}+07",
                self.iso[index])


def local_date(moment):
    return moment.astimezone(LOCAL_TZ).date()


def seeded(seed, *parts):
    """A generator whose draws depend only on the seed and the parts (string seeds are stable across runs)."""
    return random.Random(":".join(str(part) for part in (seed,) + parts))
