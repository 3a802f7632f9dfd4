"""The national dataset: all 63 provinces as tenants with their real trees, staff, and a year of activity.

`python -m bench.dataset [--scale S] [--days N] [--keep]` builds it alone; `python -m bench` builds it first.

- Trees: `tenants.services.create_tenant` (which runs `hierarchy.services.import_province`, the product's bulk
  path) for every province under `platform_scope()`, one commit: this is the timed "63-tree import".
- Staff: a director and an auditor at each HQ, a unit admin at each district and department, an officer at
  each commune; inserted in bulk with one password hash computed by `User.set_password` (the product has no
  bulk user path, and hashing 11,000 passwords would only measure scrypt).
- Activity: posts, post views, followers and tips (with messages, history and escalations, see `tipsgen`)
  at the rates below × `scale`, as rows COPY'd into the product's tables and metric events COPY'd into
  `metric_events`. The daily and monthly counters are then built by the product's `flask metrics rebuild`
  (events in bulk, then the rebuild: `metrics.events.record` and `record_many` are measured on a sample and
  rolled back, their rates reported). Finally every metric's total is checked equal across events, daily and
  monthly counters.
"""
import argparse
import json
import re
import time
from bisect import bisect_right
from collections import defaultdict
from datetime import timedelta

from sqlalchemy import func, insert, select, text

from bench.bulk import Calendar, TableCopy, copy_text, deferred_indexes, local_date, poisson, seeded, set_sequence
from bench.common import (
    BENCH_DATABASE,
    RESULTS_DIR,
    bench_app,
    connect,
    drop_database,
    flush_bench_redis,
    log,
    recreate_database,
)

# Expected events per unit per day at scale 1, by kind of unit (see docs/benchmarks.md for the reasoning).
ACTIVITY_RATES = {
    "province": {"posts_published": 1.5, "post_views": 120, "followers_gained": 12, "followers_lost": 2},
    "department": {"posts_published": 0.2, "post_views": 8, "followers_gained": 1, "followers_lost": 0.2},
    "district": {"posts_published": 0.4, "post_views": 20, "followers_gained": 2, "followers_lost": 0.3},
    "commune": {"posts_published": 0.08, "post_views": 2.5, "followers_gained": 0.3, "followers_lost": 0.05},
}
TIP_RATES = {"province": 0.3, "department": 0.05, "district": 0.15, "commune": 0.06}
STAFF_PASSWORD = "bench-password-123"
SAMPLE_EVENTS = 2000
EVENT_COLUMNS = ("tenant_id", "unit_id", "metric", "value", "at", "day", "subject_type", "subject_id")
DATASET_FILE = RESULTS_DIR / "dataset.json"  # written by `python -m bench` ({"meta", "results"})
PRE_REFORM = "2025-06-30"  # the 63 provinces are built on the map before the 2025 reform


def slug_for(code, as_of=PRE_REFORM):
    from core.markdown import fold
    from hierarchy.importer import province_name

    return re.sub(r"[^a-z0-9]+", "-", fold(province_name(code, as_of))).strip("-")


def inbox_models():
    """The inbox's models, or None while the inbox package has none (the dataset then has no tips)."""
    try:
        from inbox import models
    except ImportError:
        return None
    return models if all(hasattr(models, name) for name in ("Tip", "TipMessage", "TipHistory", "Escalation")) \
        else None


def build(scale=1.0, days=365, seed=2025, database=BENCH_DATABASE):
    """Build the dataset from scratch; returns its figures."""
    recreate_database(database)
    flush_bench_redis()
    app = bench_app(database)
    figures = {"scale": scale, "days": days, "database": database}
    with app.app_context():
        from core.extensions import db
        from core.timeutil import local_today

        inbox_models()
        db.create_all()
        figures.update(import_trees(db))
        figures.update(create_staff(db))
        db.session.commit()
        last_day = local_today() - timedelta(days=1)  # whole days of activity, none in the future
        figures["last_day"] = last_day.isoformat()
        figures.update(write_activity(database, Calendar(last_day, days), scale, seed))
        figures.update(measure_record_paths(db, last_day))
        started = time.perf_counter()
        result = app.test_cli_runner().invoke(args=["metrics", "rebuild"])
        if result.exit_code != 0:
            raise RuntimeError(f"flask metrics rebuild failed: {result.output}")
        figures["rebuild_seconds"] = round(time.perf_counter() - started, 2)
        figures["counters_consistent"] = counters_consistent(db)
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        figures["daily_counters"] = db.session.execute(text("SELECT count(*) FROM metric_daily")).scalar_one()
        figures["monthly_counters"] = db.session.execute(text("SELECT count(*) FROM metric_monthly")).scalar_one()
        db.engine.dispose()
    return figures


