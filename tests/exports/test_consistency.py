"""One set of numbers: for random units and periods, every surface that reads the counters gives the same figure
as a tally of the activity itself — dashboard tiles, roll-up API, series, ranking, and the metrics export in
XLSX and CSV parsed back. A seeded generator makes the activity, across month boundaries and the local midnight
(17:00 UTC) of Asia/Ho_Chi_Minh."""
import csv
import io
import random
import re
from datetime import UTC, datetime, time, timedelta

import openpyxl
import pytest

from core.extensions import db
from core.timeutil import local_day, local_today
from hierarchy.models import Unit
from metrics import figures
from metrics.dashboard import TILES
from metrics.events import ALL_METRICS, first_response_bucket, record, record_first_response
from metrics.reports import COUNTERS

ACTIVITY = ("tips_received", "tips_acknowledged", "tips_resolved", "tips_escalated", "tips_overdue", "sla_met",
            "sla_missed", "posts_published", "post_views", "followers_gained", "followers_lost", "messages_in",
            "messages_out")


def _moments(rng, today):
    """Random moments of the last ~75 days, a third of them a second either side of a local midnight and some on
    the first and last local day of a month."""
    day = today - timedelta(days=rng.randrange(1, 75))
    if rng.random() < 0.35:
        midnight = datetime.combine(day, time(17, 0), tzinfo=UTC)  # 00:00 of the next local day
        return midnight + timedelta(seconds=rng.choice((-1, 0)))
    if rng.random() < 0.2:
        day = day.replace(day=1)
    return datetime.combine(day, time(rng.randrange(24), rng.randrange(60)), tzinfo=UTC)


def _generate(rng, units, today):
    """Record random activity; return the tally [(unit path, local day, metric, value)]."""
    tally = []
    for _ in range(60):
        unit = rng.choice(units)
        at = _moments(rng, today)
        metric = rng.choice(ACTIVITY)
        value = rng.randrange(1, 4)
        record(metric, unit.id, value, at)
        tally.append((unit.path, local_day(at), metric, value))
        if metric == "tips_acknowledged":
            seconds = rng.choice((600, 7200, 90000, 300000))
            record_first_response(unit.id, seconds, at)
            tally.append((unit.path, local_day(at), "first_response_seconds_sum", seconds))
            tally.append((unit.path, local_day(at), "first_response_count", 1))
            tally.append((unit.path, local_day(at), first_response_bucket(seconds), 1))
    return tally


def _expected(tally, path, day_from, day_to):
    totals = dict.fromkeys(ALL_METRICS, 0)
    for unit_path, day, metric, value in tally:
        if unit_path.startswith(path) and day_from <= day <= day_to:
            totals[metric] += value
    return totals


def test_every_surface_gives_the_same_figure(client, world, bearer, export_file, in_tenant, tenant_a, login_as):
    rng = random.Random(15)
    units = list(tenant_a.units.values())
    today = local_today()
    with in_tenant(tenant_a):
        tally = _generate(rng, units, today)
        db.session.commit()
    director, auditor = bearer("director"), bearer("auditor")
    login_as("director")  # the dashboard is a signed-in page
    for _ in range(2):
        unit = rng.choice([tenant_a.units["root"], tenant_a.units["district"]])
        day_to = today - timedelta(days=rng.randrange(0, 20))
        day_from = day_to - timedelta(days=rng.randrange(3, 50))
        period = f"unit_id={unit.id}&from={day_from.isoformat()}&to={day_to.isoformat()}"
        expected = _expected(tally, unit.path, day_from, day_to)
        derived = figures.values(expected)

        api = client.get(f"/api/v1/metrics/rollup?{period}", headers=director).json["totals"]
        assert {key: api[key] for key in ACTIVITY} == {key: expected[key] for key in ACTIVITY}

        series = client.get(f"/api/v1/metrics/series?{period}&metric=tips_overdue&metric=sla_met",
                            headers=director).json
        for metric in ("tips_overdue", "sla_met"):
            assert sum(point["values"][metric] for point in series["points"]) == expected[metric], metric

        ranking = client.get(f"/api/v1/metrics/ranking?{period}&metric=tips_overdue&per_page=100",
                             headers=director).json["items"]
        with in_tenant(tenant_a):
            paths = {item["unit_id"]: db.session.get(Unit, item["unit_id"]).path for item in ranking}
        assert sum(item["value"] for item in ranking) <= expected["tips_overdue"]  # the unit's own count is apart
        for item in ranking:
            assert item["value"] == _expected(tally, paths[item["unit_id"]], day_from, day_to)["tips_overdue"]

        html = client.get(f"/app/dashboard?{period}").get_data(as_text=True)
        tiles = dict(re.findall(r'<li class="tile" data-metric="(\w+)" data-value="([^"]*)"', html))
        for key, _parts, _note in TILES:
            want = derived[key]
            assert (float(tiles[key]) if tiles[key] else None) == pytest.approx(want), key

        body = {"report": "metrics", "unit_id": unit.id, "from": day_from.isoformat(), "to": day_to.isoformat()}
        _state, data = export_file(auditor, format="xlsx", **body)
        sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True).active
        rows = [list(row) for row in sheet.iter_rows(values_only=True)]
        total = dict(zip(rows[0], next(row for row in rows if row[1] == "Tổng cộng"), strict=False))
        _state, data = export_file(auditor, format="csv", **body)
        lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        csv_total = dict(zip(lines[0], next(line for line in lines if line[1] == "Tổng cộng"), strict=False))
        for key in COUNTERS:
            assert total[figures.label(key)] == derived[key], key
            assert int(csv_total[figures.label(key)]) == derived[key], key
        rate = derived["sla_compliance"]
        assert total[figures.label("sla_compliance")] == pytest.approx(rate)
