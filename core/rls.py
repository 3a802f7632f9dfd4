"""Row-level security on PostgreSQL: the database as the second wall behind `core.tenancy`'s ORM hook.

Every table with a `tenant_id` column carries two permissive policies (and `FORCE ROW LEVEL SECURITY`, so the
tables' owner is held too):
- `tenant_rows`: the row's `tenant_id` equals the transaction's `app.tenant_id` setting;
- `platform_rows`: the transaction's `app.platform` setting is `on` — only `platform_scope()` sets it.
With neither set, a tenant-owned table reads as empty and refuses writes.

The settings follow the tenancy scope in force (`core.tenancy.current_scope`) and are set with
`set_config(…, is_local => true)`, i.e. `SET LOCAL`: they end with the transaction, so a connection handed back
to the pool, or to another client by a transaction-pooling pgbouncer, carries nothing over. They are sent
before the first statement of a transaction and again whenever the scope changes inside one (sign-in looks an
e-mail up in the platform scope, then works in the user's tenant), from a cursor hook: ORM queries, flushes,
Core statements and raw `text()` SQL all pass through it. What bypasses SQLAlchemy's cursor (the COPY export)
calls `apply` first.

The policies only bind a role that is neither a superuser nor `BYPASSRLS`: the application connects as such a
role (`flask db roles` creates it and grants what it needs), migrations run as the tables' owner
(`DATABASE_OWNER_URL`). SQLite has no such wall; there the ORM hook is the only one.
"""
from sqlalchemy import create_engine, event, text
from sqlalchemy.pool import NullPool

from core.tenancy import PLATFORM, current_scope

TENANT_SETTING = "app.tenant_id"
PLATFORM_SETTING = "app.platform"
_SET = "SELECT set_config('app.tenant_id', %s, true), set_config('app.platform', %s, true)"
_TRANSACTION_CONTROL = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK", "COMMIT", "BEGIN")
_STATE = "ketnoi_rls"  # Connection.info key: the settings sent in the current transaction


def settings_for(scope):
    """(app.tenant_id, app.platform) for a tenancy scope."""
    if scope == PLATFORM:
        return "", "on"
    if isinstance(scope, int):
        return str(scope), "off"
    return "", "off"


def install(engine):
    """Keep every transaction of `engine` (a PostgreSQL one) in step with the tenancy scope."""
    if engine.dialect.name != "postgresql" or event.contains(engine, "before_cursor_execute", _before_cursor):
        return
    event.listen(engine, "before_cursor_execute", _before_cursor)
    for name in ("begin", "rollback_savepoint"):
        # A new transaction starts with nothing set; rolling back a savepoint undoes what was set inside it.
        event.listen(engine, name, _forget)


def apply(connection):
    """Send the settings now, for work that reaches the driver's cursor directly (COPY)."""
    _send(connection, settings_for(current_scope()))


def _before_cursor(connection, cursor, statement, parameters, context, executemany):
    if statement.startswith(_TRANSACTION_CONTROL):
        return  # e.g. ROLLBACK TO SAVEPOINT after an error: nothing else may run before it
    if connection.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
        return  # a setting local to a transaction cannot outlive the statement (only VACUUM runs this way)
    wanted = settings_for(current_scope())
    if connection.info.get(_STATE) != wanted:
        _send(connection, wanted)


def _send(connection, wanted):
    # On the driver's connection, not the statement's cursor: that one may be a server-side (named) cursor.
    connection.connection.driver_connection.execute(_SET, wanted)
    connection.info[_STATE] = wanted


def _forget(connection, *args):
    connection.info.pop(_STATE, None)


def owner_engine(config, fallback=None):
    """An engine of the tables' owner (`DATABASE_OWNER_URL`) for the work the app's own role may not do
    (migrations, VACUUM, `flask db roles`); `fallback` (or None) where no owner is configured. The caller
    disposes of it."""
    url = config.get("DATABASE_OWNER_URL") or fallback
    if not url:
        return None
    engine = create_engine(url, poolclass=NullPool)
    install(engine)
    return engine


# --- policies and roles ------------------------------------------------------------------------------------
def tenant_tables(connection):
    """Every table of the public schema with a `tenant_id` column, as the database has them."""
    return connection.execute(text(
        "SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' "
        "AND column_name = 'tenant_id' ORDER BY table_name")).scalars().all()


def enable(connection, tables=None):
    """Turn the policies on for `tables` (default: every table with a `tenant_id`); idempotent. Run by the
    migration that introduced them and by any later one that adds a tenant-owned table."""
    for table in tables or tenant_tables(connection):
        connection.execute(text(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY'))
        connection.execute(text(f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY'))
        for policy, condition in (
                ("tenant_rows", "tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::integer"),
                ("platform_rows", "current_setting('app.platform', true) = 'on'")):
            connection.execute(text(f'DROP POLICY IF EXISTS {policy} ON "{table}"'))
            connection.execute(text(
                f'CREATE POLICY {policy} ON "{table}" USING ({condition}) WITH CHECK ({condition})'))


def disable(connection, tables=None):
    for table in tables or tenant_tables(connection):
        for policy in ("tenant_rows", "platform_rows"):
            connection.execute(text(f'DROP POLICY IF EXISTS {policy} ON "{table}"'))
        connection.execute(text(f'ALTER TABLE "{table}" NO FORCE ROW LEVEL SECURITY'))
        connection.execute(text(f'ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY'))


# The audit log is append-only for the application: it may read and add, never change, delete or truncate
# (review finding 18); the chain heads move forward only (their triggers check how), never disappear.
APPEND_ONLY = {"audit_log": ("UPDATE", "DELETE", "TRUNCATE"), "audit_chain_heads": ("DELETE", "TRUNCATE")}


def grant_app_role(connection, role, password=None):
    """Create (or update) the application's login role: no superuser, no BYPASSRLS, data rights only."""
    quoted = connection.execute(text("SELECT quote_ident(:role)"), {"role": role}).scalar_one()
    exists = connection.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :role"), {"role": role}).first()
    verb = "ALTER" if exists else "CREATE"
    options = "LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE"
    if password is not None:
        literal = connection.execute(text("SELECT quote_literal(:pw)"), {"pw": password}).scalar_one()
        options += f" PASSWORD {literal}"
    connection.execute(text(f"{verb} ROLE {quoted} {options}"))
    database = connection.execute(text("SELECT quote_ident(current_database())")).scalar_one()
    for statement in (
            f"GRANT CONNECT ON DATABASE {database} TO {quoted}",
            f"GRANT USAGE ON SCHEMA public TO {quoted}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}",
            f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {quoted}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {quoted}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {quoted}"):
        connection.execute(text(statement))
    present = set(connection.execute(text(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")).scalars())
    for table, rights in APPEND_ONLY.items():
        if table in present:
            connection.execute(text(f'REVOKE {", ".join(rights)} ON "{table}" FROM {quoted}'))


def role_problem(connection):
    """Why the connected role is not held by the policies (a superuser or BYPASSRLS), or None."""
    row = connection.execute(text(
        "SELECT rolname, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")).one()
    if row.rolsuper:
        return f"the database role {row.rolname} is a superuser: row-level security does not apply to it"
    if row.rolbypassrls:
        return f"the database role {row.rolname} has BYPASSRLS: row-level security does not apply to it"
    return None
