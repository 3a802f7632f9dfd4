"""`flask doctor` and `flask backup create|restore DIR`."""
import sys

import click
from flask.cli import with_appcontext

from core.cli import fail

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


@click.group("backup")
def backup_cli():
    """Backups: a consistent copy of the database and the file stores, and its verified restore."""


@backup_cli.command("create")
@click.argument("directory", type=click.Path(file_okay=False))
@with_appcontext
def backup_create(directory):
    """Write a backup into DIRECTORY (new or empty)."""
    from ops import backup

    try:
        manifest = backup.create(directory)
    except backup.BackupError as error:
        fail(str(error))
    click.echo(f"Đã sao lưu vào {directory}: {sum(manifest['row_counts'].values())} dòng trong "
               f"{len(manifest['row_counts'])} bảng, {len(manifest['files'])} tệp, lược đồ "
               f"{', '.join(manifest['schema_revision']) or '(không rõ)'}.")


@backup_cli.command("restore")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@with_appcontext
def backup_restore(directory):
    """Restore DIRECTORY into an empty database and empty stores, then check row counts and the audit log."""
    from flask import current_app

    from core.extensions import db
    from ops import backup

    try:
        manifest = backup.restore(directory)
    except backup.BackupError as error:
        fail(str(error))
    db.engine.dispose()  # the app's pool saw an empty database
    differences = backup.compare_counts(manifest)
    for table, expected, found in differences:
        click.echo(f"✗ {table}: bản sao lưu có {expected} dòng, đã phục hồi {found}")
    if differences:
        fail(f"{len(differences)} bảng không khớp số dòng với manifest")
    click.echo(f"✓ số dòng của {len(manifest['row_counts'])} bảng khớp với manifest")
    verify = current_app.cli.get_command(click.get_current_context(), "audit").get_command(None, "verify")
    try:
        click.get_current_context().invoke(verify, tenant=None)
    except SystemExit as stop:
        if stop.code:
            fail("nhật ký kiểm toán đã phục hồi không toàn vẹn (xem dòng BROKEN ở trên)")
    click.echo("✓ nhật ký kiểm toán toàn vẹn. Trên PostgreSQL, chạy `flask --app wsgi db roles` để cấp lại quyền "
               "cho vai trò của ứng dụng.")
