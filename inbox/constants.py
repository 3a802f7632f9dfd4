"""The inbox's vocabularies (names of the public API) and their Vietnamese labels."""
from flask_babel import lazy_gettext as _l

CATEGORIES = {
    "crime_report": _l("Tố giác tội phạm"),
    "security_report": _l("Phản ánh an ninh trật tự"),
    "social_evil": _l("Tệ nạn xã hội"),
    "good_deed": _l("Gương người tốt việc tốt"),
    "complaint": _l("Khiếu nại"),
    "petition": _l("Kiến nghị"),
    "procedure_question": _l("Hỏi thủ tục hành chính"),
    "other": _l("Khác"),
}
SEVERITIES = {"low": _l("Thấp"), "normal": _l("Bình thường"), "high": _l("Cao"), "urgent": _l("Khẩn cấp")}
STATUSES = {
    "new": _l("Mới"),
    "acknowledged": _l("Đã tiếp nhận"),
    "in_progress": _l("Đang xử lý"),
    "resolved": _l("Đã giải quyết"),
    "closed": _l("Đã đóng"),
}
RESOLUTIONS = {
    "handled": _l("Đã xử lý"),
    "duplicate": _l("Trùng tin báo khác"),
    "spam": _l("Tin rác"),
    "not_our_jurisdiction": _l("Không thuộc thẩm quyền"),
    "no_action": _l("Không cần xử lý"),
}
CHANNELS = {"web": _l("Trang web"), "api": _l("API"), "zalo": _l("Zalo"), "open311": _l("Open311")}
DELIVERY_LABELS = {
    "pending": _l("Đang gửi"),
    "sent": _l("Đã gửi"),
    "delivered": _l("Đã nhận"),
    "seen": _l("Đã xem"),
    "undeliverable": _l("Chưa gửi được"),
    "failed": _l("Gửi lỗi"),
}
DELIVERY_STATES = tuple(DELIVERY_LABELS)

HISTORY_LABELS = {
    "created": _l("Tiếp nhận tin báo"), "routed": _l("Tự động chuyển theo lĩnh vực"), "view": _l("Xem"),
    "status": _l("Đổi trạng thái"), "severity": _l("Đổi mức độ"), "assign": _l("Giao xử lý"),
    "reply": _l("Trả lời"), "note": _l("Ghi chú nội bộ"), "reporter_message": _l("Người báo tin nhắn thêm"),
    "attachment": _l("Thêm tệp"), "forward": _l("Chuyển đơn vị"), "escalate": _l("Chuyển lên cấp trên"),
    "flagged": _l("Quá hạn ở cấp cao nhất"), "reveal": _l("Xem danh tính"),
    # Written by the Zalo channel when a message to the reporter could not go out (zalo/outbox.py).
    "zalo_undeliverable": _l("Không gửi được qua Zalo"), "zalo_failed": _l("Gửi qua Zalo lỗi"),
}

# The lifecycle: forward steps, closing from any open state (spam, duplicate...), and reopening a resolved tip.
TRANSITIONS = {
    "new": {"acknowledged", "closed"},
    "acknowledged": {"in_progress", "closed"},
    "in_progress": {"resolved", "closed"},
    "resolved": {"closed", "in_progress"},
    "closed": set(),
}
# A tip still being handled: it has a deadline in force, and a re-organisation hands it over.
OPEN_STATUSES = ("new", "acknowledged", "in_progress")
# Resolutions that mean the unit settled the matter (counted as resolved when a tip is closed directly).
SETTLING_RESOLUTIONS = {"handled", "no_action", "not_our_jurisdiction"}

MAX_DESCRIPTION = 5000
MAX_MESSAGE = 5000
MAX_PLACE = 300
MAX_NAME = 120
MAX_PHONE = 20
MAX_FILES = 5
