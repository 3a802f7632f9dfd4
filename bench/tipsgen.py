"""A year of citizens' tips for the national dataset: tips, their messages, history and escalations, and the
metric events each step of a tip's life counts (each metric once, at the unit that did it).

Creating a tip through `inbox.intake.submit_tip` costs a request's worth of work (the intake benchmark
measures exactly that), so a year of national tips is written with COPY from the inbox's own table
definitions, with the same lifecycle the product follows: received at the unit the citizen chose,
acknowledged (first response), sometimes escalated to the parent after a missed acknowledgement deadline,
resolved against its deadline, closed.
"""
import hashlib
from datetime import timedelta

from bench.bulk import TableCopy, poisson
from metrics.events import first_response_bucket

CATEGORY_WEIGHTS = (("security_report", 26), ("crime_report", 18), ("social_evil", 12), ("complaint", 12),
                    ("procedure_question", 14), ("petition", 5), ("good_deed", 5), ("other", 8))
SEVERITY_WEIGHTS = (("low", 10), ("normal", 70), ("high", 15), ("urgent", 5))
CHANNEL_WEIGHTS = (("web", 45), ("zalo", 45), ("api", 10))
DESCRIPTIONS = (
    "Khu vực đầu hẻm thường xuyên có nhóm thanh niên tụ tập gây mất trật tự vào ban đêm.",
    "Tôi muốn phản ánh tình trạng xe tải chạy quá tốc độ qua khu dân cư giờ tan học.",
    "Có người lạ thường xuyên ra vào căn nhà cuối xóm, nghi có hoạt động đánh bạc.",
    "Xin hỏi thủ tục đăng ký thường trú cho con mới sinh cần những giấy tờ gì?",
    "Nhà hàng xóm mở nhạc lớn sau 22 giờ nhiều ngày liền, đã nhắc nhưng không thay đổi.",
    "Tôi nhặt được ví có giấy tờ tùy thân, muốn gửi lại cho công an xã để trả người mất.",
    "Đường liên xã bị đổ trộm phế thải xây dựng, gây cản trở giao thông.",
    "Phản ánh tình trạng cho vay nặng lãi, đòi nợ bằng cách ném chất bẩn vào nhà.",
)
REPLIES = ("Công an xã đã tiếp nhận, sẽ cử cán bộ xác minh trong ngày.",
           "Cảm ơn anh/chị đã cung cấp thông tin, chúng tôi đang xử lý.",
           "Đơn vị đã xác minh và xử lý theo quy định. Xin cảm ơn.")
FOLLOW_UPS = ("Tình trạng vẫn tiếp diễn tối qua.", "Tôi bổ sung thêm thông tin về thời gian xảy ra.",
              "Xin cảm ơn các anh đã xử lý kịp thời.")
ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
_SCRAMBLE = 1_000_000_007  # coprime with 30**8: a bijection that makes sequential codes look random
_CODE_SPACE = 30 ** 8
ACK_HOURS = 24
RESOLVE_DAYS = {"crime_report": 20}
DEFAULT_RESOLVE_DAYS = 7


def tracking_code(prefix, sequence):
    number, body = (sequence * _SCRAMBLE) % _CODE_SPACE, []
    for _ in range(8):
        number, digit = divmod(number, 30)
        body.append(ALPHABET[digit])
    return f"{prefix}-{''.join(body[:4])}-{''.join(body[4:])}"


def _weighted(rng, pairs):
    total = sum(weight for _name, weight in pairs)
    point = rng.random() * total
    for name, weight in pairs:
        point -= weight
        if point < 0:
            return name
    return pairs[-1][0]


