"""`add_system_message` (the Zalo automatic reply goes through it) and how the tip page names delivery states."""
import pytest
from sqlalchemy import func, select

from core.errors import Invalid
from core.extensions import db
from core.tenancy import load, tenant_scope
from hierarchy.models import Unit
from inbox import services, signals
from inbox.intake import open_or_create_zalo_tip
from inbox.models import Tip, TipHistory
from metrics.models import Event

OA = "4318118815271310222"


def _count(model, *conditions):
    return db.session.execute(select(func.count()).select_from(model).where(*conditions)).scalar_one()


def test_a_system_message_is_not_a_staff_reply(app_ctx, make_tip, tenant_a):
    tip_id, _ = make_tip()
    with tenant_scope(tenant_a.tenant_id):
        commune = load(Unit, tenant_a.units["commune"].id)
        web_tip = load(Tip, tip_id)
        zalo_tip = open_or_create_zalo_tip(commune, "user-5150", OA, text="Có trộm").tip
        history, events = _count(TipHistory), _count(Event, Event.metric == "messages_out")
        sent = []

        def receiver(tip, message):
            sent.append(message.id)

        signals.staff_reply_added.connect(receiver)
        try:
            on_web = services.add_system_message(web_tip, "  Đã tiếp nhận tin báo.  ")
            on_zalo = services.add_system_message(zalo_tip, "Đã tiếp nhận tin báo.")
            seen = services.add_system_message(zalo_tip, "Cảm ơn anh/chị.", delivery_state="seen")
        finally:
            signals.staff_reply_added.disconnect(receiver)
        assert (on_web.author_kind, on_web.direction, on_web.author_id) == ("system", "out", None)
        assert on_web.body == "Đã tiếp nhận tin báo." and on_web.delivery_state == "sent"
        assert on_zalo.delivery_state == "pending" and seen.delivery_state == "seen"
        assert sent == [] and web_tip.status == "new" and web_tip.first_response_at is None
        assert _count(TipHistory) == history and _count(Event, Event.metric == "messages_out") == events
        with pytest.raises(Invalid):
            services.add_system_message(web_tip, "   ")
        with pytest.raises(ValueError):
            services.add_system_message(web_tip, "Xin chào", delivery_state="lost")


def test_a_web_tip_page_keeps_its_description_and_names_the_delivery_state(client, login_as, make_tip):
    tip_id, _ = make_tip(description="Có người lạ lảng vảng trước cổng trường.")
    token = login_as("officer")
    client.post(f"/app/inbox/{tip_id}/reply", data={"body": "Đang xác minh", "csrf_token": token})
    html = client.get(f"/app/inbox/{tip_id}").get_data(as_text=True)
    assert "data-description" in html and "Có người lạ lảng vảng trước cổng trường." in html
    assert 'data-delivery="sent">Đã gửi<' in html and ">sent<" not in html
    assert 'data-action="reply"' in html and "Trả lời" in html
