"""`/open311/v2/`: discovery, services, service definitions, requests (GET and POST), tokens; `.json` or `.xml`.

Discovery and services are open to anyone; POST needs a registered client's `api_key` and is rate-limited per
key. GET shows Open311 requests of the jurisdiction with their status and public notes only."""
import hashlib
from datetime import datetime

from flask import Blueprint, current_app, request, url_for
from werkzeug.exceptions import HTTPException

from core.clientip import client_key
from core.errors import AppError, Forbidden, Invalid, NotFound, flat_fields
from core.extensions import db, limiter
from core.security import csrf_exempt
from core.tenancy import set_request_tenant
from core.timeutil import as_utc
from inbox import codes
from inbox.constants import CATEGORIES
from open311 import services
from open311.formats import render, render_errors
from tenants.models import tenant_by_slug

bp = csrf_exempt(Blueprint("open311", __name__, url_prefix="/open311/v2"))
FMT = "<any(json, xml):fmt>"
SPEC = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-12-05T00:00:00+07:00"


def requests_limit():
    return current_app.config["RATELIMIT_OPEN311"]


def limit_key():
    """Per client: the hashed api_key (an unknown key still counts, by the key it sent), else the client."""
    key = request.values.get("api_key", "")
    return "key:" + hashlib.sha256(key.encode()).hexdigest()[:32] if key else client_key()


def jurisdiction():
    slug = (request.values.get("jurisdiction_id") or "").strip()
    if not slug:
        raise Invalid(fields={"jurisdiction_id": ["Bắt buộc: mã (slug) của tỉnh, thành phố."]}, status=400)
    tenant = tenant_by_slug(slug)
    if tenant is None:
        raise NotFound(fields={"jurisdiction_id": [f"Không có đơn vị '{slug}'."]})
    set_request_tenant(tenant.id)
    return tenant


def calling_client():
    return services.client_by_key(request.values.get("api_key", ""))


@bp.route(f"/discovery.{FMT}")
def discovery(fmt):
    url = url_for("open311.discovery", fmt="json", _external=True).rsplit("/", 1)[0]
    formats = ["text/xml", "application/json"]
    return render({"changeset": CHANGESET, "contact": current_app.config.get("OPEN311_CONTACT", ""),
                   "key_service": "Khoá API (api_key) do quản trị viên của tỉnh cấp: flask open311 client-create.",
                   "endpoints": [{"specification": SPEC, "url": url, "changeset": CHANGESET, "type": "production",
                                  "formats": formats}]}, fmt, "discovery")


@bp.route(f"/services.{FMT}")
def service_list(fmt):
    jurisdiction()
    return render(services.services(), fmt, "services")


@bp.route(f"/services/<service_code>.{FMT}")
def service_definition(service_code, fmt):
    jurisdiction()
    if service_code not in CATEGORIES:
        raise NotFound(fields={"service_code": [f"Một trong: {', '.join(CATEGORIES)}."]})
    return render(services.service_definition(service_code), fmt, "service_definition")


