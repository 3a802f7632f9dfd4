"""`flask demo`: a province's tips in every state over the window `flask demo` asks for (by default the last
month), written through the inbox services.

Each tip lives its own timeline with explicit past times (`at=`/`now=`): deadlines that pass before the next
step take effect as the sweep would have applied them, so escalations, overdue flags, metric events and
history agree. A window that ends in the past (the pre-reform history) stops every life at its end: tips start
up to a month before it, so most are settled, and what is still open at the end stays open. Idempotent: a
window that already holds tips of the tenant is left alone. Deterministic per tenant.
"""
import random
from datetime import timedelta

from sqlalchemy import select

from core import transaction
from core.extensions import db
from core.signals import demo_window
from core.timeutil import as_utc, utcnow
from hierarchy.models import Unit
from inbox import demo_texts as texts
from inbox import services
from inbox.constants import CATEGORIES
from inbox.deadlines import pending_deadline
from inbox.intake import add_reporter_message, submit_tip
from inbox.models import Tip
from inbox.notify import Notification, staff_of
from inbox.policy import install_defaults
from inbox.sla import process_deadlines

TIPS = {"84": 420}
DEFAULT_TIPS = 140
HISTORY_TAIL = timedelta(days=30)  # in a window that ended, no tip starts in its last month
KIND_WEIGHTS = {"commune": 65, "district": 22, "province": 6, "department": 7}
CATEGORY_WEIGHTS = (18, 24, 10, 4, 8, 7, 22, 7)
SEVERITY_WEIGHTS = {"low": 15, "normal": 60, "high": 20, "urgent": 5}
HOUR = timedelta(hours=1)


def seed(sender, tenant_id=None, start=None, end=None, share=1.0, **_kwargs):
    """The `demo_seed` receiver, run in the tenant's scope. Returns the number of tips created."""
    from tenants.models import Tenant

    start, now = demo_window(start, end)
    # Zalo's demo conversations arrive when the demo runs, whatever the window: they do not count here.
    if db.session.execute(select(Tip.id).where(Tip.created_at >= start, Tip.created_at < now,
                                               Tip.channel != "zalo").limit(1)).first() is not None:
        return 0
    tenant = db.session.get(Tenant, tenant_id)
    rng = random.Random(f"inbox-{tenant.slug}")
    install_defaults()
    units = db.session.execute(select(Unit).where(Unit.active.is_(True))).scalars().all()
    by_kind = {kind: [unit for unit in units if unit.kind == kind] for kind in KIND_WEIGHTS}
    kinds = [kind for kind in KIND_WEIGHTS if by_kind[kind]]
    last = now if now >= utcnow() - timedelta(days=1) else max(start, now - HISTORY_TAIL)
    span = (last - start).total_seconds()
    starts = sorted(start + timedelta(seconds=rng.uniform(0, span))
                    for _ in range(round(TIPS.get(tenant.province_code, DEFAULT_TIPS) * share)))
    story = _Story(rng, now)
    for created in starts:
        unit = rng.choice(by_kind[rng.choices(kinds, [KIND_WEIGHTS[kind] for kind in kinds])[0]])
        story.live(unit, created)
    _read_old_notifications(now)
    db.session.flush()
    transaction.discard()  # the deadlines that remain are the sweep's; nothing to enqueue for the past
    return len(starts)


