"""Query arguments and JSON shapes of the metrics API (`/api/v1/metrics/...`)."""
from datetime import timedelta

import marshmallow as ma

from core.api import Id, PageArgs, StrictSchema
from core.timeutil import local_today
from hierarchy.models import KINDS
from metrics.events import ALL_METRICS
from metrics.kpis import DERIVED
from metrics.periods import MAX_RANGE_DAYS, days_between

DEFAULT_DAYS = 30
_DATE = {"error_messages": {"invalid": "Ngày không hợp lệ, cần dạng YYYY-MM-DD."}}


def range_errors(day_from, day_to):
    """{field: [why]} for a bad local date range, empty when it is fine."""
    if day_from > day_to:
        return {"from": ["Ngày bắt đầu phải trước hoặc bằng ngày kết thúc."]}
    if days_between(day_from, day_to) > MAX_RANGE_DAYS:
        return {"to": [f"Khoảng thời gian tối đa 3 năm ({MAX_RANGE_DAYS} ngày)."]}
    return {}


def default_range(day_from=None, day_to=None, today=None):
    """Missing ends: `to` is today, `from` is 29 days before `to` (the last 30 days)."""
    day_to = day_to or today or local_today()
    return day_from or day_to - timedelta(days=DEFAULT_DAYS - 1), day_to


class RangeArgs(StrictSchema):
    unit_id = Id(metadata={
        "description": "Đơn vị (mặc định: đơn vị cao nhất của người dùng)"})
    from_ = ma.fields.Date(data_key="from", metadata={"description": "Ngày địa phương YYYY-MM-DD, tính cả ngày này "
                                                                     "(mặc định: 29 ngày trước `to`)"}, **_DATE)
    to = ma.fields.Date(metadata={"description": "Ngày địa phương YYYY-MM-DD, tính cả ngày này (mặc định: hôm nay)"},
                        **_DATE)

    @ma.post_load
    def _defaults(self, data, **_kwargs):
        data["from_"], data["to"] = default_range(data.get("from_"), data.get("to"))
        for field, messages in range_errors(data["from_"], data["to"]).items():
            raise ma.ValidationError(messages, field_name=field)
        return data


class SeriesArgs(RangeArgs):
    metric = ma.fields.List(ma.fields.String(validate=ma.validate.OneOf(ALL_METRICS)), metadata={
        "description": "Chỉ số (lặp lại được; mặc định: tất cả)"})
    granularity = ma.fields.String(validate=ma.validate.OneOf(("day", "month")), metadata={
        "description": "day hoặc month (mặc định: day đến 92 ngày, month khi dài hơn)"})


class RankingArgs(RangeArgs, PageArgs):
    metric = ma.fields.String(required=True, validate=ma.validate.OneOf(ALL_METRICS + DERIVED), metadata={
        "description": "Chỉ số đếm hoặc chỉ số suy ra: " + ", ".join(DERIVED)})
    kind = ma.fields.String(validate=ma.validate.OneOf(KINDS), metadata={
        "description": "Xếp hạng mọi đơn vị cấp dưới thuộc loại này (mặc định: các đơn vị con trực tiếp)"})
    order = ma.fields.String(load_default="desc", validate=ma.validate.OneOf(("desc", "asc")))


def _totals(description):
    return ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(), metadata={"description": description})


class ChildTotalsSchema(ma.Schema):
    unit_id = ma.fields.Integer()
    name = ma.fields.String()
    totals = _totals("Tổng của đơn vị con và mọi đơn vị dưới nó")


class RollupSchema(ma.Schema):
    unit_id = ma.fields.Integer()
    from_ = ma.fields.Date(data_key="from")
    to = ma.fields.Date()
    totals = _totals("own + tổng các đơn vị con; mọi chỉ số đều có mặt (0 khi không có)")
    own = _totals("Của riêng đơn vị này")
    children = ma.fields.List(ma.fields.Nested(ChildTotalsSchema))


class PointSchema(ma.Schema):
    period = ma.fields.Date(metadata={"description": "Ngày, hoặc ngày đầu tháng khi granularity=month"})
    values = _totals("Tổng của cây đơn vị trong kỳ")


class SeriesSchema(ma.Schema):
    unit_id = ma.fields.Integer()
    from_ = ma.fields.Date(data_key="from")
    to = ma.fields.Date()
    granularity = ma.fields.String()
    points = ma.fields.List(ma.fields.Nested(PointSchema))


class RankedUnitSchema(ma.Schema):
    rank = ma.fields.Integer()
    unit_id = ma.fields.Integer()
    code = ma.fields.String()
    name = ma.fields.String()
    kind = ma.fields.String()
    value = ma.fields.Raw(allow_none=True, metadata={
        "type": "number", "description": "Số đếm, tỉ lệ 0–1 (sla_compliance) hoặc giây; null khi không tính được"})


class RankingSchema(ma.Schema):
    unit_id = ma.fields.Integer()
    from_ = ma.fields.Date(data_key="from")
    to = ma.fields.Date()
    metric = ma.fields.String()
    kind = ma.fields.String(allow_none=True)
    items = ma.fields.List(ma.fields.Nested(RankedUnitSchema))
    total = ma.fields.Integer()
