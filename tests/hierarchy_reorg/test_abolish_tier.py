"""Abolishing the district tier (the 2025 reform): communes under the HQ, districts kept inactive with their
own history, their open tips forwarded, their staff kept (never widened); a re-run changes nothing."""
import pytest
from sqlalchemy import select

from core.audit import AuditLog
from core.errors import Invalid
from core.extensions import db
from hierarchy.models import Unit
from hierarchy.reorg import abolish_tier
from tests.hierarchy_reorg.conftest import count_at, tip_at, totals, unit


def _tree():
    return db.session.execute(select(Unit.code, Unit.path, Unit.depth, Unit.parent_id, Unit.active)
                              .order_by(Unit.code)).all()


def test_abolition_keeps_every_number_and_moves_communes_under_the_hq(in_a):
    from inbox.models import TipHistory

    root, district, commune = unit(in_a.code), unit(in_a.units["district"].code), unit(in_a.units["commune"].code)
    count_at(commune, value=4)
    count_at(district, value=6)
    open_tip, closed_tip = tip_at(district), tip_at(district, status="closed")
    before = totals(root)

    summary = abolish_tier("district")

    assert summary["units"] == 9 and summary["children"] == 104 and summary["tips_forwarded"] == 1
    assert totals(root) == before
    assert totals(district) == 6  # its own history, nothing of the communes that left
    communes = db.session.execute(select(Unit).where(Unit.kind == "commune")).scalars().all()
    assert {(c.parent_id, c.depth) for c in communes} == {(root.id, 1)}
    assert all(c.path == f"{root.path}{c.code}/" for c in communes)
    districts = db.session.execute(select(Unit).where(Unit.kind == "district")).scalars().all()
    assert {(d.parent_id, d.active) for d in districts} == {(root.id, False)}
    assert (open_tip.unit_id, closed_tip.unit_id) == (root.id, district.id)
    forward = db.session.execute(select(TipHistory).where(TipHistory.tip_id == open_tip.id,
                                                          TipHistory.action == "forward")).scalar_one()
    assert (forward.from_unit_id, forward.to_unit_id) == (district.id, root.id)
    assert db.session.execute(select(AuditLog.details).where(AuditLog.action == "unit.abolish_tier")
                              ).scalar_one() == summary


def test_a_second_abolition_changes_nothing(in_a):
    abolish_tier("district")
    tree = _tree()
    audits = db.session.execute(select(AuditLog.id)).scalars().all()
    assert abolish_tier("district") is None
    assert _tree() == tree
    assert db.session.execute(select(AuditLog.id)).scalars().all() == audits


def test_only_the_district_tier_can_be_abolished(in_a):
    with pytest.raises(Invalid) as refused:
        abolish_tier("commune")
    assert "tier" in refused.value.fields


def test_district_staff_keep_their_membership_but_not_the_communes(in_a, client, world):
    from tenants.models import Membership

    commune = unit(in_a.units["commune"].code)
    tip = tip_at(commune)
    abolish_tier("district")
    db.session.commit()
    admin = in_a.users["unit_admin"].id  # anchored at the world's district
    assert db.session.execute(select(Membership.unit_id).where(Membership.user_id == admin)).scalars().all() \
        == [in_a.units["district"].id]
    from tests.conftest import login

    login(client, in_a.users["unit_admin"].email)
    assert client.get(f"/app/inbox/{tip.id}").status_code == 404
