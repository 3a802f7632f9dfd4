"""Platform commands: `flask jobs tick|worker`, `flask audit verify`."""
import sys
import time

import click
from flask import current_app
from flask.cli import AppGroup

from core import audit
from core.extensions import db
from core.jobs import QUEUES, AppWorker, run_periodic_once
from core.registry import registry
from core.tenancy import platform_scope

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
audit_cli = AppGroup("audit", help="The audit log.")


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


@audit_cli.command("verify")
@click.option("--tenant", "tenant_slug", default=None)
def verify(tenant_slug):
    """Exit 0 if every chain is intact, 1 naming the first broken record otherwise.

    Besides each record's hashes, the newest anchor written outside the database must still match, so a chain
    rewritten from the start with fresh hashes (or cut short) is caught too."""
    from core.audit_anchor import check_anchors
    from tenants.services import tenant_by_slug

    with platform_scope():
        tenant_id = None
        if tenant_slug:
            tenant = tenant_by_slug(tenant_slug)
            if tenant is None:
                click.echo(f"Lỗi: không có tenant '{tenant_slug}'.", err=True)
                sys.exit(1)
            tenant_id = tenant.id
        for chain in audit.chains(tenant_id):
            broken = audit.verify_chain(chain)
            if broken is not None:
                if isinstance(broken, dict):
                    click.echo(f"BROKEN chain {chain}: records from seq {broken['missing_from_seq']} are missing")
                else:
                    click.echo(f"BROKEN chain {chain}: record id={broken.id} seq={broken.seq} "
                               f"action={broken.action} at={broken.at}")
                sys.exit(1)
            rewritten = check_anchors(chain)
            if rewritten:
                click.echo(f"BROKEN chain {chain}: {rewritten}")
                sys.exit(1)
            click.echo(f"ok {chain}")


def init_app(app):
    app.cli.add_command(jobs_cli)
    app.cli.add_command(audit_cli)
