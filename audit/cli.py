"""`flask audit verify [--tenant SLUG]`, `flask audit anchor`."""
import sys

import click
from flask.cli import AppGroup

from audit.anchor import check_anchors, write_anchors
from core import audit
from core.tenancy import platform_scope
from tenants.params import TenantSlug

audit_cli = AppGroup("audit", help="The audit log.")


@audit_cli.command("verify")
@click.option("--tenant", "tenant", type=TenantSlug(), default=None)
def verify(tenant):
    """Exit 0 if every chain is intact, 1 naming the first broken record otherwise.

    Besides each record's hashes, the newest anchor written outside the database must still match, so a chain
    rewritten from the start with fresh hashes (or cut short) is caught too. Chains found intact are anchored
    again at once, so whatever happens to them after a verification is caught by the next one."""
    with platform_scope():
        for chain in audit.chains(tenant.id if tenant else None):
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
        for line in write_anchors():
            click.echo(f"anchored {line['chain']} seq={line['seq']}")


@audit_cli.command("anchor")
def anchor_command():
    """Write every chain's latest seq and hash to today's anchor file (and the log)."""
    lines = write_anchors()
    for line in lines:
        click.echo(f"{line['chain']} seq={line['seq']} {line['hash']}")
    if not lines:
        click.echo("no audit chain yet", err=True)
