"""Peer: django-helpdesk's public ticket form against Kết Nối's public tip form, the way citizens use them.

Each iteration is what a browser does: GET the form (CSRF token + cookie), then POST it. Same gunicorn
worker count, same PostgreSQL server (each in its own database), same load generator and concurrency.
Throughput is submissions per second; latency percentiles are over every request (GETs and POSTs).
"""
import re
import urllib.parse
import uuid

from bench import loadgen
from bench.common import PEER_DATABASE, connect, log, ratio, server_env
from bench.servers import WORKERS, HttpServer

TARGET_THROUGHPUT_RATIO = 4.0
CSRF_DJANGO = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
CSRF_KETNOI = re.compile(rb'name="csrf_token" value="([^"]+)"')
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
DESCRIPTION = "Nhóm thanh niên tụ tập gây mất trật tự vào ban đêm ở đầu hẻm, đề nghị công an xã kiểm tra."


def form_flow(form_path, token_pattern, fields, success):
    """An iteration: GET the form, read the token and cookies, POST the filled form."""

    def iteration(client, worker, seq):
        status, headers, body = client.request("GET", form_path)
        match = token_pattern.search(body or b"")
        if status != 200 or match is None:
            return
        cookie = client.set_cookies(headers)
        data = fields(worker, seq, match.group(1).decode())
        client.request("POST", form_path, urllib.parse.urlencode(data).encode(),
                       {**FORM, "Cookie": cookie, "Referer": f"http://127.0.0.1:{client.port}{form_path}"})

    iteration.success = success
    return iteration


def measure(name, server, iteration, ctx):
    warm = loadgen.run(server.port, iteration, concurrency=ctx.concurrency, duration=ctx.warmup)
    result = loadgen.run(server.port, iteration, concurrency=ctx.concurrency, duration=ctx.duration)
    summary = result.summary()
    submitted = result.statuses.get(iteration.success, 0)
    summary.update(submitted=submitted, submissions_per_s=round(submitted / result.seconds, 1),
                   warmup_submitted=warm.statuses.get(iteration.success, 0))
    log(f"peer/{name}: {summary['submissions_per_s']} submissions/s, p99 {summary['p99_ms']} ms "
        f"({summary['statuses']})")
    return summary


def run_helpdesk(ctx):
    from bench.peers.setup import PEERS, PeerUnavailable, setup

    try:
        python, env, queue_id = setup()
    except (PeerUnavailable, OSError) as error:
        return {"available": False, "why": str(error)}
    marker = f"bench-{uuid.uuid4().hex[:8]}"

    def fields(worker, seq, token):
        return {"csrfmiddlewaretoken": token, "queue": queue_id, "title": f"Tin báo {marker} {worker}-{seq}",
                "body": DESCRIPTION, "priority": 3, "submitter_email": f"citizen{worker}.{seq}@example.com",
                "due_date": ""}

    iteration = form_flow("/tickets/submit/", CSRF_DJANGO, fields, success=302)
    with HttpServer("peer-helpdesk", "helpdesk_site.wsgi:application", env=env, python=str(python), cwd=PEERS,
                    ready_path="/tickets/submit/") as server:
        summary = measure("django-helpdesk", server, iteration, ctx)
    with connect(PEER_DATABASE) as connection:
        stored = connection.execute("SELECT count(*) FROM helpdesk_ticket WHERE title LIKE %s",
                                    (f"Tin báo {marker} %",)).fetchone()[0]
    summary.update(available=True, rows_in_db=stored,
                   nothing_lost=stored == summary["submitted"] + summary["warmup_submitted"],
                   version=_pinned("django-helpdesk"), django=_pinned("Django"))
    return summary


def run_ketnoi(ctx):
    with connect(ctx.database) as connection:
        slug, code = connection.execute(
            "SELECT t.slug, u.code FROM units u JOIN tenants t ON t.id = u.tenant_id WHERE t.slug = 'kien-giang' "
            "AND u.kind = 'commune' ORDER BY u.path LIMIT 1").fetchone()
    marker = f"bench-{uuid.uuid4().hex[:8]}"

    def fields(worker, seq, token):
        return {"csrf_token": token, "category": "security_report", "description": f"{DESCRIPTION} [{marker}]",
                "place": "Ấp Phước Hòa", "severity": "", "contact_name": "Nguyễn Văn An",
                "contact_phone": f"09{(worker * 1_000_003 + seq) % 100_000_000:08d}"}

    iteration = form_flow(f"/p/{slug}/{code}/gui-tin-bao", CSRF_KETNOI, fields, success=201)
    with HttpServer("peer-ketnoi", "wsgi:app", env=server_env(ctx.database), workers=WORKERS) as server:
        summary = measure("ket-noi", server, iteration, ctx)
    with connect(ctx.database) as connection:
        stored = connection.execute("SELECT count(*) FROM tips WHERE description LIKE %s",
                                    (f"%[{marker}]",)).fetchone()[0]
    summary.update(rows_in_db=stored, nothing_lost=stored == summary["submitted"] + summary["warmup_submitted"])
    return summary


def _pinned(name):
    from bench.peers.setup import REQUIREMENTS

    for line in REQUIREMENTS.read_text().splitlines():
        if line.lower().startswith(name.lower() + "=="):
            return line.split("==", 1)[1]
    return None


def run(ctx):
    results = {"workers": WORKERS, "concurrency": ctx.concurrency, "duration_s": ctx.duration,
               "ketnoi": run_ketnoi(ctx), "helpdesk": run_helpdesk(ctx)}
    helpdesk, ketnoi = results["helpdesk"], results["ketnoi"]
    if helpdesk.get("available"):
        results["throughput_ratio"] = _round(ratio(ketnoi["submissions_per_s"], helpdesk["submissions_per_s"]))
        results["p99_ratio"] = _round(ratio(ketnoi["p99_ms"], helpdesk["p99_ms"]))
        results["targets"] = {
            "Kết Nối >= 4 x helpdesk submissions/s": (results["throughput_ratio"] or 0) >= TARGET_THROUGHPUT_RATIO,
            "Kết Nối p99 better than helpdesk": (results["p99_ratio"] or 99) < 1.0,
            "nothing lost (both)": bool(ketnoi["nothing_lost"] and helpdesk["nothing_lost"]),
        }
    else:
        results["targets"] = {"peer installed": False}
    return results


def _round(value):
    return None if value is None else round(value, 3)