def import_trees(db):
    """The 63 provinces through the product's onboarding path, in one transaction; timed."""
    from core.tenancy import platform_scope
    from hierarchy.importer import province_codes
    from hierarchy.models import Unit
    from tenants.services import create_tenant

    codes = province_codes(PRE_REFORM)
    started = time.perf_counter()
    with platform_scope():
        for code in codes:
            create_tenant(slug_for(code), None, code, PRE_REFORM)
        db.session.commit()
        seconds = time.perf_counter() - started
        units = db.session.execute(select(func.count(Unit.id))).scalar_one()
    log(f"dataset: {len(codes)} provinces, {units} units imported in {seconds:.2f} s")
    return {"tenants": len(codes), "units": units, "import_seconds": round(seconds, 2)}


def create_staff(db):
    """A director and an auditor per HQ, a unit admin per district/department, an officer per commune."""
    from core.tenancy import platform_scope
    from hierarchy.models import Unit
    from tenants.models import Membership, Tenant, User

    template = User(email="x@x")
    template.set_password(STAFF_PASSWORD)
    with platform_scope():
        slugs = dict(db.session.execute(select(Tenant.id, Tenant.slug)).all())
        units = db.session.execute(select(Unit.id, Unit.tenant_id, Unit.kind, Unit.code)).all()
        users, roles = [], []
        for unit in units:
            unit_roles = {"province": ("director", "auditor"), "department": ("unit_admin",),
                          "district": ("unit_admin",), "commune": ("officer",)}[unit.kind]
            for role in unit_roles:
                email = f"{role}.{unit.code.lower()}@{slugs[unit.tenant_id]}.bench.ketnoi.vn"
                users.append({"tenant_id": unit.tenant_id, "email": email, "name": f"{role} {unit.code}",
                              "password_hash": template.password_hash, "active": True,
                              "is_platform_admin": False, "totp_enabled": False, "session_version": 1})
                roles.append((email, unit.id, unit.tenant_id, role))
        ids = dict(db.session.execute(insert(User).returning(User.email, User.id), users).all())
        db.session.execute(insert(Membership), [{"user_id": ids[email], "unit_id": unit_id, "tenant_id": tenant_id,
                                                 "role": role} for email, unit_id, tenant_id, role in roles])
    return {"users": len(users)}


