"""The re-organisation signals as a bulk operation (the reform) uses them: many merges in one `unit_merged`, the
counters rebuilt once on `units_moved`, and each package's receivers moving its own rows."""
from flask import current_app
from sqlalchemy import select

from core.extensions import db
from hierarchy.models import Unit
from hierarchy.reorg import merge_units, subtree_contents
from hierarchy.signals import unit_merged, units_moved
from tests.hierarchy_reorg.conftest import count_at, post_at, tip_at, totals, unit


def _communes(district, n):
    return db.session.execute(select(Unit).where(Unit.parent_id == district.id).order_by(Unit.code)
                              .limit(n)).scalars().all()


def test_many_pairs_in_one_signal_and_one_rebuild(in_a, monkeypatch):
    from content.models import Post
    from inbox.models import Tip
    from metrics import receivers

    district = unit(in_a.units["district"].code)
    first, second, third, fourth = _communes(district, 4)
    tips = {source.id: tip_at(source).id for source in (first, third)}
    posts = {source.id: post_at(source).id for source in (first, third)}
    for source, value in ((first, 4), (third, 6)):
        count_at(source, value=value)
    before = totals(district)
    rebuilds = []
    original = receivers.rebuild_counters
    monkeypatch.setattr(receivers, "rebuild_counters", lambda: (rebuilds.append(1), original()))

    pairs = [(first, second), (third, fourth)]
    for source, target in pairs:
        source.active, source.merged_into_id = False, target.id
    db.session.flush()
    unit_merged.send(current_app._get_current_object(), pairs=pairs)
    assert rebuilds == []  # following rows rebuilds nothing: the operation says when it is done
    units_moved.send(current_app._get_current_object(), tenant_id=in_a.tenant_id,
                     unit_ids=[second.id, fourth.id])

    assert rebuilds == [1]
    for source, target in pairs:
        assert db.session.get(Tip, tips[source.id]).unit_id == target.id
        assert db.session.get(Post, posts[source.id]).unit_id == target.id
        assert totals(source) == 0
    assert (totals(second), totals(fourth), totals(district)) == (4, 6, before)


def test_what_moves_is_counted_by_the_packages_that_own_it(in_a):
    source = unit(in_a.units["commune"].code)
    tip_at(source)
    tip_at(source, status="resolved")
    post_at(source)
    contents = subtree_contents(source)
    # the world's officer and commune admin work at this commune
    assert contents == {"units": 0, "tips": 2, "open_tips": 1, "posts": 1, "staff": 2}


def test_a_single_merge_rebuilds_the_counters_once(in_a, monkeypatch):
    from metrics import receivers

    rebuilds = []
    original = receivers.rebuild_counters
    monkeypatch.setattr(receivers, "rebuild_counters", lambda: (rebuilds.append(1), original()))
    assert merge_units(unit(in_a.units["commune"].code), unit(in_a.units["sibling"].code))
    assert rebuilds == [1]