class _Story:
    """One tip's life: intake, then each step at its time, deadlines applied in between."""

    def __init__(self, rng, now):
        self.rng, self.now = rng, now
        self.handlers = {}
        self.last_by_unit = {}

    def handler(self, unit):
        """A staff member of the unit, else of the nearest ancestor that has one (the director at the top)."""
        if unit.id not in self.handlers:
            chain = db.session.execute(Unit.ancestors_of(unit)).scalars().all()
            chain.sort(key=lambda item: -item.depth)
            self.handlers[unit.id] = next((staff[0] for item in chain if (staff := staff_of(item))), None)
        return self.handlers[unit.id]

    def live(self, unit, created):
        rng = self.rng
        category = rng.choices(list(CATEGORIES), CATEGORY_WEIGHTS)[0]
        text = rng.choice(texts.TIPS[category]).format(place=rng.choice(texts.PLACES), road=rng.choice(texts.ROADS),
                                                        hour=rng.randint(19, 23))
        contact = {}
        if rng.random() < 0.45:
            contact = {"contact_name": rng.choice(texts.NAMES),
                       "contact_phone": "09" + "".join(str(rng.randint(0, 9)) for _ in range(8))}
        severity = rng.choices(list(SEVERITY_WEIGHTS), list(SEVERITY_WEIGHTS.values()))[0]
        tip = submit_tip(unit, category, text, severity=severity, place=rng.choice(texts.PLACES), at=created,
                         channel=rng.choices(("web", "api"), (9, 1))[0], **contact).tip
        fate = rng.random()
        if fate < 0.06:
            self.settle(tip)  # nobody answers: it climbs the tree
        elif fate < 0.09:
            self.step(tip, created + rng.uniform(1, 10) * HOUR, lambda at, user: services.change_status(
                tip, user, "closed", resolution="spam", at=at))
        elif fate < 0.11 and self.last_by_unit.get(unit.id):
            original = self.last_by_unit[unit.id]
            self.step(tip, created + rng.uniform(1, 10) * HOUR, lambda at, user: services.change_status(
                tip, user, "closed", resolution="duplicate", duplicate_of=original, at=at))
        else:
            self.handle(tip, created)
        self.last_by_unit[unit.id] = tip
        self.settle(tip)

    def handle(self, tip, created):
        """Answered, worked on, settled and closed, each step at a plausible time; a tenth of them late, so
        the deadlines bite. Whatever is still to come stays undone (recent tips are less advanced)."""
        rng = self.rng
        window = as_utc(tip.ack_due_at) - created
        at = created + window * (rng.uniform(1.05, 1.6) if rng.random() < 0.1 else rng.uniform(0.05, 0.9))
        replies = texts.REPLIES["procedure" if tip.category == "procedure_question" else "ack"]
        if not self.step(tip, at, lambda at, user: services.add_staff_message(tip, user, rng.choice(replies), at=at)):
            return
        if rng.random() < 0.3:  # the reporter answers the reply
            at += rng.uniform(1, 12) * HOUR
            if at < self.now:
                add_reporter_message(tip, rng.choice(texts.FOLLOW_UPS), at=at)
        at += rng.uniform(1, 36) * HOUR
        if not self.step(tip, at, lambda at, user: self.move(tip, user, "in_progress", at)):
            return
        due = as_utc(tip.resolve_due_at)
        at = due + rng.uniform(2, 48) * HOUR if rng.random() < 0.1 else at + (due - at) * rng.uniform(0.1, 0.8)
        if not self.step(tip, at, lambda at, user: self.move(tip, user, "resolved", at)) or rng.random() < 0.15:
            return
        at += rng.uniform(12, 96) * HOUR
        self.step(tip, at, lambda at, user: self.move(tip, user, "closed", at))

    def move(self, tip, user, status, at):
        rng = self.rng
        if status == "in_progress" and user is not None and rng.random() < 0.6:
            services.assign(tip, user, user, at=at)
        if status == "in_progress" and rng.random() < 0.4:
            services.add_staff_message(tip, user, rng.choice(texts.NOTES), internal=True, at=at)
        if status == "resolved":
            services.add_staff_message(tip, user, rng.choice(texts.REPLIES["resolve"]), at=at)
        services.change_status(tip, user, status, resolution="handled" if status == "closed" else None, at=at)

    def step(self, tip, at, action):
        """Run `action(at, user)` unless `at` is still to come; deadlines before it apply first."""
        if at >= self.now:
            return False
        self.advance(tip, at)
        if tip.status == "closed":
            return False
        action(at, self.handler(tip.unit))
        return True

    def advance(self, tip, until):
        """Apply, as the sweep would have, each deadline that passed before `until`."""
        while True:
            kind, due = pending_deadline(tip)
            if kind is None or tip.overdue or due >= until:
                return
            process_deadlines(tip.id, now=due + timedelta(minutes=self.rng.randint(1, 9)))

    def settle(self, tip):
        self.advance(tip, self.now)


def _read_old_notifications(now):
    """Demo users start with the last two days unread, not a month of alerts."""
    from sqlalchemy import update

    db.session.execute(update(Notification).where(Notification.created_at < now - timedelta(days=2))
                       .values(read_at=now))
