"""The inbox list and a Zalo tip's page on a 390-px phone and a 1280-px desktop: nothing wider than the screen,
even with a 40-digit OA id and a pasted link without spaces; the thread is in Vietnamese."""
import uuid

import pytest
from sqlalchemy import delete, select

from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

OA_ID = "2871465093512276666287146509351227666612"  # as long as an OA id may be (40 digits)
LINK = "https://chuyen-tien-nhanh.example/xac-nhan?ma=" + "A1b2C3d4E5" * 9
FIRST = f"{LINK} tôi bị lừa qua đường link này"
REPLY = "Công an xã đã nhận tin, đề nghị anh/chị không chuyển tiền và giữ lại tin nhắn."

# Elements of <main> sticking out to the right of the viewport, unless a scrolling box inside <main> holds them.
OVERFLOWING = """() => {
  const width = document.documentElement.clientWidth, main = document.querySelector('main');
  const scrolls = el => { for (let p = el.parentElement; p && p !== main; p = p.parentElement) {
    if (getComputedStyle(p).overflowX !== 'visible') return true; } return false; };
  return [...main.querySelectorAll('*')].filter(el => {
    const box = el.getBoundingClientRect(); return box.width > 0 && box.right > width + 1 && !scrolls(el);
  }).map(el => `${el.tagName.toLowerCase()}.${el.className}: ${el.textContent.trim().slice(0, 40)}`);
}"""


@pytest.fixture
def zalo_tip(app, world, monkeypatch):
    """A committed Zalo tip of tra-vinh's commune: the citizen's link, the automatic reply (sent) and a reply
    Zalo would not take (undeliverable); removed afterwards."""
    from core import transaction
    from core.extensions import db
    from core.tenancy import load, tenant_scope
    from hierarchy.models import Unit
    from inbox import services
    from inbox.history import record_history
    from inbox.intake import add_reporter_message, open_or_create_zalo_tip

    monkeypatch.setitem(db.session.session_factory.kw, "join_transaction_mode", "conditional_savepoint")
    a = world["a"]
    citizen = str(6104937285500000000 + uuid.uuid4().int % 10**8)
    with app.app_context(), tenant_scope(a.tenant_id):
        unit = load(Unit, a.units["commune"].id)
        tip = open_or_create_zalo_tip(unit, citizen, OA_ID, text=FIRST).tip
        add_reporter_message(tip, FIRST, external_id=f"msg-{citizen}")
        services.add_system_message(tip, "Công an xã đã tiếp nhận tin báo của anh/chị.", delivery_state="sent")
        message = services.add_staff_message(tip, None, REPLY, delivery_state="undeliverable")
        record_history(tip, "zalo_undeliverable", message_id=message.id, code="-230")
        tip_id, code = tip.id, tip.tracking_code
        transaction.discard()  # nothing to send: this tip never reaches the fake Zalo
        db.session.commit()
    try:
        yield tip_id, code
    finally:
        with app.app_context(), tenant_scope(a.tenant_id):
            _remove(tip_id)


def _remove(tip_id):
    from core.extensions import db
    from inbox.models import Tip
    from inbox.vault import ReporterIdentity
    from metrics.models import Event
    from metrics.services import rebuild_counters

    reporter_id = db.session.execute(select(Tip.reporter_id).where(Tip.id == tip_id)).scalar_one()
    db.session.execute(delete(Event).where(Event.subject_type == "tip", Event.subject_id == tip_id))
    db.session.execute(delete(Tip).where(Tip.id == tip_id))
    db.session.execute(delete(ReporterIdentity).where(ReporterIdentity.id == reporter_id))
    rebuild_counters()
    db.session.commit()


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_the_inbox_and_a_zalo_tip_fit_the_screen(app, live_server, browser_page, artifacts, world, zalo_tip, size):
    tip_id, code = zalo_tip
    page = browser_page(size)
    sign_in(page, live_server, world["a"].users["officer"].email, PASSWORD)

    page.goto(f"{live_server}/app/inbox?channel=zalo")
    page.wait_for_selector(f"text={code}")
    page.screenshot(path=str(artifacts / f"inbox-list-zalo-{size}.png"), full_page=True)
    assert page.evaluate(OVERFLOWING) == []

    page.goto(f"{live_server}/app/inbox/{tip_id}")
    page.wait_for_selector(".thread")
    page.screenshot(path=str(artifacts / f"inbox-zalo-tip-{size}.png"), full_page=True)
    assert page.evaluate(OVERFLOWING) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    assert OA_ID in page.inner_text(".facts")
    thread = page.inner_text(".thread")
    assert thread.count("tôi bị lừa qua đường link này") == 1  # no description bubble repeating it
    assert page.inner_text(f".msg.out:has-text('{REPLY}') .delivery") == "Chưa gửi được"
    assert "Không thể gửi qua Zalo cho đến khi người dân nhắn lại" in thread
    assert "Không gửi được qua Zalo" in page.inner_text(".history")
