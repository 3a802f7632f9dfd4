"""Typed errors and the one place that turns any error into a response.

API, webhook and health routes answer `{"error": {"code", "message", "fields"}}`; pages answer a Vietnamese
HTML page. Nothing answers a stack trace.
"""
import logging

from flask import render_template, request
from flask_babel import gettext as _
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

JSON_PREFIXES = ("/api/", "/webhooks/", "/healthz")

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "rate_limited",
    500: "server_error",
    503: "unavailable",
}


class AppError(Exception):
    """An error the user can act on. Services raise these; the handler answers them."""

    status = 400

    def __init__(self, message=None, fields=None, code=None, status=None):
        super().__init__(message or "")
        self.message = message or ""
        self.fields = fields or {}
        self.code = code or CODES.get(status or self.status, "error")
        if status:
            self.status = status


class NotFound(AppError):
    status = 404


class Forbidden(AppError):
    status = 403


class Conflict(AppError):
    status = 409


class Invalid(AppError):
    """422 naming the fields: `Invalid(fields={"at": ["Thời điểm đã qua"]})`."""

    status = 422


class TooLarge(AppError):
    status = 413


class UnsupportedMedia(AppError):
    status = 415


def wants_json():
    return request.path.startswith(JSON_PREFIXES) or request.accept_mimetypes.best == "application/json"


def error_body(status, message, fields=None, code=None):
    return {"error": {"code": code or CODES.get(status, "error"), "message": message, "fields": fields or {}}}


def _default_message(status):
    messages = {
        400: _("Yêu cầu không hợp lệ."),
        401: _("Cần đăng nhập."),
        403: _("Bạn không có quyền thực hiện thao tác này."),
        404: _("Không tìm thấy."),
        405: _("Phương thức không được hỗ trợ."),
        409: _("Thao tác không phù hợp với trạng thái hiện tại."),
        413: _("Tệp hoặc nội dung quá lớn."),
        415: _("Định dạng tệp không được hỗ trợ."),
        422: _("Dữ liệu không hợp lệ."),
        429: _("Quá nhiều yêu cầu. Vui lòng thử lại sau."),
        500: _("Đã có lỗi xảy ra. Vui lòng thử lại sau."),
        503: _("Dịch vụ tạm thời gián đoạn."),
    }
    return messages.get(status, _("Đã có lỗi xảy ra."))


def _flatten_webargs(data):
    """webargs nests messages by location ({"json": {"field": [..]}}); the API names fields directly."""
    messages = (data or {}).get("messages") or {}
    fields = {}
    for location_messages in messages.values():
        if isinstance(location_messages, dict):
            fields.update(flat_fields(location_messages))
    return fields


def flat_fields(messages, prefix=""):
    """marshmallow's messages as the envelope's one shape, `{"name": ["why", ...]}`: a nested schema's or a
    list item's errors under a dotted name (`contact.phone`, `files.0`)."""
    if not isinstance(messages, dict):
        return {prefix or "_schema": [str(message) for message in _as_list(messages)]}
    fields = {}
    for key, value in messages.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            fields.update(flat_fields(value, name))
        else:
            fields.setdefault(name, []).extend(str(message) for message in _as_list(value))
    return fields


def _as_list(value):
    return value if isinstance(value, list) else [value]


def respond(status, message=None, fields=None, code=None, headers=None):
    message = message or _default_message(status)
    fields = flat_fields(fields) if fields else {}
    if wants_json():
        response = (error_body(status, message, fields, code), status)
    else:
        response = (render_template("errors/error.html", status=status, message=message, fields=fields or {}), status)
    if headers:
        return (*response, headers)
    return response


def register_error_handlers(app):
    @app.errorhandler(AppError)
    def handle_app_error(error):
        return respond(error.status, error.message, error.fields, error.code)

    @app.errorhandler(ValidationError)
    def handle_validation_error(error):
        return respond(422, fields=flat_fields(error.messages))

    @app.errorhandler(HTTPException)
    def handle_http_error(error):
        status = error.code or 500
        fields = _flatten_webargs(getattr(error, "data", None)) if status in (400, 422) else {}
        headers = {}
        if status == 429 and error.get_response().headers.get("Retry-After"):
            headers["Retry-After"] = error.get_response().headers["Retry-After"]
        if status == 405:
            headers["Allow"] = error.get_response().headers.get("Allow", "")
        # Validation messages are ours to word; werkzeug's English descriptions are not shown to users.
        return respond(status, fields=fields, headers=headers or None)

    @app.errorhandler(Exception)
    def handle_unexpected(error):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return respond(500)
