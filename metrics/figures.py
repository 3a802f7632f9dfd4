"""Every figure the product shows or exports, defined once: what is counted, at which unit, on which date, for
which period, and how derived figures are computed from the counters.

The dashboard (tiles, ranking, SLA table, charts), the roll-up API, the metrics export and the definitions page
(`/app/metrics/definitions`) read labels, definitions and derived values from here; no surface computes its own
variant. Counters are written by `metrics.events.record()` at the unit holding the record when it happened, on
the Asia/Ho_Chi_Minh day it happened; a unit's figure is the sum over its subtree, a period's figure the sum over
its local days.
"""
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from metrics.events import FIRST_RESPONSE_BUCKETS

# A change is shown as a percentage only against a previous figure at least this large; below it (4 → 35 541
# would read "+888 450 %") only the absolute difference is shown, and "mới" when the previous figure was 0.
MIN_PERCENT_BASE = 20


@dataclass(frozen=True)
class Figure:
    key: str
    label: object  # Vietnamese, lazily translated (English in the catalogue)
    label_en: str
    counts: object  # what is counted, at which unit, on which date
    kind: str = "count"  # count, ratio (0…1), duration (seconds)
    higher_is_better: bool | None = True  # None: neither (more tips received is not good or bad)
    inputs: tuple = ()  # the counters a derived figure is computed from


_UNIT_DAY = _l("tại đơn vị đang giữ bản ghi lúc đó, vào ngày (giờ Việt Nam) xảy ra; số của một đơn vị gồm cả các "
               "đơn vị trực thuộc, số của một kỳ là tổng các ngày trong kỳ.")

FIGURES = {figure.key: figure for figure in (
    Figure("posts_published", _l("Bài đăng"), "Posts published",
           _l("Số bài viết được đăng (lần đăng đầu), tại đơn vị sở hữu bài, vào ngày đăng.")),
    Figure("post_views", _l("Lượt xem bài"), "Post views",
           _l("Số lượt xem bài viết trên trang công khai (một khách một bài một ngày), tại đơn vị sở hữu bài, vào "
              "ngày xem. Cột «Lượt xem trong kỳ» của sổ theo dõi bài viết đếm đúng các lượt này cho từng bài.")),
    Figure("followers_gained", _l("Người theo dõi mới"), "New followers",
           _l("Số lượt người dân bắt đầu theo dõi Zalo OA của đơn vị, vào ngày theo dõi.")),
    Figure("followers_lost", _l("Bỏ theo dõi"), "Unfollows",
           _l("Số lượt bỏ theo dõi Zalo OA của đơn vị, vào ngày bỏ theo dõi."), higher_is_better=False),
    Figure("followers_net", _l("Người theo dõi (tăng ròng)"), "Followers (net)",
           _l("Người theo dõi mới trừ bỏ theo dõi trong kỳ."), inputs=("followers_gained", "followers_lost")),
    Figure("messages_in", _l("Tin nhắn đến"), "Messages received",
           _l("Số tin nhắn người dân gửi đến đơn vị, vào ngày nhận.")),
    Figure("messages_out", _l("Tin nhắn trả lời"), "Replies sent",
           _l("Số tin nhắn đơn vị gửi trả lời người dân, vào ngày gửi.")),
    Figure("interactions", _l("Tương tác"), "Interactions",
           _l("Tin nhắn đến + tin nhắn trả lời + người theo dõi mới trong kỳ."),
           inputs=("messages_in", "messages_out", "followers_gained")),
    Figure("tips_received", _l("Tin báo tiếp nhận"), "Tips received",
           _l("Số tin báo, tố giác được tạo, tại đơn vị tiếp nhận đầu tiên, vào ngày tiếp nhận."),
           higher_is_better=None),
    Figure("tips_acknowledged", _l("Tin báo đã phản hồi"), "Tips acknowledged",
           _l("Số tin báo được xác nhận tiếp nhận (phản hồi đầu tiên), tại đơn vị xác nhận, vào ngày xác nhận.")),
    Figure("tips_resolved", _l("Tin báo đã giải quyết"), "Tips resolved",
           _l("Số tin báo được giải quyết (mỗi tin một lần), tại đơn vị giải quyết, vào ngày giải quyết.")),
    Figure("tips_escalated", _l("Tin báo chuyển cấp trên"), "Tips escalated",
           _l("Số lần tin báo được chuyển lên cấp trên, tại đơn vị chuyển đi, vào ngày chuyển."),
           higher_is_better=False),
    Figure("tips_overdue", _l("Tin báo quá hạn"), "Deadlines missed",
           _l("Số lần một thời hạn (tiếp nhận hoặc giải quyết) đã qua mà tin báo chưa được xử lý, tại đơn vị đang "
              "giữ tin báo, vào ngày thời hạn qua. Một tin báo quá hạn ở nhiều cấp được đếm ở mỗi cấp."),
           higher_is_better=False),
    Figure("sla_met", _l("Giải quyết đúng hạn"), "Resolved on time",
           _l("Số tin báo được giải quyết trước thời hạn giải quyết đang áp dụng tại đơn vị giải quyết, vào ngày "
              "giải quyết.")),
    Figure("sla_missed", _l("Giải quyết trễ hạn"), "Resolved late",
           _l("Số tin báo được giải quyết sau thời hạn giải quyết đang áp dụng tại đơn vị giải quyết, vào ngày "
              "giải quyết."), higher_is_better=False),
    Figure("sla_compliance", _l("Tỉ lệ giải quyết đúng hạn"), "Resolved on time (rate)",
           _l("Giải quyết đúng hạn ÷ (giải quyết đúng hạn + giải quyết trễ hạn) trong kỳ; không tính tin chưa giải "
              "quyết (xem «Tin báo quá hạn»)."), kind="ratio", inputs=("sla_met", "sla_missed")),
    Figure("first_response_count", _l("Lượt phản hồi đầu tiên"), "First responses",
           _l("Số tin báo có phản hồi đầu tiên, tại đơn vị phản hồi, vào ngày phản hồi.")),
    Figure("first_response_median", _l("Phản hồi đầu tiên – trung vị"), "First response – median",
           _l("Thời gian từ lúc tiếp nhận đến phản hồi đầu tiên, trung vị ước tính theo các nhóm ≤1 giờ, ≤4 giờ, "
              "≤24 giờ, ≤72 giờ, >72 giờ; tính trên các phản hồi trong kỳ."), kind="duration",
           higher_is_better=False, inputs=tuple(name for _limit, name in FIRST_RESPONSE_BUCKETS)),
    Figure("first_response_avg", _l("Phản hồi đầu tiên – trung bình"), "First response – mean",
           _l("Tổng thời gian đến phản hồi đầu tiên ÷ số lượt phản hồi đầu tiên trong kỳ."), kind="duration",
           higher_is_better=False, inputs=("first_response_seconds_sum", "first_response_count")),
)}

