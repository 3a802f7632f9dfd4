"""The services the Zalo channel calls: one open tip per (OA, citizen), idempotent messages, replies out."""
from sqlalchemy import select

from core.extensions import db
from core.tenancy import load, tenant_scope
from hierarchy.models import Unit
from inbox import services, signals, vault
from inbox.intake import add_reporter_message, attach_file, open_or_create_zalo_tip
from inbox.models import TipMessage
from tests.inbox.conftest import png_bytes

OA = "4318118815271310111"


def test_zalo_thread_reply_and_erasure(app_ctx, tenant_a):
    with tenant_scope(tenant_a.tenant_id):
        commune = load(Unit, tenant_a.units["commune"].id)
        first = open_or_create_zalo_tip(commune, "user-8842", OA, text="Có trộm ở chợ")
        assert first.created and first.secret and first.tip.channel == "zalo" and first.tip.zalo_oa_id == OA
        again = open_or_create_zalo_tip(commune, "user-8842", OA, text="Thêm thông tin")
        assert (again.tip.id, again.created, again.secret) == (first.tip.id, False, None)
        other_oa = open_or_create_zalo_tip(commune, "user-8842", "999", text="OA khác")
        assert other_oa.tip.id != first.tip.id  # Zalo user ids are per OA

        message = add_reporter_message(first.tip, "Xe máy màu đỏ", external_id="msg-1")
        assert add_reporter_message(first.tip, "Xe máy màu đỏ", external_id="msg-1").id == message.id
        photo = attach_file(first.tip, message, png_bytes(), "anh.png")
        assert photo.message_id == message.id

        sent = []

        def receiver(tip, message):
            sent.append(message.id)

        signals.staff_reply_added.connect(receiver)
        try:
            reply = services.add_staff_message(first.tip, None, "Đã nhận", external_id="oa-echo-1")
        finally:
            signals.staff_reply_added.disconnect(receiver)
        assert sent == [reply.id] and reply.delivery_state == "pending" and reply.author_id is None
        services.set_delivery_state(reply, "seen")
        services.escalate(first.tip, None, "Cần cấp huyện")
        assert first.tip.unit_id == tenant_a.units["district"].id and first.tip.zalo_oa_id == OA

        reporter = vault.reporter_by_zalo(OA, "user-8842")
        vault.store_identity(reporter, name="Người Dân", phone="0909000111")
        assert vault.reveal(reporter)["zalo_user_id"] == "user-8842"
        vault.erase_identity(reporter)
        assert vault.reporter_by_zalo(OA, "user-8842") is None
        assert vault.reveal(reporter)["name"] is None and first.tip.reporter_id == reporter.id
        db.session.commit()
        stored = db.session.execute(select(TipMessage.external_id).where(TipMessage.tip_id == first.tip.id)
                                    ).scalars().all()
        assert sorted(filter(None, stored)) == ["msg-1", "oa-echo-1"]


def test_a_reporter_whose_alias_was_just_taken_draws_another(app_ctx, tenant_a, in_tenant, monkeypatch):
    """Two requests may draw the same free alias at once; the second insert must not fail the tip."""
    from inbox import vault

    with in_tenant(tenant_a):
        first = vault.create_reporter(name="A")
        draws = iter([first.alias, first.alias + 1 if first.alias < 9999 else first.alias - 1])
        monkeypatch.setattr(vault, "_new_alias", lambda attempt=0: next(draws))
        second = vault.create_reporter(name="B")
        assert second.alias != first.alias and second.id is not None


def test_a_tenant_whose_four_digit_aliases_are_crowded_draws_larger_ones_first(app_ctx, tenant_a, in_tenant,
                                                                                monkeypatch):
    """Three taken four-digit draws in a row: the next reporter starts in the larger range (no failed inserts)."""
    from inbox import vault

    monkeypatch.setattr(vault, "_crowded_range", {})
    with in_tenant(tenant_a):
        taken = vault.create_reporter(name="A").alias
        attempts = []
        real_new_alias = vault._new_alias

        def draw(attempt=0):
            attempts.append(attempt)
            return taken if attempt < 3 else real_new_alias(attempt)

        monkeypatch.setattr(vault, "_new_alias", draw)
        crowded = vault.create_reporter(name="B")
        assert attempts == [0, 1, 2, 3] and crowded.alias >= 10000
        attempts.clear()
        following = vault.create_reporter(name="C")
        assert attempts == [3] and following.alias >= 10000
