"""JSON shapes of the signed-in user."""
import marshmallow as ma


class MembershipSchema(ma.Schema):
    role = ma.fields.String()
    unit_id = ma.fields.Integer()
    unit_code = ma.fields.Function(lambda m: m.unit.code)


class MeSchema(ma.Schema):
    id = ma.fields.Integer()
    email = ma.fields.String()
    name = ma.fields.String()
    tenant_id = ma.fields.Integer(allow_none=True)
    memberships = ma.fields.List(ma.fields.Nested(MembershipSchema))
