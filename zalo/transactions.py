"""Writing after a network call, safely on SQLite as on PostgreSQL.

On SQLite (WAL) a transaction that read first and writes later fails at once with "database is locked" if
another connection committed in between: its snapshot is stale and waiting cannot help. So every write phase
that follows a call to Zalo starts by ending whatever was read before and taking the lock with a write:
on SQLite that is the database write lock (later writers wait for it, `busy_timeout`), on PostgreSQL the
row lock. Everything read afterwards is fresh, because the commit expired the loaded objects.
"""
from sqlalchemy import update

from core.extensions import db


def begin_writing(column, row_id):
    """Commit, then lock the row of `column`'s table with id `row_id` by writing `column` to itself."""
    model = column.class_
    db.session.commit()
    db.session.execute(update(model).where(model.id == row_id).values({column: column})
                       .execution_options(synchronize_session=False))
