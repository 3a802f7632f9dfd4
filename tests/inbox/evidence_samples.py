"""Small valid audio and PDF files built on the fly, for the evidence-format tests (inbox and Zalo)."""
import io
import struct

from pypdf import PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject

AUTHOR = "Nguyễn Văn Tư"


def amr_nb(frames=50):
    """AMR-NB storage format: the magic, then 12.2 kbit/s frames (header 0x3C, 31 bytes of speech)."""
    return b"#!AMR\n" + (b"\x3c" + bytes(31)) * frames


def amr_wb(frames=50):
    return b"#!AMR-WB\n" + (b"\x44" + bytes(60)) * frames


def _syncsafe(number):
    return bytes(number >> shift & 0x7F for shift in (21, 14, 7, 0))


def mp3(frames=4, title=AUTHOR):
    """An ID3v2.4 tag naming someone, MPEG-1 Layer III frames (128 kbit/s, 44.1 kHz), an ID3v1 tag."""
    text = b"\x03" + title.encode()
    id3_frame = b"TPE1" + _syncsafe(len(text)) + b"\x00\x00" + text
    id3v2 = b"ID3\x04\x00\x00" + _syncsafe(len(id3_frame)) + id3_frame
    frame = b"\xff\xfb\x90\x00" + bytes(417 - 4)
    return id3v2 + frame * frames + b"TAG" + b"Nguyen Van Tu".ljust(125, b"\x00")


def _box(kind, payload):
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def iso_media(major=b"M4A ", handler=b"soun"):
    """An ISO-BMFF file with one track whose handler is `handler` ('soun' or 'vide')."""
    hdlr = _box(b"hdlr", bytes(8) + handler + bytes(13))
    moov = _box(b"moov", _box(b"trak", _box(b"mdia", hdlr)))
    return _box(b"ftyp", major + b"\x00\x00\x02\x00isomiso2mp41") + moov + _box(b"mdat", bytes(64))


def pdf(author=AUTHOR, script=None):
    """A one-page PDF whose information dictionary and XMP name its author (and that runs `script` on open)."""
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    if script:
        _run_on_open(writer, script)
    writer.add_metadata({"/Author": author, "/Title": "Đơn trình báo"})
    writer.xmp_metadata = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><dc:creator>' + author.encode()
                           + b"</dc:creator></x:xmpmeta>")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _run_on_open(writer, script):
    """An open action and a document-level script running `script`, and an embedded file."""
    action = writer._add_object(DictionaryObject({NameObject("/S"): NameObject("/JavaScript"),
                                                  NameObject("/JS"): TextStringObject(script)}))
    writer.root_object[NameObject("/OpenAction")] = action
    writer.add_attachment("payload.txt", b"embedded")
    names = writer.root_object["/Names"].get_object()
    names[NameObject("/JavaScript")] = DictionaryObject(
        {NameObject("/Names"): ArrayObject([TextStringObject("open"), action])})
