"""A citizen's Zalo conversation, simulated with `flask zalo simulate --url` against the live server, shows up
in the commune's inbox (text, automatic reply, the photo fetched from the fake Zalo); an officer's reply typed
in the browser is delivered to the fake Zalo; the settings pages are shown to the director."""
import io
import json
import uuid
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from sqlalchemy import delete, select

from devtools.zalo_fake import FakeZalo
from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD
from zalo.client import TokenPair

pytestmark = pytest.mark.browser

APP_ID, APP_SECRET = "1730512954321986666", "browser-test-app-secret"
OA_SECRET_KEY, OA_ID = "browser-test-oa-secret-key", "2871465093512276666"
EVENTS = Path(__file__).resolve().parents[1] / "zalo" / "events"


@pytest.fixture
def zalo_live(app, world, monkeypatch):
    """The fake Zalo, tra-vinh's app, the commune linked and connected; all removed afterwards."""
    from core.extensions import db
    from core.tenancy import tenant_scope
    from hierarchy.models import Unit
    from zalo.models import OaConnection, ZaloApp
    from zalo.tokens import store_pair

    # tests/conftest.py's app_ctx teardown leaves an invalid mode behind; sessions here use the default
    monkeypatch.setitem(db.session.session_factory.kw, "join_transaction_mode", "conditional_savepoint")
    a = world["a"]
    with FakeZalo(apps={APP_ID: APP_SECRET}, default_oa_id=OA_ID) as fake:
        for key, value in (("ZALO_API_BASE", fake.base_url), ("ZALO_OAUTH_BASE", fake.base_url),
                           ("ZALO_MEDIA_HOSTS", ["127.0.0.1"]), ("ZALO_ALLOW_PRIVATE_MEDIA", True)):
            monkeypatch.setitem(app.config, key, value)
        pair = fake.issue_tokens(OA_ID, app_id=APP_ID)
        with app.app_context(), tenant_scope(a.tenant_id):
            zalo_app = ZaloApp(app_id=APP_ID)
            zalo_app.app_secret, zalo_app.oa_secret_key = APP_SECRET, OA_SECRET_KEY
            unit = db.session.execute(select(Unit).where(Unit.id == a.units["commune"].id)).scalar_one()
            unit.zalo_oa_id = OA_ID
            connection = OaConnection(unit_id=unit.id, oa_id=OA_ID)
            store_pair(connection, TokenPair(pair["access_token"], pair["refresh_token"], 90000))
            db.session.add_all([zalo_app, connection])
            db.session.commit()
        try:
            yield fake
        finally:
            with app.app_context(), tenant_scope(a.tenant_id):
                _remove_everything(a)


def _remove_everything(tenant):
    """Tips of the test's OA go with their messages, files, history and outbox rows (ON DELETE CASCADE)."""
    from core.extensions import db
    from hierarchy.models import Unit
    from inbox.evidence import private_storage
    from inbox.models import Tip, TipAttachment
    from inbox.vault import ReporterIdentity
    from metrics.models import Event
    from metrics.services import rebuild_counters
    from zalo.models import OaConnection, WebhookDelivery, ZaloApp

    tips = db.session.execute(select(Tip).where(Tip.zalo_oa_id == OA_ID)).scalars().all()
    tip_ids, reporter_ids = [tip.id for tip in tips], [tip.reporter_id for tip in tips]
    storage = private_storage()
    for attachment in db.session.execute(select(TipAttachment).where(TipAttachment.tip_id.in_(tip_ids))).scalars():
        for key in (attachment.original_key, attachment.stripped_key, attachment.thumbnail_key):
            if key:
                storage.delete(key)
    db.session.execute(delete(Event).where(Event.subject_type == "tip", Event.subject_id.in_(tip_ids)))
    db.session.execute(delete(Tip).where(Tip.id.in_(tip_ids)))
    db.session.execute(delete(ReporterIdentity).where(ReporterIdentity.id.in_(reporter_ids)))
    db.session.execute(delete(WebhookDelivery).where(WebhookDelivery.app_id == APP_ID))
    db.session.execute(delete(OaConnection).where(OaConnection.oa_id == OA_ID))
    db.session.execute(delete(ZaloApp).where(ZaloApp.app_id == APP_ID))
    db.session.execute(select(Unit).where(Unit.id == tenant.units["commune"].id)).scalar_one().zalo_oa_id = None
    rebuild_counters()
    db.session.commit()


