"""`flask demo`'s history runs across the reform without a seam: the pre-reform demo is dated 2021-01 … 2025-06,
today's tenant adds its own months since, and a period that spans 2025-07-01 on the new tenant's roll-up API and
metrics export is the old province's figures before the reform plus the new tenant's after it."""
import csv
import io
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from core.extensions import db
from core.signals import demo_seed
from core.tenancy import platform_scope, tenant_scope
from core.timeutil import LOCAL_TZ, as_utc, utcnow
from hierarchy.models import Unit
from metrics.figures import label
from metrics.models import Event
from tenants.demo import HISTORY, REFORM_AT
from tenants.models import Tenant
from tests.hierarchy_reorg.conftest import unit

ACROSS = (date(2025, 1, 1), date(2025, 8, 31))
METRICS = ("post_views", "followers_gained", "posts_published", "tips_received")


def _tenant(slug):
    with platform_scope():
        return db.session.execute(select(Tenant).where(Tenant.slug == slug)).scalar_one()


def _raw(metric, day_from, day_to):
    """The tenant's events summed straight from the event table (not the counters the roll-up reads)."""
    return db.session.execute(select(func.coalesce(func.sum(Event.value), 0)).where(
        Event.metric == metric, Event.day >= day_from, Event.day <= day_to)).scalar_one()


def test_a_period_across_the_reform_is_the_old_province_before_plus_the_new_one_after(
        app_ctx, client, tenant_a, run_jobs):
    from inbox.models import Tip
    from tenants import services

    with tenant_scope(tenant_a.tenant_id):
        demo_seed.send(app_ctx, tenant_id=tenant_a.tenant_id, start=HISTORY[0], end=HISTORY[1], share=0.1)
        db.session.commit()
        # The Zalo demo's conversations are delivered through the webhook's path as the demo runs: not history.
        history = select(Event.day).where(Event.at < utcnow() - timedelta(days=1))
        months = {(day.year, day.month) for day in db.session.execute(history).scalars()}
        # Four and a half years of history, every month of it, and nothing on or after the reform date.
        assert (2021, 1) in months and (2025, 6) in months
        assert len(months) == 54 and not [m for m in months if m >= (2025, 7)]
        last_tip = db.session.execute(select(func.max(Tip.created_at)).where(Tip.channel != "zalo")).scalar_one()
        assert as_utc(last_tip) < REFORM_AT
        before = {metric: _raw(metric, ACROSS[0], ACROSS[1]) for metric in METRICS}
        assert all(before.values()), before
    runner = app_ctx.test_cli_runner()
    assert runner.invoke(args=["reform", "apply", "tra-vinh", "--into", "vinh-long"]).exit_code == 0
    new = _tenant("vinh-long")
    with tenant_scope(new.id):
        demo_seed.send(app_ctx, tenant_id=new.id, start=REFORM_AT, end=datetime(2025, 9, 1, tzinfo=LOCAL_TZ),
                       share=0.2)
        db.session.commit()
        after = {metric: _raw(metric, REFORM_AT.date(), ACROSS[1]) for metric in METRICS}
        assert all(after.values()), after
        # What came after the reform happened at today's units (the old ones are retired).
        assert not db.session.execute(select(Event.id).join(Unit, Unit.id == Event.unit_id).where(
            Event.day >= REFORM_AT.date(), Event.day <= ACROSS[1], Unit.active.is_(False))).first()
        director = services.create_user("giamdoc@vinh-long.test", "test-password-123", "director", tenant=new,
                                        unit_code="86")
        secret, _token = services.create_token(director, "test")
        root = unit("86").id
        db.session.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    expected = {metric: before[metric] + after[metric] for metric in METRICS}
    response = client.get(f"/api/v1/metrics/rollup?unit_id={root}&from={ACROSS[0]}&to={ACROSS[1]}",
                          headers=headers)
    assert response.status_code == 200, response.json
    assert {metric: response.json["totals"][metric] for metric in METRICS} == expected
    # The export of the same period says the same in its total row.
    asked = client.post("/api/v1/exports", headers=headers, json={
        "report": "metrics", "format": "csv", "unit_id": root, "from": str(ACROSS[0]), "to": str(ACROSS[1])})
    assert asked.status_code == 202, asked.json
    run_jobs()
    state = client.get(f"/api/v1/exports/{asked.json['id']}", headers=headers).json
    assert state["status"] == "done", state
    rows = list(csv.reader(io.StringIO(client.get(state["download_url"], headers=headers).data.decode("utf-8-sig"))))
    header, total = rows[0], next(row for row in rows if "Tổng cộng" in row)
    labels = {metric: str(label(metric)) for metric in METRICS}  # the export's headers are the figures' labels
    assert {metric: int(total[header.index(labels[metric])]) for metric in METRICS} == expected
