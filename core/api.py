"""The JSON API's shared pieces: the smorest `Api`, one pagination shape and one list envelope."""
import marshmallow as ma
from flask_smorest import Api as SmorestApi
from flask_smorest import Blueprint as SmorestBlueprint
from webargs.flaskparser import FlaskParser

MAX_PER_PAGE = 200


MAX_ID = 2**31 - 1  # PostgreSQL's integer: a larger id cannot name anything, so it is refused before SQL
MAX_PAGE = 1_000_000  # no list has more pages (pages clamp to it: core.pagination.clamp_page)


class ErrorBodySchema(ma.Schema):
    code = ma.fields.String(metadata={"example": "invalid"})
    message = ma.fields.String(metadata={"example": "Dữ liệu không hợp lệ."})
    fields = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.List(ma.fields.String()),
                            metadata={"example": {"unit_id": ["Không tìm thấy đơn vị."]}})


class ErrorSchema(ma.Schema):
    """The one error envelope every 4xx/5xx answer has, as the OpenAPI document describes it."""

    error = ma.fields.Nested(ErrorBodySchema)


class Api(SmorestApi):
    """flask-smorest's Api, minus its own error handlers: `core.errors` answers every error in one envelope."""

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self):
        pass


def Id(**kwargs):  # noqa: N802  (a field type, named like marshmallow's)
    """An id field: a positive integer the database can hold."""
    return ma.fields.Integer(validate=ma.validate.Range(min=1, max=MAX_ID), **kwargs)


class StrictParser(FlaskParser):
    """Unknown query-string and form fields are errors too (webargs excludes them by default), so a typo in
    a filter answers 422 naming it instead of silently returning everything."""

    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "query": ma.RAISE,
                                   "querystring": ma.RAISE, "form": ma.RAISE}


class Blueprint(SmorestBlueprint):
    ARGUMENTS_PARSER = StrictParser()


class StrictSchema(ma.Schema):
    """Unknown fields are an error naming the field, never silently dropped."""

    class Meta:
        unknown = ma.RAISE


class PatchSchema(StrictSchema):
    """A PATCH body: unknown fields are errors, and so is a body that changes nothing."""

    @ma.validates_schema(pass_original=True)
    def _not_empty(self, data, original, **_kwargs):
        if not original:
            raise ma.ValidationError("Cần ít nhất một trường để thay đổi.", "_schema")


class PageArgs(StrictSchema):
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=MAX_PAGE))
    per_page = ma.fields.Integer(load_default=50, validate=ma.validate.Range(min=1, max=MAX_PER_PAGE))


def page_schema(item_schema, name):
    """The list envelope `{"items": [...], "total": N}` for one item schema (named for the OpenAPI doc)."""
    return ma.Schema.from_dict(
        {"items": ma.fields.List(ma.fields.Nested(item_schema)), "total": ma.fields.Integer()}, name=name
    )
