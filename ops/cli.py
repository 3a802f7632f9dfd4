"""`flask doctor` and `flask backup create|restore DIR`."""
import sys

import click
from flask.cli import with_appcontext

MARKS = {"ok": "✓", "warn": "!", "fail": "✗"}


@click.command("doctor")
@with_appcontext
def doctor():
    """Check this deployment and say in plain words what is wrong; exit 1 if anything is."""
    from ops.checks import run_checks

    findings = run_checks()
    for finding in findings:
        click.echo(f"{MARKS[finding.level]} {finding.topic}: {finding.message}")
    failed = [f for f in findings if f.level == "fail"]
    warned = [f for f in findings if f.level == "warn"]
    if failed:
        click.echo(f"\n{len(failed)} lỗi cần sửa, {len(warned)} cảnh báo.")
        sys.exit(1)
    click.echo(f"\nKhông có lỗi ({len(warned)} cảnh báo).")
