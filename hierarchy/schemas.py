"""JSON shapes of units."""
import marshmallow as ma

from core.api import Id, PageArgs
from hierarchy.models import KINDS


class UnitSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    code = ma.fields.String()
    name = ma.fields.String()
    kind = ma.fields.String()
    parent_id = ma.fields.Integer(allow_none=True)
    path = ma.fields.String()
    depth = ma.fields.Integer()
    address = ma.fields.String()
    phone = ma.fields.String()
    contact_hours = ma.fields.String()
    zalo_oa_id = ma.fields.String(allow_none=True)


class UnitQueryArgs(PageArgs):
    code = ma.fields.String(validate=ma.validate.Length(max=10))
    kind = ma.fields.String(validate=ma.validate.OneOf(KINDS))
    parent_id = Id()
    q = ma.fields.String(validate=ma.validate.Length(max=100))