def write_activity(database, calendar, scale, seed):
    """Posts, views, followers and tips for every unit over the calendar; one transaction per tenant."""

    models = inbox_models()
    from content.models import Post
    from core.timeutil import utcnow
    from inbox.codes import tenant_prefix

    started = time.perf_counter()
    totals = defaultdict(int)
    now = utcnow()
    with connect(database) as connection, deferred_indexes(connection, "metric_events"), \
            connection.cursor() as cursor:
        tenants = cursor.execute("SELECT id, slug FROM tenants ORDER BY id").fetchall()
        cursor.execute("SELECT id, tenant_id, parent_id, kind FROM units ORDER BY tenant_id, path")
        units_by_tenant = defaultdict(list)
        for row in cursor.fetchall():
            units_by_tenant[row[1]].append(_UnitRow(*row))
        post_id = cursor.execute("SELECT COALESCE(max(id), 0) + 1 FROM posts").fetchone()[0]
        tip_id, code_seq = 1, 1
        for tenant_id, slug in tenants:
            rng = seeded(seed, slug)
            events = []
            with TableCopy(cursor, Post.__table__, with_id=True) as posts:
                for unit in units_by_tenant[tenant_id]:
                    post_id = _unit_activity(rng, calendar, scale, tenant_id, unit, posts, post_id, events)
            totals["posts"] += posts.count
            if models is not None:
                writer = _tip_writer(cursor, models, tenant_id, tenant_prefix(slug), tip_id, code_seq, now, rng)
                for unit in units_by_tenant[tenant_id]:
                    for _ in range(poisson(rng, TIP_RATES[unit.kind] * len(calendar.days) * scale)):
                        created = calendar.instant(rng, rng.randrange(len(calendar.days)))
                        if created < now:
                            writer.add(unit, unit.parent_id, created)
                tip_id, code_seq = writer.next_id, writer.next_code
                tips, messages, escalations = writer.flush()
                totals["tips"] += tips
                totals["tip_messages"] += messages
                totals["escalations"] += escalations
                events.extend(_tip_event_lines(tenant_id, writer.events))
            totals["events"] += copy_text(cursor, "metric_events", EVENT_COLUMNS, events)
            connection.commit()
        set_sequence(cursor, "posts")
        if models is not None:
            set_sequence(cursor, "tips")
        connection.commit()
    seconds = time.perf_counter() - started
    log(f"dataset: {totals['events']} events, {totals['posts']} posts, {totals['tips']} tips written in "
        f"{seconds:.1f} s")
    return {**totals, "activity_seconds": round(seconds, 1), "with_tips": models is not None}


class _UnitRow:
    __slots__ = ("id", "tenant_id", "parent_id", "kind")

    def __init__(self, unit_id, tenant_id, parent_id, kind):
        self.id, self.tenant_id, self.parent_id, self.kind = unit_id, tenant_id, parent_id, kind


def _tip_writer(cursor, models, tenant_id, prefix, tip_id, code_seq, now, rng):
    from bench.tipsgen import TipWriter

    return TipWriter(cursor, models, tenant_id, prefix, tip_id, code_seq, now, rng)


def _unit_activity(rng, calendar, scale, tenant_id, unit, posts, post_id, events):
    """One unit's posts (COPY'd now) and its post/follower event lines (appended to `events`)."""
    rates, days = ACTIVITY_RATES[unit.kind], len(calendar.days)
    published = []  # (day index, post id), in day order
    for _ in range(poisson(rng, rates["posts_published"] * days * scale)):
        published.append(rng.randrange(days))
    published.sort()
    published = [(index, post_id + offset) for offset, index in enumerate(published)]
    for index, pid in published:
        at = calendar.instant(rng, index)
        posts.write({"id": pid, "tenant_id": tenant_id, "unit_id": unit.id, "title": f"Thông báo số {pid}",
                     "body": "Công an xã thông báo lịch tiếp công dân tuần này.", "summary": "Lịch tiếp công dân",
                     "body_html": "<p>Công an xã thông báo lịch tiếp công dân tuần này.</p>",
                     "search_text": f"thong bao so {pid}", "kind": "news", "status": "published",
                     "published_at": at, "created_at": at, "updated_at": at})
        events.append(f"{tenant_id}\t{unit.id}\tposts_published\t1\t{at.isoformat()}\t"
                      f"{calendar.iso[index]}\tpost\t{pid}\n")
    days_published = [index for index, _pid in published]
    prefix = f"{tenant_id}\t{unit.id}\t"
    for metric in ("post_views", "followers_gained", "followers_lost"):
        for _ in range(poisson(rng, rates[metric] * days * scale)):
            index = rng.randrange(days)
            at, day = calendar.stamp(rng, index)
            subject = "\t\t\\N\n"
            if metric == "post_views":
                visible = bisect_right(days_published, index)
                if not visible:
                    continue
                subject = f"\tpost\t{published[rng.randrange(visible)][1]}\n"
            events.append(f"{prefix}{metric}\t1\t{at}\t{day}{subject}")
    return post_id + len(published)


def _tip_event_lines(tenant_id, events):
    for metric, unit_id, at, tip_id, value in events:
        day = local_date(at).isoformat()
        yield f"{tenant_id}\t{unit_id}\t{metric}\t{value}\t{at.isoformat()}\t{day}\ttip\t{tip_id}\n"


