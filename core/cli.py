"""Platform commands: `flask jobs tick|worker|list-periodic`, and `fail()` for every command's errors."""
import sys
import time

import click
from flask import current_app
from flask.cli import AppGroup

from core.extensions import db
from core.jobs import QUEUES, AppWorker, run_periodic_once
from core.registry import registry

jobs_cli = AppGroup("jobs", help="Background jobs.")


class OperatorError(click.ClickException):
    """An operator's mistake or a refusal: one clear line `Lỗi: …` on stderr and exit code 1."""

    exit_code = 1

    def show(self, file=None):
        click.echo(f"Lỗi: {self.format_message()}", err=True)


def fail(message, fields=None):
    """Stop the command with `message` and the fields' reasons (from an `AppError`)."""
    detail = "; ".join(f"{name}: {' '.join(map(str, why))}" for name, why in (fields or {}).items())
    raise OperatorError(message + (f" ({detail})" if detail else ""))


@jobs_cli.command("tick")
@click.option("--every", default=60, show_default=True, help="Seconds between rounds.")
@click.option("--once", is_flag=True, help="Run one round and stop.")
def tick(every, once):
    """Run the periodic sweeps (the embedded default's scheduler; production uses `rq cron core.cron`)."""
    while True:
        run_periodic_once()
        db.session.remove()
        if once:
            return
        time.sleep(every)


@jobs_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
def worker(burst):
    """An rq worker with the scheduler, on every queue, inside this app (needs REDIS_URL)."""
    connection = current_app.extensions["ketnoi_redis"]
    if current_app.config["REDIS_URL"] is None:
        click.echo("REDIS_URL is not set: jobs run in-process; use `flask jobs tick` for the sweeps.", err=True)
        sys.exit(1)
    AppWorker(list(QUEUES), connection=connection).work(with_scheduler=True, burst=burst)


@jobs_cli.command("list-periodic")
def list_periodic():
    for func, seconds in registry("periodic"):
        click.echo(f"{func.__module__}.{func.__name__} every {seconds}s")


@click.command("roles")
@click.argument("role", default="ketnoi_app")
@click.option("--password-env", metavar="VAR", help="An environment variable holding the role's password.")
def db_roles(role, password_env):
    """(PostgreSQL) Create or update the app's login role ROLE and turn row-level security on.

    Run as the tables' owner (DATABASE_OWNER_URL, or DATABASE_URL) with the right to create roles, after every
    `flask db upgrade`; then point DATABASE_URL at ROLE. The role gets data rights only: no DDL, no BYPASSRLS,
    and the audit log append-only (core/rls.py)."""
    import os

    from core import rls

    engine = rls.owner_engine(current_app.config, fallback=current_app.config["SQLALCHEMY_DATABASE_URI"])
    if engine.dialect.name != "postgresql":
        fail("row-level security needs PostgreSQL; the embedded default relies on the ORM hook alone")
    password = os.environ.get(password_env) if password_env else None
    if password_env and not password:
        fail(f"the environment variable {password_env} is empty")
    with engine.begin() as connection:
        rls.enable(connection)
        rls.grant_app_role(connection, role, password)
        tables = len(rls.tenant_tables(connection))
    engine.dispose()
    click.echo(f"Vai trò {role}: quyền dữ liệu, không BYPASSRLS; bảo mật theo hàng bật trên {tables} bảng.")


def init_app(app):
    from flask_migrate.cli import db as migrate_cli

    app.cli.add_command(jobs_cli)
    migrate_cli.add_command(db_roles)