DERIVED_INPUTS = {key: figure.inputs for key, figure in FIGURES.items() if figure.inputs}
DERIVED = tuple(DERIVED_INPUTS)
SCOPE_NOTE = _UNIT_DAY


def figure(key):
    return FIGURES[key]


def label(key):
    """The figure's label in the user's language ("Tin báo quá hạn")."""
    return str(FIGURES[key].label) if key in FIGURES else key


def definitions(keys=None):
    """[(key, label, definition)] of `keys` (default: every figure), in definition order, as plain strings."""
    wanted = FIGURES if keys is None else [key for key in FIGURES if key in set(keys)]
    return [(key, str(FIGURES[key].label), f"{FIGURES[key].counts} {'' if FIGURES[key].inputs else SCOPE_NOTE}"
             .strip()) for key in wanted]


def derive(totals):
    """{derived name: value}; a ratio or time is None when there is nothing to compute it from."""
    get = totals.get
    met, missed = get("sla_met", 0), get("sla_missed", 0)
    count = get("first_response_count", 0)
    return {
        "followers_net": get("followers_gained", 0) - get("followers_lost", 0),
        "interactions": get("messages_in", 0) + get("messages_out", 0) + get("followers_gained", 0),
        "sla_compliance": (met / (met + missed)) if met + missed else None,
        "first_response_avg": (get("first_response_seconds_sum", 0) / count) if count else None,
        "first_response_median": median_from_buckets(totals),
    }


def values(totals):
    """Counters and derived figures in one mapping."""
    return {**totals, **derive(totals)}


def median_from_buckets(totals):
    """Estimated median first-response time in seconds, interpolated inside the bucket holding the middle
    response; None without responses. In the open last bucket (over 72 h) the estimate is its lower bound."""
    counts = [(limit, totals.get(name, 0)) for limit, name in FIRST_RESPONSE_BUCKETS]
    total = sum(count for _limit, count in counts)
    if not total:
        return None
    middle, seen, lower = total / 2, 0, 0
    for limit, count in counts:
        if count and seen + count >= middle:
            if limit is None:
                return float(lower)
            return lower + (limit - lower) * (middle - seen) / count
        seen += count
        lower = limit if limit is not None else lower
    return float(lower)


def change(current, previous):
    """Relative change in percent, or None when the previous figure is too small for a percentage to mean
    anything (below `MIN_PERCENT_BASE`, or zero or missing)."""
    if current is None or previous is None or abs(previous) < MIN_PERCENT_BASE:
        return None
    return (current - previous) * 100.0 / abs(previous)


def tone(key, delta):
    """"good", "bad" or "flat": how a change of `delta` reads for the figure (more overdue is bad)."""
    better = FIGURES[key].higher_is_better if key in FIGURES else None
    if not delta or better is None:
        return "flat"
    return "good" if (delta > 0) == better else "bad"
