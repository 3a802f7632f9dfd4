"""Demo data for `flask demo`: tra-vinh's Zalo app (whose keys the development fake, `devtools.zalo_fake`,
accepts), a few units linked to OAs, and a handful of Zalo conversations fed through the real processing path (stored
deliveries, processed by the same code as the webhook's job). Idempotent: a second run stores nothing new,
because every delivery has a fixed de-duplication key.
"""
import hashlib
import json
import logging

from core.extensions import db
from core.tenancy import tenant_scope
from hierarchy.services import unit_by_code
from tenants.models import tenant_slug
from zalo import processing
from zalo.services import configure_app, link_unit, tenant_app
from zalo.webhook import store_delivery

log = logging.getLogger(__name__)

DEMO_TENANT = "tra-vinh"
DEMO_OA_SECRET_KEY = "Xk9pQ2vL7mR4tY8wZ1aB"
# (unit code, OA id): Phường 7 has the OA of the README's samples and of the fake's default consent.
# The demo tenant's Zalo app and first OA (invented ids): the development fake accepts them by default.
DEFAULT_APP_ID = "1730512954321987654"
DEFAULT_APP_SECRET = "fake-app-secret-not-real"
DEFAULT_OA_ID = "2871465093512278311"
DEMO_OAS = (("29254", DEFAULT_OA_ID), ("29236", "2871465093512278320"), ("842", "2871465093512278338"))
# (unit code, citizen id, event name, text or attachment): several citizens, some with several messages.
CONVERSATIONS = (
    ("29254", "6104937285513340172", "user_send_text", "Tôi muốn trình báo bị lừa đảo qua điện thoại"),
    ("29254", "6104937285513340172", "user_send_text",
     "Đối tượng xưng là nhân viên ngân hàng, yêu cầu tôi chuyển 15 triệu đồng để \"xác minh tài khoản\"."),
    ("29254", "8841029375566120394", "user_send_location", (9.934721, 106.345118, "Chỗ tôi bị giật túi xách")),
    ("29236", "3356120948877104529", "user_send_text",
     "Cho tôi hỏi đăng ký tạm trú cho người thuê trọ cần mang giấy tờ gì ạ?"),
    ("29236", "5520193847561029384", "user_send_text",
     "Khu trọ gần chợ phường 4 tối nào cũng có nhóm thanh niên tụ tập gây ồn ào, xin công an kiểm tra."),
    ("842", "a9f3c2e1d0b74a6c", "anonymous_send_text",
     "Có nhóm thanh niên tụ tập đua xe ở đường Điện Biên Phủ mỗi tối thứ bảy"),
)
FOLLOWERS = (("29254", "7719302468851203346"), ("29254", "7719302468851203347"), ("29236", "7719302468851203348"))
BASE_MS = 1732345200123


def seed(app, tenant_id=None, **_kwargs):
    """`core.signals.demo_seed` receiver."""
    if tenant_slug(tenant_id) != DEMO_TENANT:
        return
    with tenant_scope(tenant_id):
        if tenant_app() is None:
            configure_app(DEFAULT_APP_ID, DEFAULT_APP_SECRET, DEMO_OA_SECRET_KEY, verified=True)
        for code, oa_id in DEMO_OAS:
            unit = unit_by_code(code)
            if unit is not None and unit.zalo_oa_id != oa_id:
                link_unit(unit, oa_id)
        db.session.commit()
        oa_of = dict(DEMO_OAS)
        for number, (code, citizen, event_name, content) in enumerate(CONVERSATIONS):
            _deliver(tenant_id, _message_event(number, oa_of[code], citizen, event_name, content))
        for number, (code, citizen) in enumerate(FOLLOWERS):
            _deliver(tenant_id, {"oa_id": oa_of[code], "follower": {"id": citizen}, "event_name": "follow",
                                 "source": "oa_profile", "app_id": DEFAULT_APP_ID,
                                 "timestamp": str(BASE_MS + 1000 * number)})


def _message_event(number, oa_id, citizen, event_name, content):
    msg_id = hashlib.sha256(f"ket-noi demo {number}".encode()).hexdigest()[:20]
    message = {"msg_id": msg_id}
    if isinstance(content, tuple):
        latitude, longitude, text = content
        message["text"] = text
        message["attachments"] = [{"type": "location", "payload": {"coordinates": {
            "latitude": str(latitude), "longitude": str(longitude)}}}]
    else:
        message["text"] = content
    if event_name.startswith("anonymous_"):
        message["conversation_id"] = hashlib.sha256(citizen.encode()).hexdigest()[:16]
    return {"app_id": DEFAULT_APP_ID, "sender": {"id": citizen}, "recipient": {"id": oa_id},
            "event_name": event_name, "message": message, "timestamp": str(BASE_MS + 60_000 * number)}


def _deliver(tenant_id, payload):
    raw = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    with tenant_scope(tenant_id):
        delivery_id = store_delivery(tenant_id, DEFAULT_APP_ID, payload["event_name"], payload, raw)
        if delivery_id is not None:
            processing.process(delivery_id)
