"""`flask hierarchy move|merge|abolish-tier`: the tree changes, errors exit 1 in Vietnamese, and a re-import of
the province after a re-organisation changes nothing (units are matched by code)."""
from sqlalchemy import select

from core.extensions import db
from core.tenancy import tenant_scope
from hierarchy.models import Unit


def _tree(world):
    with tenant_scope(world["a"].tenant_id):
        return db.session.execute(select(Unit.code, Unit.path, Unit.parent_id, Unit.active).order_by(Unit.code)).all()


def test_move_merge_abolish_then_reimport_changes_nothing(app_ctx, world):
    a, run = world["a"], app_ctx.test_cli_runner().invoke
    commune, sibling, district = a.units["commune"].code, a.units["sibling"].code, a.units["district"].code

    moved = run(args=["hierarchy", "move", a.slug, commune, a.code])
    assert moved.exit_code == 0 and "Đã chuyển" in moved.output, moved.output
    merged = run(args=["hierarchy", "merge", a.slug, sibling, commune])
    assert merged.exit_code == 0 and "Đã sáp nhập" in merged.output, merged.output
    abolished = run(args=["hierarchy", "abolish-tier", a.slug, "district"])
    assert abolished.exit_code == 0 and "9 đơn vị giải thể" in abolished.output, abolished.output
    again = run(args=["hierarchy", "abolish-tier", a.slug, "district"])
    assert again.exit_code == 0 and "không có gì thay đổi" in again.output

    tree = _tree(world)
    reimport = run(args=["hierarchy", "import-province", a.slug, a.code])
    assert reimport.exit_code == 0 and "thêm 0 đơn vị" in reimport.output
    assert _tree(world) == tree
    with tenant_scope(a.tenant_id):
        assert db.session.execute(select(Unit.active).where(Unit.code == district)).scalar_one() is False


def test_errors_exit_1_with_the_reason(app_ctx, world):
    a, run = world["a"], app_ctx.test_cli_runner().invoke
    cases = (
        (["move", "khong-co", "1", "2"], "không có tenant"),
        (["move", a.slug, "00000", a.code], "không có đơn vị mã 00000"),
        (["move", a.slug, a.units["commune"].code, a.units["sibling"].code], "chỉ trực thuộc"),
        (["merge", a.slug, a.units["commune"].code, a.units["district"].code], "cùng cấp"),
        (["abolish-tier", a.slug, "commune"], "cấp huyện"),
    )
    for args, reason in cases:
        result = run(args=["hierarchy", *args])
        assert result.exit_code == 1, (args, result.output)
        assert "Lỗi:" in result.output and reason in result.output, (args, result.output)
