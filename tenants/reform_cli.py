"""`flask reform plan|apply OLD_SLUG --into NEW_SLUG [--overrides FILE]`: the 2025 reform for one tenant.

An overrides file settles what the official data cannot place: one `old_code,new_code` per line (a commune of
the old map, the commune of today's map it goes to), `#` starts a comment. `plan` reads it without keeping it;
`apply` keeps it with the old tenant (the reform page shows and edits the same list).
"""
import csv

import click
from flask.cli import AppGroup

from core.cli import fail
from core.errors import AppError
from core.extensions import db
from hierarchy.reform import CONTINUES, MERGES, MOVES, RETIRES
from tenants import reform

reform_cli = AppGroup("reform", help="The 2025 reform: carry a pre-reform tenant onto today's map.")
FATE_TITLES = {
    CONTINUES: "Tiếp tục với tên mới (giữ mã)",
    MERGES: "Sáp nhập vào xã, phường mới",
    RETIRES: "Ngừng hoạt động, giữ lịch sử, dưới Công an tỉnh mới",
    MOVES: "Chuyển sang nguyên trạng",
}


def _read_overrides(path):
    if not path:
        return None
    overrides = {}
    with open(path, encoding="utf-8") as handle:
        for number, row in enumerate(csv.reader(line.split("#")[0] for line in handle), start=1):
            cells = [cell.strip() for cell in row if cell.strip()]
            if not cells:
                continue
            if len(cells) != 2 or not all(cell.isdigit() for cell in cells):
                fail(f"{path} dòng {number}: cần 'mã_xã_cũ,mã_xã_mới'.", {"overrides": [f"dòng {number}"]})
            overrides[cells[0].zfill(5)] = cells[1].zfill(5)
    return overrides


def _print_plan(plan):
    old, echo = plan.old, click.echo
    if plan.done:
        echo(f"{old.slug} đã được chuyển vào {plan.new_slug}: không có gì thay đổi.")
        return
    echo(f"Chuyển {old.slug} ({old.name}) vào {plan.new_slug}")
    for note in plan.notes:
        echo(f"  • {note}")
    if plan.counts or plan.rows:
        figures = ", ".join(f"{key} {value}" for key, value in sorted(plan.counts.items()))
        echo(f"Dữ liệu chuyển theo: {figures}; {sum(plan.rows.values())} dòng trong {len(plan.rows)} bảng "
             "(nhật ký kiểm toán ở lại chuỗi cũ, được nối vào chuỗi mới).")
    for fate, title in FATE_TITLES.items():
        placements = plan.units.of(fate)
        if not placements:
            continue
        echo(f"\n{title}: {len(placements)}")
        for p in placements:
            if p.target and p.target != p.code:
                target = f" → {p.target} {p.target_name}"
            else:
                target = f" → {p.target_name}" if p.target_name and p.target_name != p.name else ""
            note = f"  ({p.note})" if p.note else ""
            echo(f"  {p.code:<6} {p.name}{target}{note}")
    if plan.staff:
        echo(f"\nCán bộ: {len(plan.staff)}")
        for line in plan.staff:
            echo(f"  {line.email:<40} {line.role:<11} {line.unit:<6} {line.becomes}")
    if plan.units.unsettled:
        echo(f"\nChưa xác định được, cần người vận hành quyết định (--overrides): {len(plan.units.unsettled)}")
        for item in plan.units.unsettled:
            hints = f"  gợi ý: {', '.join(item.hints)}" if item.hints else ""
            echo(f"  {item.code:<6} {item.name}: {item.why}{hints}")
    for refusal in plan.refusals:
        echo(f"\nKHÔNG THỂ CHUYỂN: {refusal}")
    echo("\nSẵn sàng: flask reform apply " + f"{old.slug} --into {plan.new_slug}" if plan.ready else
         "\nChưa thể áp dụng.")


@reform_cli.command("plan")
@click.argument("old_slug")
@click.option("--into", "new_slug", required=True, help="The tenant of the new province (created if missing).")
@click.option("--overrides", "overrides_path", default=None, type=click.Path(exists=True, dir_okay=False))
def plan_command(old_slug, new_slug, overrides_path):
    """Print what carrying OLD_SLUG into NEW_SLUG will do; changes nothing."""
    try:
        plan = reform.plan_reform(old_slug, new_slug, _read_overrides(overrides_path))
    except AppError as error:
        fail(error.message, error.fields)
    _print_plan(plan)
    db.session.rollback()


@reform_cli.command("apply")
@click.argument("old_slug")
@click.option("--into", "new_slug", required=True, help="The tenant of the new province (created if missing).")
@click.option("--overrides", "overrides_path", default=None, type=click.Path(exists=True, dir_okay=False))
def apply_command(old_slug, new_slug, overrides_path):
    """Carry OLD_SLUG into NEW_SLUG: all or nothing, audited, idempotent; exit 1 with the reasons otherwise."""
    try:
        plan, summary = reform.apply_reform(old_slug, new_slug, _read_overrides(overrides_path))
    except AppError as error:
        db.session.rollback()
        fail(error.message, error.fields)
    if summary is None:
        click.echo(f"{old_slug} đã được chuyển vào {new_slug} trước đó: không có gì thay đổi.")
        return
    db.session.commit()
    click.echo(f"Đã chuyển {old_slug} vào {new_slug}: {summary[CONTINUES]} đơn vị tiếp tục, "
               f"{summary[MERGES]} xã sáp nhập, {summary[RETIRES]} đơn vị ngừng hoạt "
               f"động, {summary[MOVES]} chuyển nguyên trạng; {sum(summary['rows'].values())} dòng.")