def measure_record_paths(db, last_day):
    """Events per second through `record()` (one call per event) and `record_many()`, rolled back after."""
    from core.tenancy import platform_scope, tenant_scope
    from hierarchy.models import Unit
    from metrics.events import record, record_many
    from tenants.models import Tenant

    with platform_scope():
        tenant_id = db.session.execute(select(Tenant.id).where(Tenant.slug == "kien-giang")).scalar_one()
    rates = {}
    with tenant_scope(tenant_id):
        units = db.session.execute(select(Unit).order_by(Unit.path)).scalars().all()
        rng = seeded(1, "sample")
        calendar = Calendar(last_day, 365)
        entries = [{"metric": "post_views", "unit_id": units[rng.randrange(len(units))].id,
                    "at": calendar.instant(rng, rng.randrange(365))} for _ in range(SAMPLE_EVENTS)]
        by_id = {unit.id: unit for unit in units}
        started = time.perf_counter()
        for entry in entries[: SAMPLE_EVENTS // 4]:
            record(entry["metric"], by_id[entry["unit_id"]], at=entry["at"])
        db.session.flush()
        rates["record_events_per_s"] = round((SAMPLE_EVENTS // 4) / (time.perf_counter() - started))
        db.session.rollback()
        started = time.perf_counter()
        record_many(entries)
        db.session.flush()
        rates["record_many_events_per_s"] = round(SAMPLE_EVENTS / (time.perf_counter() - started))
        db.session.rollback()
    log(f"dataset: record() {rates['record_events_per_s']} ev/s, record_many() {rates['record_many_events_per_s']} "
        "ev/s (samples rolled back)")
    return rates


def counters_consistent(db):
    """Every metric's total is the same in events, daily counters and monthly counters."""
    totals = []
    for table in ("metric_events", "metric_daily", "metric_monthly"):
        rows = db.session.execute(text(f"SELECT metric, sum(value) FROM {table} GROUP BY metric")).all()
        totals.append({metric: int(value) for metric, value in rows})
    return totals[0] == totals[1] == totals[2]


def grow_events(database, tenant_slug, factor, seed=7):
    """Add (factor - 1) × the tenant's events again (same units, same days), then rebuild its
    counters through `flask metrics rebuild --tenant`. Returns (events before, events after, rebuild seconds)."""
    with connect(database) as connection, connection.cursor() as cursor:
        tenant_id = cursor.execute("SELECT id FROM tenants WHERE slug = %s", (tenant_slug,)).fetchone()[0]
        before, last_id = cursor.execute("SELECT count(*), max(id) FROM metric_events WHERE tenant_id = %s",
                                         (tenant_id,)).fetchone()
        for _copy in range(1, factor):
            cursor.execute(
                "INSERT INTO metric_events (tenant_id, unit_id, metric, value, at, day, subject_type, subject_id) "
                "SELECT tenant_id, unit_id, metric, value, at, day, subject_type, subject_id FROM metric_events "
                "WHERE tenant_id = %s AND id <= %s", (tenant_id, last_id))
        connection.commit()
        after = cursor.execute("SELECT count(*) FROM metric_events WHERE tenant_id = %s", (tenant_id,)).fetchone()[0]
    app = bench_app(database)
    with app.app_context():
        started = time.perf_counter()
        result = app.test_cli_runner().invoke(args=["metrics", "rebuild", "--tenant", tenant_slug])
        if result.exit_code != 0:
            raise RuntimeError(f"flask metrics rebuild failed: {result.output}")
        seconds = time.perf_counter() - started
        from core.extensions import db

        db.session.execute(text("ANALYZE metric_events; ANALYZE metric_daily; ANALYZE metric_monthly"))
        db.session.commit()
        db.engine.dispose()
    return before, after, seconds


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.dataset", description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--keep", action="store_true", help="keep the database (default: drop it at the end)")
    args = parser.parse_args(argv)
    figures = build(args.scale, args.days)
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    if not args.keep:
        drop_database(BENCH_DATABASE)


if __name__ == "__main__":
    main()

