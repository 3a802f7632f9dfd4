"""Baseline for the Zalo webhook: bare Flask + psycopg, verify the signature over the raw body, then one
INSERT … ON CONFLICT DO NOTHING on the msg_id, commit, 200. `gunicorn bench.baselines.bare_zalo:app` with
DATABASE_URL, BENCH_ZALO_APP_ID and BENCH_ZALO_OA_SECRET set."""
import json
import os

import psycopg
from flask import Flask, request

from zalo.signature import SIGNATURE_HEADER, verify_signature

TABLE = """CREATE TABLE IF NOT EXISTS bench_bare_zalo (
    id serial PRIMARY KEY, dedup_key varchar(200) UNIQUE NOT NULL, body bytea NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now())"""

app = Flask(__name__)
_connection = None


def connection():
    global _connection
    if _connection is None or _connection.closed:
        _connection = psycopg.connect(os.environ["DATABASE_URL"])
    return _connection


@app.get("/")
def ready():
    return "ok"


@app.post("/webhooks/zalo")
def receive():
    raw = request.get_data()
    if not verify_signature(raw, request.headers.get(SIGNATURE_HEADER), app_id=os.environ["BENCH_ZALO_APP_ID"],
                            oa_secret_key=os.environ["BENCH_ZALO_OA_SECRET"]):
        return {"error": "signature"}, 401
    payload = json.loads(raw)
    key = f"{payload.get('event_name')}|{payload.get('message', {}).get('msg_id')}"
    db = connection()
    inserted = db.execute("INSERT INTO bench_bare_zalo (dedup_key, body) VALUES (%s, %s) ON CONFLICT DO NOTHING "
                          "RETURNING id", (key, raw)).fetchone()
    db.commit()
    return {"status": "ok", "duplicate": inserted is None}
