"""Reading webhook events (Zalo's webhook event catalogue): who they are about, their key, their time, their content.

Pure functions over the parsed body; nothing here touches the database.
"""
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

RECEIPTS = {"user_received_message": "delivered", "user_seen_message": "seen"}
FOLLOWS = {"follow": "followers_gained", "unfollow": "followers_lost"}
MESSAGE_PREFIXES = ("user_send_", "anonymous_send_")
ECHO_PREFIX = "oa_send_"
# Types of file Zalo may send that `core.media.check_evidence` can keep, and the kind of media each is.
FETCHABLE_FILE_TYPES = {"jpg": "image", "jpeg": "image", "png": "image", "webp": "image", "mp4": "video",
                        "amr": "audio", "mp3": "audio", "m4a": "audio", "pdf": "document"}
MAX_BODY_CHARS = 5000
# A delivery's own timestamp is trusted for the message time only this close to when it arrived.
TRUSTED_CLOCK_SKEW = (timedelta(hours=2), timedelta(minutes=5))


@dataclass
class Content:
    """A citizen's message as text for the thread, plus the media to fetch: (kind, url) pairs."""

    body: str
    media: list = field(default_factory=list)


def as_id(value):
    return str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value) else None


def _part(payload, key, sub="id"):
    value = payload.get(key)
    return as_id(value.get(sub)) if isinstance(value, dict) else None


def is_message(event_name):
    return event_name.startswith(MESSAGE_PREFIXES)


def is_echo(event_name):
    return event_name.startswith(ECHO_PREFIX)


def message_of(payload):
    message = payload.get("message")
    return message if isinstance(message, dict) else {}


def msg_id_of(payload):
    return as_id(message_of(payload).get("msg_id"))


def dedup_key(app_id, event_name, payload, raw_body):
    """`message.msg_id` when there is one (with the event name: a receipt carries the msg_id of the message
    it is about), else the event name and the SHA-256 of the body (a retry sends identical bytes)."""
    msg_id = msg_id_of(payload)
    suffix = f"m:{msg_id}" if msg_id else "h:" + hashlib.sha256(raw_body).hexdigest()
    return f"{app_id}|{event_name[:64]}|{suffix}"[:200]


def oa_id_of(event_name, payload):
    """Which Official Account the event is for: the recipient of a citizen's message, the sender of an echo
    or a receipt, `oa_id` on follow and management events."""
    if event_name in RECEIPTS or is_echo(event_name):
        return _part(payload, "sender")
    if event_name.startswith("user_") or event_name.startswith("anonymous_"):
        return _part(payload, "recipient") or as_id(payload.get("oa_id"))
    return as_id(payload.get("oa_id")) or _part(payload, "recipient")


def citizen_id_of(event_name, payload):
    """The citizen's OA-scoped Zalo id."""
    if event_name in RECEIPTS or is_echo(event_name):
        return _part(payload, "recipient")
    if event_name in FOLLOWS:
        return _part(payload, "follower")
    return _part(payload, "sender") or as_id(payload.get("user_id"))


def event_ms(payload):
    try:
        return int(str(payload.get("timestamp")))
    except (TypeError, ValueError):
        return None


def event_time(payload, received_at):
    """The event's own time when it is plausible, else the time it reached us."""
    ms = event_ms(payload)
    if ms is None:
        return received_at
    try:
        at = datetime.fromtimestamp(ms / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return received_at
    early, late = TRUSTED_CLOCK_SKEW
    return at if received_at - early <= at <= received_at + late else received_at


def receipt_ids(payload):
    """A receipt names one message (`msg_id`) or several (`msg_ids`); accept both."""
    message = message_of(payload)
    ids = message.get("msg_ids")
    ids = list(ids) if isinstance(ids, list) else []
    ids.append(message.get("msg_id"))
    return list(dict.fromkeys(i for i in map(as_id, ids) if i))


def submitted_info(payload):
    """(name, phone) from `user_submit_info`, in either of its reported shapes."""
    info = payload.get("info")
    if not isinstance(info, dict):
        return None, None
    name, phone = info.get("name"), info.get("phone")
    return (name.strip()[:120] if isinstance(name, str) else None,
            as_id(phone) if phone is not None else None)


def content_of(event_name, payload):
    """The thread text of a citizen's message and the media to fetch."""
    message = message_of(payload)
    text = message.get("text") if isinstance(message.get("text"), str) else ""
    lines, media = [text.strip()] if text.strip() else [], []
    attachments = message.get("attachments")
    for attachment in attachments if isinstance(attachments, list) else []:
        if isinstance(attachment, dict):
            note = _describe(attachment, bool(text.strip()), media)
            if note:
                lines.append(note)
    if not lines:
        lines.append(_EMPTY.get(event_name.split("_send_")[-1], "[Tin nhắn Zalo]"))
    return Content("\n".join(lines)[:MAX_BODY_CHARS], media)


_EMPTY = {"image": "[Ảnh]", "gif": "[Ảnh GIF]", "sticker": "[Nhãn dán]", "business_card": "[Danh thiếp]"}


def _describe(attachment, has_text, media):
    kind = attachment.get("type")
    payload = attachment.get("payload") if isinstance(attachment.get("payload"), dict) else {}
    url = payload.get("url") if isinstance(payload.get("url"), str) else None
    if kind == "image":
        if url:
            media.append(("image", url))
        return None if has_text else "[Ảnh]"
    if kind == "gif":
        still = payload.get("thumbnail") if isinstance(payload.get("thumbnail"), str) else url
        if still:
            media.append(("image", still))
        return None if has_text else "[Ảnh GIF]"
    if kind == "video":
        if url:
            media.append(("video", url))
        description = payload.get("description")
        return "[Video]" + (f" {description.strip()}" if isinstance(description, str) and description.strip() else "")
    if kind == "audio":
        if url:
            media.append(("audio", url))
            return "[Tin nhắn thoại]"
        return "[Tin nhắn thoại — nghe trong trang quản lý Zalo OA]"
    if kind == "file":
        return _describe_file(payload, url, media)
    if kind == "location":
        return _describe_location(payload)
    if kind == "link":
        description = payload.get("description") if isinstance(payload.get("description"), str) else ""
        return " ".join(part for part in ("[Liên kết]", url or "", description.strip()) if part)
    if kind == "sticker":
        return "[Nhãn dán]"
    return "[Tệp đính kèm]"


def _describe_file(payload, url, media):
    """A fetched PDF or recording is named by its type only: the file name is not kept, it may name the
    citizen. Images and video need no note, the fetched file shows itself."""
    file_type = str(payload.get("type") or "").lower().lstrip(".")[:10]
    try:
        size = f", {max(1, round(int(payload.get('size')) / 1024))} KB"
    except (TypeError, ValueError):
        size = ""
    label = file_type.upper() or "không rõ loại"
    kind = FETCHABLE_FILE_TYPES.get(file_type)
    if url and kind:
        media.append((kind, url))
        return f"[Tệp {label}{size}]" if kind in ("audio", "document") else None
    return f"[Tệp {label}{size} — định dạng chưa nhận được, xem trong trang quản lý Zalo OA]"


def _describe_location(payload):
    coordinates = payload.get("coordinates") if isinstance(payload.get("coordinates"), dict) else {}
    try:
        latitude = float(coordinates.get("latitude"))
        longitude = float(coordinates.get("longitude"))
    except (TypeError, ValueError):
        return "[Vị trí]"
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return "[Vị trí]"
    return f"[Vị trí] {latitude:.6f}, {longitude:.6f} (https://www.google.com/maps?q={latitude:.6f},{longitude:.6f})"
