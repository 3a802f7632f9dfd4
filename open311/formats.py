"""GeoReport v2's two formats: the same data as JSON or as XML (UTF-8, XML declaration), errors included.

An error is `[{"code": 400, "description": "lat: ..."}]` in JSON and `<errors><error><code>…` in XML, one entry
per field, the field named first in the description."""
import json
from datetime import datetime
from xml.etree import ElementTree

from flask import Response

from core.timeutil import isoformat

FORMATS = ("json", "xml")
MIMETYPES = {"json": "application/json", "xml": "text/xml"}
# The element a list's items are written as, by the list's own element name.
CHILD = {"endpoints": "endpoint", "formats": "format", "attributes": "attribute", "values": "value",
         "services": "service", "service_requests": "request", "errors": "error"}


def _plain(value):
    if isinstance(value, datetime):
        return isoformat(value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _fill(element, value):
    if isinstance(value, dict):
        for key, item in value.items():
            _fill(ElementTree.SubElement(element, key), item)
    elif isinstance(value, list):
        for item in value:
            _fill(ElementTree.SubElement(element, CHILD.get(element.tag, "item")), item)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = str(value)


def render(data, fmt, root, status=200):
    """`data` (a list or a dict) as JSON, or as XML under the element `root`."""
    data = _plain(data)
    if fmt == "json":
        body = json.dumps(data, ensure_ascii=False)
    else:
        element = ElementTree.Element(root)
        _fill(element, data)
        body = '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(element, encoding="unicode")
    return Response(body, status=status, content_type=f"{MIMETYPES[fmt]}; charset=utf-8")


def render_errors(status, fields, message, fmt):
    """One error per named field (`field: why`), or the message alone."""
    descriptions = [f"{field}: {why}" for field, reasons in (fields or {}).items() for why in reasons]
    errors = [{"code": status, "description": text} for text in descriptions or [message]]
    return render(errors, fmt, "errors", status)
