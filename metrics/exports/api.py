"""`POST /api/v1/exports`, `GET /api/v1/exports[/<id>]` and the file download (its requester only)."""
import marshmallow as ma
from flask import send_file, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from core.api import Blueprint, Id, PageArgs, StrictSchema, page_schema
from core.extensions import db
from core.pagination import paginate
from core.reports import report_types
from core.timeutil import isoformat
from metrics.exports.models import FORMATS, MEDIA_TYPES, Export
from metrics.exports.services import open_download, own_export, request_export

blp = Blueprint("exports_api", __name__, url_prefix="/api/v1", description="Xuất báo cáo")


def _registered_report(value):
    """One of the reports the packages registered (`core.reports`); known only once the app is built, so the
    OpenAPI document describes the field instead of listing them."""
    if value not in report_types():
        raise ma.ValidationError(f"Must be one of: {', '.join(report_types())}.")


class ExportCreateSchema(StrictSchema):
    report = ma.fields.String(required=True, validate=_registered_report, metadata={
        "description": "tips, sla, metrics, posts or audit: the reports the installed packages register"})
    format = ma.fields.String(required=True, validate=ma.validate.OneOf(FORMATS))
    unit_id = Id(required=True, strict=True)
    date_from = ma.fields.Date(data_key="from", load_default=None)
    date_to = ma.fields.Date(data_key="to", load_default=None)
    # Only the `audit` report reads these: part of the actor's e-mail, an action or action family.
    actor = ma.fields.String(validate=ma.validate.Length(max=255))
    action = ma.fields.String(validate=ma.validate.Length(max=64))


def download_url(export):
    if export.status != "done":
        return None
    return url_for("exports_api.download_export", export_id=export.id, _external=True)


class ExportSchema(ma.Schema):
    id = ma.fields.Integer()
    report = ma.fields.String()
    format = ma.fields.String()
    unit_id = ma.fields.Integer()
    date_from = ma.fields.Date(data_key="from")
    date_to = ma.fields.Date(data_key="to")
    filters = ma.fields.Dict()
    status = ma.fields.String(metadata={"description": "queued, running, done, failed, expired (file deleted)"})
    progress = ma.fields.Integer()
    row_count = ma.fields.Integer(allow_none=True)
    size = ma.fields.Integer(allow_none=True)
    sha256 = ma.fields.String()
    error = ma.fields.String()
    created_at = ma.fields.Function(lambda export: isoformat(export.created_at))
    finished_at = ma.fields.Function(lambda export: isoformat(export.finished_at))
    expires_at = ma.fields.Function(lambda export: isoformat(export.expires_at))
    download_url = ma.fields.Function(download_url)


@blp.route("/exports", methods=["POST"])
@login_required
@blp.arguments(ExportCreateSchema)
@blp.response(202, ExportSchema)
def create_export(args):
    """Queue an export (directors, auditors): 202 with its id and status; poll `GET /exports/<id>`."""
    export = request_export(current_user, args["report"], args["format"], args["unit_id"], args["date_from"],
                            args["date_to"], {"actor": args.get("actor"), "action": args.get("action")})
    db.session.commit()
    return export


@blp.route("/exports", methods=["GET"])
@login_required
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(ExportSchema, "ExportPage"))
def list_exports(args):
    """The caller's own exports, newest first."""
    statement = select(Export).where(Export.requester_id == current_user.id).order_by(Export.id.desc())
    return paginate(statement, args["page"], args["per_page"])


@blp.route("/exports/<int:export_id>")
@login_required
@blp.response(200, ExportSchema)
def get_export(export_id):
    """Status and progress (0–100) of one of the caller's exports; `download_url` once it is done."""
    return own_export(current_user, export_id)


@blp.route("/exports/<int:export_id>/download")
@login_required
@blp.response(200, content_type="application/octet-stream")
def download_export(export_id):
    """The file, as an attachment, to its requester only (audited)."""
    export, stream = open_download(current_user, export_id)
    db.session.commit()
    response = send_file(stream, mimetype=MEDIA_TYPES[export.format], as_attachment=True,
                         download_name=export.file_name, max_age=0)
    response.content_length = export.size
    response.headers["X-Content-SHA256"] = export.sha256
    response.headers["Cache-Control"] = "private, no-store"
    return response