class TipWriter:
    """Generates tips for one tenant and writes them (and their events) with one COPY per table."""

    def __init__(self, cursor, models, tenant_id, prefix, first_id, first_code, now, rng):
        self.cursor, self.models, self.tenant_id, self.prefix = cursor, models, tenant_id, prefix
        self.next_id, self.next_code, self.now, self.rng = first_id, first_code, now, rng
        self.tips, self.messages, self.history, self.escalations, self.events = [], [], [], [], []

    def add(self, unit, parent, created_at):
        """One tip sent to `unit` (a row of the tree: id, parent_id, …) at `created_at`."""
        rng, now = self.rng, self.now
        tip_id, self.next_id = self.next_id, self.next_id + 1
        code, self.next_code = tracking_code(self.prefix, self.next_code), self.next_code + 1
        category = _weighted(rng, CATEGORY_WEIGHTS)
        ack_due = created_at + timedelta(hours=ACK_HOURS)
        resolve_due = created_at + timedelta(days=RESOLVE_DAYS.get(category, DEFAULT_RESOLVE_DAYS))
        tip = {"id": tip_id, "tenant_id": self.tenant_id, "tracking_code": code,
               "secret_hash": hashlib.sha256(code.encode()).hexdigest(), "unit_id": unit.id,
               "first_unit_id": unit.id, "channel": _weighted(rng, CHANNEL_WEIGHTS), "category": category,
               "severity": _weighted(rng, SEVERITY_WEIGHTS), "status": "new", "resolution": None,
               "description": DESCRIPTIONS[rng.randrange(len(DESCRIPTIONS))], "place": "",
               "ack_due_at": ack_due, "resolve_due_at": resolve_due, "overdue": False, "escalated": False,
               "flagged_at_root": False, "created_at": created_at, "updated_at": created_at,
               "last_message_at": created_at}
        self._history(tip_id, "created", created_at, to_unit=unit.id)
        self._event("tips_received", unit.id, created_at, tip_id)
        holder = unit.id
        # About one tip in twelve misses its acknowledgement deadline and goes up to the parent unit.
        if parent is not None and rng.random() < 0.08 and ack_due <= now:
            self._event("tips_overdue", holder, ack_due, tip_id)
            self._event("tips_escalated", holder, ack_due, tip_id)
            self.escalations.append({"tenant_id": self.tenant_id, "tip_id": tip_id, "from_unit_id": holder,
                                     "to_unit_id": parent, "at": ack_due, "reason": "Quá hạn xác nhận",
                                     "automatic": True, "deadline_kind": "ack", "missed_deadline": ack_due})
            self._history(tip_id, "escalated", ack_due, from_unit=holder, to_unit=parent)
            holder = parent
            tip.update(unit_id=parent, overdue=True, escalated=True, updated_at=ack_due)
            acknowledged_at = ack_due + timedelta(hours=rng.expovariate(1 / 3))
        else:
            acknowledged_at = created_at + timedelta(hours=rng.lognormvariate(0.7, 1.0))
        if acknowledged_at > now or rng.random() > 0.93:
            self.tips.append(tip)
            return
        seconds = int((acknowledged_at - created_at).total_seconds())
        tip.update(status="acknowledged", acknowledged_at=acknowledged_at, first_response_at=acknowledged_at,
                   updated_at=acknowledged_at, last_message_at=acknowledged_at)
        self._history(tip_id, "acknowledged", acknowledged_at)
        self._event("tips_acknowledged", holder, acknowledged_at, tip_id)
        self._event("first_response_seconds_sum", holder, acknowledged_at, tip_id, seconds)
        self._event("first_response_count", holder, acknowledged_at, tip_id)
        self._event(first_response_bucket(seconds), holder, acknowledged_at, tip_id)
        self._message(tip_id, "out", REPLIES[0], acknowledged_at, holder)
        if rng.random() < 0.4:
            follow_up = acknowledged_at + timedelta(hours=rng.expovariate(1 / 12))
            if follow_up <= now:
                self._message(tip_id, "in", FOLLOW_UPS[rng.randrange(len(FOLLOW_UPS))], follow_up, holder)
                tip["last_message_at"] = follow_up
        resolved_at = acknowledged_at + timedelta(days=rng.lognormvariate(0.8, 0.9))
        if resolved_at > now or rng.random() > 0.85:
            tip["status"] = "in_progress"
            self.tips.append(tip)
            return
        tip.update(status="resolved", resolved_at=resolved_at, updated_at=resolved_at, last_message_at=resolved_at)
        self._history(tip_id, "resolved", resolved_at)
        self._event("tips_resolved", holder, resolved_at, tip_id)
        self._event("sla_met" if resolved_at <= resolve_due else "sla_missed", holder, resolved_at, tip_id)
        self._message(tip_id, "out", REPLIES[2], resolved_at, holder)
        closed_at = resolved_at + timedelta(days=rng.expovariate(1 / 2))
        if closed_at <= now and rng.random() < 0.75:
            tip.update(status="closed", resolution="handled", closed_at=closed_at, updated_at=closed_at)
            self._history(tip_id, "closed", closed_at)
        self.tips.append(tip)

    def _event(self, metric, unit_id, at, tip_id, value=1):
        self.events.append((metric, unit_id, at, tip_id, value))

    def _history(self, tip_id, action, at, from_unit=None, to_unit=None):
        self.history.append({"tenant_id": self.tenant_id, "tip_id": tip_id, "at": at, "action": action,
                             "from_unit_id": from_unit, "to_unit_id": to_unit, "details": {}})

    def _message(self, tip_id, direction, body, at, holder):
        self.messages.append({"tenant_id": self.tenant_id, "tip_id": tip_id, "direction": direction,
                              "author_kind": "staff" if direction == "out" else "reporter", "body": body,
                              "internal": False, "delivery_state": "sent" if direction == "out" else None,
                              "created_at": at})
        self._event("messages_out" if direction == "out" else "messages_in", holder, at, tip_id)

    def flush(self):
        """COPY what was generated; returns (tips, messages, escalations) written. Events stay in `events`."""
        written = []
        for model, rows, with_id in ((self.models.Tip, self.tips, True), (self.models.TipMessage, self.messages, False),
                                     (self.models.TipHistory, self.history, False),
                                     (self.models.Escalation, self.escalations, False)):
            with TableCopy(self.cursor, model.__table__, with_id=with_id) as copy:
                for row in rows:
                    copy.write(row)
            written.append(len(rows))
        counts = (written[0], written[1], written[3])
        self.tips, self.messages, self.history, self.escalations = [], [], [], []
        return counts


def tips_per_year(kind, rates, days, scale, rng):
    return poisson(rng, rates.get(kind, 0) * days * scale)