def _screenshot_of_a_scam():
    """A phone-sized JPEG standing in for the citizen's screenshot."""
    image = Image.new("RGB", (360, 640), (236, 240, 246))
    draw = ImageDraw.Draw(image)
    for top, colour in ((60, (0, 104, 255)), (200, (255, 255, 255)), (340, (0, 104, 255))):
        draw.rounded_rectangle((24, top, 336, top + 110), radius=18, fill=colour)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def _drain(app):
    """With REDIS_URL the jobs wait in rq: run them (the embedded queue already ran them in the request)."""
    if app.config["REDIS_URL"]:
        from rq import SimpleWorker

        from core.jobs import QUEUES

        with app.app_context():
            SimpleWorker(list(QUEUES), connection=app.extensions["ketnoi_redis"]).work(burst=True)


def _simulate(app, live_server, path, unit_code, citizen):
    result = app.test_cli_runner().invoke(args=[
        "zalo", "simulate", str(path), "--unit", unit_code, "--tenant", "tra-vinh", "--fresh",
        "--sender", citizen, "--url", f"{live_server}/webhooks/zalo"])
    assert result.exit_code == 0 and result.output.startswith("200"), result.output
    _drain(app)


def test_a_zalo_conversation_reaches_the_inbox_and_the_reply_reaches_zalo(app, live_server, browser_page, artifacts,
                                                                         world, zalo_live, tmp_path):
    fake, a = zalo_live, world["a"]
    commune = a.units["commune"]
    citizen = str(6104937285500000000 + uuid.uuid4().int % 10**8)
    _simulate(app, live_server, EVENTS / "e1_user_send_text.json", commune.code, citizen)
    photo = json.loads((EVENTS / "e3_user_send_image.json").read_bytes())
    fake.add_media("evidence.jpg", _screenshot_of_a_scam(), "image/jpeg")
    photo["message"]["attachments"][0]["payload"]["url"] = fake.media_url("evidence.jpg")
    photo_event = tmp_path / "photo.json"
    photo_event.write_text(json.dumps(photo, ensure_ascii=False), encoding="utf-8")
    _simulate(app, live_server, photo_event, commune.code, citizen)

    [auto_reply] = fake.sent_messages
    assert auto_reply["user_id"] == citizen and "Mã tin báo:" in auto_reply["message"]["text"]
    code = auto_reply["message"]["text"].split("Mã tin báo: ")[1].split("\n")[0]

    officer = browser_page("desktop")
    sign_in(officer, live_server, a.users["officer"].email, PASSWORD)
    officer.goto(f"{live_server}/app/inbox?channel=zalo")
    officer.wait_for_selector(f"text={code}")
    officer.screenshot(path=str(artifacts / "zalo-inbox-desktop.png"), full_page=True)
    officer.click(f"text={code}")
    officer.wait_for_selector(".thread")
    thread = officer.inner_text(".thread")
    assert "Tôi muốn trình báo bị lừa đảo qua điện thoại" in thread
    assert "Ảnh chụp tin nhắn đối tượng yêu cầu chuyển tiền" in thread
    assert "đã tiếp nhận tin báo" in thread and "chỉ gửi qua Zalo" in thread  # the secret itself is not stored
    assert officer.locator(".thread img").count() >= 1  # the photo, fetched by the job from the fake
    reply = "Công an phường đã nhận được, cán bộ sẽ gọi lại cho anh trong hôm nay."
    officer.fill("#reply-body", reply)
    officer.click("form[action$='/reply'] button[type=submit]")
    officer.wait_for_selector(".flash.success")
    _drain(app)
    officer.reload()
    assert officer.inner_text(f".msg.out:has-text('{reply}') .delivery[data-delivery=sent]") == "Đã gửi"
    officer.screenshot(path=str(artifacts / "zalo-thread-desktop.png"), full_page=True)
    last = fake.sent_messages[-1]
    assert last["message"]["text"] == reply and last["user_id"] == citizen and last["oa_id"] == OA_ID

    phone = browser_page("phone")
    sign_in(phone, live_server, a.users["officer"].email, PASSWORD)
    phone.goto(officer.url)
    phone.wait_for_selector(".thread")
    phone.screenshot(path=str(artifacts / "zalo-thread-phone.png"), full_page=True)

    for size in ("desktop", "phone"):
        director = browser_page(size)
        sign_in(director, live_server, a.users["director"].email, PASSWORD)
        director.goto(f"{live_server}/app/zalo")
        assert director.is_visible(f"text={APP_ID}") and not director.is_visible(f"text={APP_SECRET}")
        director.screenshot(path=str(artifacts / f"zalo-settings-{size}.png"), full_page=True)
        director.goto(f"{live_server}/app/zalo/units/{commune.id}")
        assert director.is_visible("text=Đã kết nối")
        assert director.evaluate("document.documentElement.scrollWidth") <= (1280 if size == "desktop" else 390)
        director.screenshot(path=str(artifacts / f"zalo-unit-{size}.png"), full_page=True)