def _number(name, low, high):
    raw = (request.values.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise Invalid(fields={name: [f"Một số từ {low} đến {high}."]}, status=400)
    return value


def _place():
    lat, long = _number("lat", -90, 90), _number("long", -180, 180)
    address = (request.values.get("address_string") or "").strip()
    if (lat is None) != (long is None):
        raise Invalid(fields={"long" if long is None else "lat": ["Cần cả lat và long."]}, status=400)
    if lat is None and not address:
        raise Invalid(fields={"lat": ["Cần vị trí: lat và long, hoặc address_string."]}, status=400)
    return services.Place(lat, long, address)


@bp.route(f"/requests.{FMT}", methods=["POST"])
@limiter.limit(requests_limit, key_func=limit_key, scope="open311-requests")
def create_request(fmt):
    jurisdiction()
    if not request.values.get("api_key"):
        raise Forbidden(fields={"api_key": ["Bắt buộc để gửi yêu cầu."]})
    client = calling_client()
    if client is None:
        raise Forbidden(fields={"api_key": ["Không hợp lệ."]})
    if (request.values.get("service_code") or "").strip() not in CATEGORIES:
        raise Invalid(fields={"service_code": [f"Bắt buộc, một trong: {', '.join(CATEGORIES)}."]}, status=400)
    name = " ".join(part for part in (request.values.get("first_name", "").strip(),
                                      request.values.get("last_name", "").strip()) if part)
    made = services.create_request(
        client, request.values["service_code"].strip(), request.values.get("description", ""), _place(),
        severity=request.values.get("attribute[severity]") or None, name=name,
        phone=request.values.get("phone", "").strip())
    body = [{"service_request_id": made.tip.tracking_code, "token": made.token,
             "service_notice": "Đã nhận. Đơn vị tiếp nhận: " + made.tip.unit.name, "account_id": None}]
    db.session.commit()
    return render(body, fmt, "service_requests", 201)


def _date(name):
    raw = (request.values.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        raise Invalid(fields={name: ["Ngày giờ ISO 8601 có múi giờ, ví dụ 2026-12-05T08:00:00+07:00."]}, status=400)
    return as_utc(value)


def _listed(name, allowed=None):
    values = [v.strip() for v in (request.values.get(name) or "").split(",") if v.strip()]
    wrong = [v for v in values if allowed is not None and v not in allowed]
    if wrong:
        raise Invalid(fields={name: [f"Một trong: {', '.join(allowed)}."]}, status=400)
    return values


@bp.route(f"/requests.{FMT}", methods=["GET"])
def request_list(fmt):
    jurisdiction()
    client = calling_client()
    found = services.find_requests(codes=[codes.normalise_code(c) or "-" for c in _listed("service_request_id")],
                                   service_codes=_listed("service_code", tuple(CATEGORIES)),
                                   statuses=_listed("status", ("open", "closed")),
                                   start=_date("start_date"), end=_date("end_date"))
    return render([services.describe(item, client) for item in found], fmt, "service_requests")


@bp.route(f"/requests/<service_request_id>.{FMT}")
def request_one(service_request_id, fmt):
    jurisdiction()
    found = services.find_requests(codes=[codes.normalise_code(service_request_id) or "-"])
    if not found:
        raise NotFound(fields={"service_request_id": ["Không tìm thấy."]})
    return render([services.describe(found[0], calling_client())], fmt, "service_requests")


@bp.route(f"/tokens/<token>.{FMT}")
def token(token, fmt):
    jurisdiction()
    found = services.request_by_token(token)
    if found is None:
        raise NotFound(fields={"token": ["Không tìm thấy."]})
    return render([{"service_request_id": found.tip.tracking_code, "token": found.token}], fmt, "service_requests")


@bp.route("/<path:_rest>", methods=["GET", "POST"])
def unknown(_rest):
    raise NotFound()


def _fmt():
    return "json" if request.path.endswith(".json") else "xml"


@bp.errorhandler(AppError)
def _app_error(error):
    # Open311 answers bad input with 400 (our API's 422).
    status = 400 if error.status == 422 else error.status
    return render_errors(status, flat_fields(error.fields) if error.fields else {},
                         error.message or _MESSAGES.get(status, "Lỗi."), _fmt())


@bp.errorhandler(HTTPException)
def _http_error(error):
    response = render_errors(error.code or 500, {}, _MESSAGES.get(error.code, "Lỗi."), _fmt())
    if error.code == 429 and error.get_response().headers.get("Retry-After"):
        response.headers["Retry-After"] = error.get_response().headers["Retry-After"]
    return response


_MESSAGES = {400: "Yêu cầu không hợp lệ.", 403: "Không có quyền.", 404: "Không tìm thấy.",
             405: "Phương thức không được hỗ trợ.", 413: "Nội dung quá lớn.", 429: "Quá nhiều yêu cầu."}
