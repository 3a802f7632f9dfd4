"""Platform-wide pages: health, the home redirect."""
from flask import Blueprint, current_app, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import text

from core.extensions import db

bp = Blueprint("core", __name__)


@bp.get("/healthz")
def healthz():
    status = {"db": "ok", "queue": "ok"}
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any failure to reach the database is "down", whatever the driver raised
        db.session.rollback()
        status["db"] = "down"
    try:
        current_app.extensions["ketnoi_redis"].ping()
    except Exception:
        status["queue"] = "down"
    return status, 200 if set(status.values()) == {"ok"} else 503


@bp.get("/")
def home():
    if not current_user.is_authenticated:
        return redirect(url_for("tenants.login"))
    if current_user.is_platform_admin:
        return redirect(url_for("platform.platform_tenants"))
    return redirect(url_for("hierarchy.tree"))


@bp.get("/api/v1/docs")
def api_docs():
    """A readable index of the OpenAPI document, served by us (no outside script or CDN)."""
    from core.extensions import api

    return render_template("core/api_docs.html", spec=api.spec.to_dict())


def init_app(app):
    app.register_blueprint(bp)
