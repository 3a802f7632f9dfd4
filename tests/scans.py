"""Helpers for confidentiality scans shared by the inbox and security suites."""
from sqlalchemy import JSON, LargeBinary, String, Text, select

from core.extensions import db


def stored_text_values():
    """Every value of every text-like column of every table, read without tenant scoping (Core selects)."""
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, (String, Text, JSON, LargeBinary)):
                for value in db.session.execute(select(column)).scalars():
                    if value is not None:
                        yield f"{table.name}.{column.name}", value
