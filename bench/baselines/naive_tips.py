"""Baseline for tip intake: a naive one-model Flask-SQLAlchemy endpoint (add, commit) for the same request.

`gunicorn bench.baselines.naive_tips:app` with DATABASE_URL set; the table is created by the scenario.
"""
import hashlib
import os
from datetime import UTC, datetime

from flask import Flask, jsonify, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bench.baselines.bare_tips import CATEGORIES, SEVERITIES, random_text


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


class NaiveTip(db.Model):
    __tablename__ = "bench_naive_tips"
    id: Mapped[int] = mapped_column(primary_key=True)
    tracking_code: Mapped[str] = mapped_column(String(24), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    unit_id: Mapped[int]
    category: Mapped[str] = mapped_column(String(30))
    severity: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20), default="new")
    description: Mapped[str] = mapped_column(Text)
    place: Mapped[str] = mapped_column(String(300), default="")
    contact_name: Mapped[str | None] = mapped_column(String(120))
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 default=lambda: datetime.now(UTC))


def create_app():
    application = Flask(__name__)
    url = os.environ.get("DATABASE_URL", "")
    application.config["SQLALCHEMY_DATABASE_URI"] = url.replace("postgresql://", "postgresql+psycopg://", 1)
    db.init_app(application)

    @application.get("/")
    def ready():
        return "ok"

    @application.post("/api/v1/public/units/<int:unit_id>/tips")
    def create_tip(unit_id):
        data = request.get_json(silent=True) or {}
        severity = data.get("severity") or "normal"
        if data.get("category") not in CATEGORIES or not str(data.get("description") or "").strip() \
                or severity not in SEVERITIES:
            return jsonify({"error": {"code": "invalid"}}), 422
        contact = data.get("contact") or {}
        secret = random_text(28)
        tip = NaiveTip(tracking_code=f"NV-{random_text(4)}-{random_text(4)}", unit_id=unit_id,
                       secret_hash=hashlib.sha256(secret.encode()).hexdigest(), category=data["category"],
                       severity=severity, description=data["description"].strip(),
                       place=str(data.get("place") or ""), contact_name=contact.get("name"),
                       contact_phone=contact.get("phone"))
        db.session.add(tip)
        db.session.commit()
        return jsonify({"tracking_code": tip.tracking_code, "secret": secret, "status": tip.status}), 201

    return application


app = create_app()
