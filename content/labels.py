"""Vietnamese labels of kinds, statuses and actions, shared by the staff and public templates."""
from flask_babel import lazy_gettext as _l

KIND_LABELS = {"news": _l("Tin hoạt động"), "warning": _l("Cảnh báo"), "procedure": _l("Thủ tục hành chính"),
               "notice": _l("Thông báo")}
STATUS_LABELS = {"draft": _l("Nháp"), "in_review": _l("Chờ duyệt"), "approved": _l("Đã duyệt"),
                 "scheduled": _l("Đã lên lịch"), "published": _l("Đã đăng"), "hidden": _l("Đã ẩn")}
STATUS_BADGES = {"draft": "muted", "in_review": "warn", "approved": "ok", "scheduled": "", "published": "ok",
                 "hidden": "danger"}
ACTION_LABELS = {"submit": _l("Gửi duyệt"), "approve": _l("Duyệt"), "reject": _l("Trả lại"),
                 "publish": _l("Đăng"), "hide": _l("Ẩn bài"), "delete": _l("Xoá nháp")}


def template_labels():
    from content.urls import avatar_url, media_url, post_url, unit_url

    return {"kind_labels": KIND_LABELS, "status_labels": STATUS_LABELS, "status_badges": STATUS_BADGES,
            "action_labels": ACTION_LABELS, "post_url": post_url,
            "unit_url": unit_url, "media_url": media_url, "avatar_url": avatar_url}
