"""What the public API and the public pages share: finding the unit from the URL, reading a submission."""
from flask import request
from sqlalchemy import select

from core.errors import AppError, Invalid, NotFound
from core.extensions import db
from core.tenancy import platform_scope, set_request_tenant
from hierarchy.models import Unit
from inbox.schemas import PublicMessage, PublicTipForm, PublicTipJson
from tenants.models import remember_slug

FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


def public_unit(unit_id=None, slug=None, code=None):
    """An active unit by id, or by tenant slug and unit code, read with its tenant's slug; sets the request's
    tenant. 404 otherwise."""
    from tenants.models import Tenant

    with platform_scope():
        statement = (select(Unit, Tenant.slug).join(Tenant, Tenant.id == Unit.tenant_id)
                     .where(Unit.active.is_(True)))
        if unit_id is not None:
            statement = statement.where(Unit.id == unit_id)
        else:
            statement = statement.where(Tenant.slug == slug, Unit.code == code)
        row = db.session.execute(statement).one_or_none()
    if row is None:
        raise NotFound()
    unit, slug = row
    set_request_tenant(unit.tenant_id)
    remember_slug(unit.tenant_id, slug)  # the tracking code's prefix, the form's URL
    return unit


def _form_data(schema, ignore=()):
    data = {key: value for key, value in request.form.items() if key not in ignore}
    unknown_files = [name for name in request.files if name != "files"]
    if unknown_files:
        raise Invalid(fields={name: ["Unknown field."] for name in unknown_files})
    files = [item for item in request.files.getlist("files") if item and item.filename]
    return schema().load(data), files


def _json_data(schema):
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        raise AppError("Cần một đối tượng JSON.", status=400)
    return schema().load(payload), []


def read_submission(ignore=()):
    """(fields, files) of a new tip, JSON or multipart/form; the contact flattened to contact_name/phone."""
    if request.mimetype in FORM_TYPES:
        data, files = _form_data(PublicTipForm, ignore)
    else:
        data, files = _json_data(PublicTipJson)
        contact = data.pop("contact", None) or {}
        data["contact_name"], data["contact_phone"] = contact.get("name"), contact.get("phone")
    return data, files


def read_message(ignore=()):
    """(body, files) of a reporter's follow-up message, JSON or multipart/form."""
    if request.mimetype in FORM_TYPES:
        data, files = _form_data(PublicMessage, ignore)
    else:
        data, files = _json_data(PublicMessage)
    return data.get("body") or "", files
