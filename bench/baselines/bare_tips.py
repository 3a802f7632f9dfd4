"""Baseline for tip intake: bare Flask + psycopg, one INSERT per tip, the same request and answer.

Validation of the fields, a tracking code and a 137-bit secret (stored hashed) like the product's, then one
INSERT … RETURNING and a commit on the worker's own connection. Served by gunicorn like the product:
`gunicorn bench.baselines.bare_tips:app` with DATABASE_URL set.
"""
import hashlib
import os
import secrets

import psycopg
from flask import Flask, jsonify, request

CATEGORIES = {"crime_report", "security_report", "social_evil", "good_deed", "complaint", "petition",
              "procedure_question", "other"}
SEVERITIES = {"low", "normal", "high", "urgent"}
ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
TABLE = """CREATE TABLE IF NOT EXISTS bench_bare_tips (
    id serial PRIMARY KEY, tracking_code varchar(24) UNIQUE NOT NULL, secret_hash varchar(64) NOT NULL,
    unit_id integer NOT NULL, category varchar(30) NOT NULL, severity varchar(10) NOT NULL,
    status varchar(20) NOT NULL, description text NOT NULL, place varchar(300) NOT NULL,
    contact_name varchar(120), contact_phone varchar(20), created_at timestamptz NOT NULL DEFAULT now())"""

app = Flask(__name__)
_connection = None


def connection():
    global _connection
    if _connection is None or _connection.closed:
        _connection = psycopg.connect(os.environ["DATABASE_URL"])
    return _connection


def random_text(length):
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


@app.get("/")
def ready():
    return "ok"


@app.post("/api/v1/public/units/<int:unit_id>/tips")
def create_tip(unit_id):
    data = request.get_json(silent=True) or {}
    errors = {}
    if data.get("category") not in CATEGORIES:
        errors["category"] = ["unknown"]
    if not str(data.get("description") or "").strip():
        errors["description"] = ["required"]
    severity = data.get("severity") or "normal"
    if severity not in SEVERITIES:
        errors["severity"] = ["unknown"]
    if errors:
        return jsonify({"error": {"code": "invalid", "fields": errors}}), 422
    contact = data.get("contact") or {}
    code, secret = f"BB-{random_text(4)}-{random_text(4)}", random_text(28)
    db = connection()
    with db.cursor() as cursor:
        cursor.execute(
            "INSERT INTO bench_bare_tips (tracking_code, secret_hash, unit_id, category, severity, status, "
            "description, place, contact_name, contact_phone) VALUES (%s, %s, %s, %s, %s, 'new', %s, %s, %s, %s) "
            "RETURNING id",
            (code, hashlib.sha256(secret.encode()).hexdigest(), unit_id, data["category"], severity,
             data["description"].strip(), str(data.get("place") or ""), contact.get("name"), contact.get("phone")))
        cursor.fetchone()
    db.commit()
    return jsonify({"tracking_code": code, "secret": secret, "status": "new"}), 201
