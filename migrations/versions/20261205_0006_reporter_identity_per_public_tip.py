"""a vault record per web or API tip: tips that were matched to an earlier reporter by phone get their own

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05

Until now a public tip was attached to any reporter with the same phone, so staff saw the same pseudonym on
both (security review, finding 1). Intake no longer does that; this gives every web or API tip that still
shares its vault record (with another tip, or with a Zalo citizen) a copy of its own under a new random
pseudonym number. The copy keeps the name, phone and phone blind index (encrypted bytes copied as they are,
so no key is needed here) and drops the Zalo user, which only the Zalo tips' own record keeps. Zalo tips keep
their record: the OA user id is Zalo's proof of the sender. Not undone by a downgrade (the split is safe).
"""
import secrets

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

ALIAS_RANGE = (10000, 9_999_999)


def upgrade():
    bind = op.get_bind()
    tips = bind.execute(sa.text(
        "SELECT id, reporter_id, channel FROM tips WHERE reporter_id IS NOT NULL ORDER BY reporter_id, "
        "channel = 'zalo' DESC, created_at, id")).all()
    users = {}
    for tip_id, reporter_id, channel in tips:
        users.setdefault(reporter_id, []).append((tip_id, channel))
    taken = {}
    for reporter_id, holders in users.items():
        # The first holder keeps the record (a Zalo tip if there is one, else the earliest tip).
        for tip_id, channel in holders[1:]:
            if channel != "zalo":
                _give_own_record(bind, tip_id, reporter_id, taken)


def _give_own_record(bind, tip_id, reporter_id, taken):
    row = bind.execute(sa.text(
        "SELECT tenant_id, name_enc, phone_enc, phone_index, created_at, erased_at FROM reporter_identities "
        "WHERE id = :id"), {"id": reporter_id}).mappings().one()
    tenant = row["tenant_id"]
    if tenant not in taken:
        taken[tenant] = set(bind.execute(sa.text(
            "SELECT alias FROM reporter_identities WHERE tenant_id = :t"), {"t": tenant}).scalars())
    alias = secrets.randbelow(ALIAS_RANGE[1] - ALIAS_RANGE[0]) + ALIAS_RANGE[0]
    while alias in taken[tenant]:
        alias = secrets.randbelow(ALIAS_RANGE[1] - ALIAS_RANGE[0]) + ALIAS_RANGE[0]
    taken[tenant].add(alias)
    bind.execute(sa.text(
        "INSERT INTO reporter_identities (tenant_id, alias, name_enc, phone_enc, phone_index, created_at, erased_at) "
        "VALUES (:tenant_id, :alias, :name_enc, :phone_enc, :phone_index, :created_at, :erased_at)"),
        {**row, "alias": alias})
    new_id = bind.execute(sa.text(
        "SELECT id FROM reporter_identities WHERE tenant_id = :t AND alias = :a"), {"t": tenant, "a": alias}).scalar_one()
    bind.execute(sa.text("UPDATE tips SET reporter_id = :r WHERE id = :id"), {"r": new_id, "id": tip_id})


def downgrade():
    pass
