"""Moving and merging units: paths, roll-ups, what follows a merged unit, and refusals before any change."""
import pytest
from sqlalchemy import func, select

from core.audit import AuditLog
from core.errors import Conflict, Invalid
from core.extensions import db
from hierarchy.models import Unit
from hierarchy.reorg import merge_units, move_unit
from tests.hierarchy_reorg.conftest import count_at, post_at, tip_at, totals, unit


def _audit(action):
    return db.session.execute(select(AuditLog).where(AuditLog.action == action)).scalars().all()


def test_a_moved_commune_takes_its_numbers_to_the_new_district(in_a, other_district):
    root, old, commune = unit(in_a.code), unit(in_a.units["district"].code), unit(in_a.units["commune"].code)
    count_at(commune, value=7)
    count_at(old, value=2)
    before = {"root": totals(root), "old": totals(old), "new": totals(other_district)}

    assert move_unit(commune, other_district) is True

    assert commune.path == f"{other_district.path}{commune.code}/" and commune.depth == 2
    assert commune.parent_id == other_district.id
    assert totals(old) == before["old"] - 7
    assert totals(other_district) == before["new"] + 7
    assert totals(root) == before["root"]
    [record] = _audit("unit.move")
    assert record.details == {"unit": commune.code, "from": old.code, "to": other_district.code, "units": 1}


def test_a_commune_may_sit_directly_under_the_hq_and_moving_twice_is_a_no_op(in_a):
    root, commune = unit(in_a.code), unit(in_a.units["commune"].code)
    assert move_unit(commune, root) is True
    assert (commune.path, commune.depth) == (f"/{in_a.code}/{commune.code}/", 1)
    assert move_unit(commune, root) is False
    assert len(_audit("unit.move")) == 1


@pytest.mark.parametrize("who, where, field", [
    ("root", "district", "unit_id"),        # the root cannot move
    ("commune", "sibling", "parent_id"),    # a commune under a commune
    ("department", "district", "parent_id"),  # a department sits under the HQ only
    ("district", "commune", "parent_id"),   # into its own subtree
])
def test_wrong_moves_are_refused_naming_the_field(in_a, who, where, field):
    moving, parent = unit(in_a.units[who].code), unit(in_a.units[where].code)
    path = moving.path
    with pytest.raises(Invalid) as refused:
        move_unit(moving, parent)
    assert field in refused.value.fields
    assert unit(in_a.units[who].code).path == path


def test_a_merge_hands_tips_posts_staff_and_history_to_the_target(in_a, client, world):
    from content.models import Post
    from inbox.models import Tip
    from tenants.models import Membership

    source, target = unit(in_a.units["commune"].code), unit(in_a.units["sibling"].code)
    district, root = unit(in_a.units["district"].code), unit(in_a.code)
    tip, post = tip_at(source), post_at(source)
    count_at(source, value=5)
    count_at(target, value=3)
    before = {"district": totals(district), "root": totals(root)}
    officer = in_a.users["officer"].id  # the world's officer works at the source commune

    assert merge_units(source, target) is True

    assert db.session.get(Tip, tip.id).unit_id == target.id
    assert db.session.get(Tip, tip.id).first_unit_id == source.id  # where it came in stays a fact
    assert db.session.get(Post, post.id).unit_id == target.id
    assert db.session.execute(select(Membership.unit_id).where(Membership.user_id == officer)).scalars().all() \
        == [target.id]
    assert (source.active, source.merged_into_id) == (False, target.id)
    assert totals(target) == 8 and totals(source) == 0
    assert totals(district) == before["district"] and totals(root) == before["root"]
    [record] = _audit("unit.merge")
    assert record.details["target"] == target.code and record.details["tips"] == 1
    assert merge_units(source, target) is False  # a re-run changes nothing
    assert len(_audit("unit.merge")) == 1


def test_a_merged_districts_communes_go_under_the_target(in_a, other_district):
    source = unit(in_a.units["district"].code)
    communes = db.session.execute(select(Unit.code).where(Unit.parent_id == source.id)).scalars().all()
    merge_units(source, other_district)
    for code in communes:
        moved = unit(code)
        assert moved.parent_id == other_district.id and moved.path == f"{other_district.path}{code}/"
    assert db.session.execute(select(func.count()).where(Unit.parent_id == source.id)).scalar_one() == 0


def test_duplicate_memberships_are_not_doubled(in_a):
    from tenants.models import Membership

    source, target = unit(in_a.units["commune"].code), unit(in_a.units["sibling"].code)
    officer = in_a.users["officer"].id
    db.session.add(Membership(user_id=officer, unit_id=target.id, role="officer"))
    db.session.flush()
    merge_units(source, target)
    rows = db.session.execute(select(Membership.unit_id, Membership.role).where(Membership.user_id == officer)).all()
    assert rows == [(target.id, "officer")]


def test_the_zalo_oa_follows_when_the_target_has_none(in_a):
    from zalo.models import OaConnection

    source, target = unit(in_a.units["commune"].code), unit(in_a.units["sibling"].code)
    source.zalo_oa_id = "4318265097512"
    db.session.add(OaConnection(unit_id=source.id, oa_id="4318265097512"))
    db.session.flush()
    merge_units(source, target)
    connection = db.session.execute(select(OaConnection).where(OaConnection.oa_id == "4318265097512")).scalar_one()
    assert connection.unit_id == target.id
    assert (target.zalo_oa_id, source.zalo_oa_id) == ("4318265097512", None)


def test_two_zalo_oas_refuse_the_merge_before_anything_changes(in_a):
    source, target = unit(in_a.units["commune"].code), unit(in_a.units["sibling"].code)
    tip = tip_at(source)
    source.zalo_oa_id, target.zalo_oa_id = "4318265097512", "4318265097513"
    db.session.flush()
    with pytest.raises(Conflict) as refused:
        merge_units(source, target)
    assert "target_id" in refused.value.fields
    assert source.active and tip.unit_id == source.id


@pytest.mark.parametrize("source_key, target_key", [("commune", "district"), ("commune", "commune"),
                                                    ("root", "root")])
def test_merges_of_different_kinds_or_into_itself_are_refused(in_a, source_key, target_key):
    with pytest.raises(Invalid):
        merge_units(unit(in_a.units[source_key].code), unit(in_a.units[target_key].code))


def test_a_subtree_is_rewritten_by_one_statement_whatever_its_size(in_a, other_district):
    """Merging a district re-paths all its communes with one UPDATE of paths and one of parent ids."""
    from sqlalchemy import event

    source = unit(in_a.units["district"].code)
    updates = []

    def _seen(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("UPDATE UNITS"):
            updates.append(statement)

    event.listen(db.engine, "before_cursor_execute", _seen)
    try:
        merge_units(source, other_district)
    finally:
        event.remove(db.engine, "before_cursor_execute", _seen)
    assert len(updates) <= 3, updates  # paths and depths, parent ids, the source's own row
