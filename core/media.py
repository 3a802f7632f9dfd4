"""Checking uploads by their content: what a file is comes from its bytes, never from its name or declared type.

Images (JPEG, PNG, WebP) are decoded and re-encoded, which drops every byte we did not understand: EXIF
(GPS position, camera serial), XMP, comments, and anything appended after the image data. Videos (MP4) are
checked by their ISO-BMFF box structure and kept as they are.

`check_upload` is what a page may show (images, video); `check_evidence` is what a tip may carry, which also
takes audio (AMR voice notes, MP3, M4A) and PDF letters. Audio is checked by its frame or box structure; an MP3
loses its ID3 tags (title, artist, comment, cover) and a PDF its document information and XMP metadata (author,
creating software, dates) in the copy staff see.
"""
import contextlib
import hashlib
import io
import math
import struct
from dataclasses import dataclass
from typing import BinaryIO

from PIL import Image, ImageCms, ImageOps
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

IMAGE_MAX_BYTES = 10 * 1024 * 1024
VIDEO_MAX_BYTES = 100 * 1024 * 1024
AUDIO_MAX_BYTES = 20 * 1024 * 1024
PDF_MAX_BYTES = 20 * 1024 * 1024
# Per image (~200 MB as RGBA), checked from the header before anything is decoded. Pillow's own
# decompression-bomb limit is set to the same, so every other use of Pillow in the process refuses such images.
IMAGE_MAX_PIXELS = 50_000_000
Image.MAX_IMAGE_PIXELS = IMAGE_MAX_PIXELS
# Per request, for evidence (a citizen's form or API post may carry several files): pixels actually decoded.
# Five phone photos (12 MP) fit; five 7000×7000 PNGs of a few hundred kilobytes do not.
EVIDENCE_PIXELS_PER_REQUEST = 64_000_000
# The staff copy of an evidence photo (the original is kept as sent): JPEG is decoded at a reduced scale, other
# formats are reduced right after decoding, so the costly steps run on at most this size.
EVIDENCE_MAX_SIDE = 4096
THUMBNAIL_MAX_SIDE = 400

_UNSUPPORTED = "Định dạng tệp không được hỗ trợ. Chỉ nhận ảnh JPEG, PNG, WebP hoặc video MP4."
_TOO_LARGE = "Tệp quá lớn: ảnh tối đa 10 MB, video tối đa 100 MB."
_TOO_MANY_PIXELS = "Ảnh có kích thước quá lớn: tối đa 50 triệu điểm ảnh."
_TOO_MANY_PIXELS_IN_ALL = "Các ảnh gửi cùng lúc quá lớn. Vui lòng gửi ít ảnh hơn hoặc ảnh nhỏ hơn."
_EVIDENCE_UNSUPPORTED = ("Định dạng tệp không được hỗ trợ. Chỉ nhận ảnh JPEG, PNG, WebP, video MP4, "
                         "ghi âm AMR, MP3, M4A hoặc tệp PDF.")
EVIDENCE_TOO_LARGE = "Tệp quá lớn: ảnh tối đa 10 MB, video tối đa 100 MB, ghi âm và tệp PDF tối đa 20 MB."
_PDF_LOCKED = "Tệp PDF có mật khẩu. Vui lòng gửi bản không đặt mật khẩu."

_SNIFF_BYTES = 32
_READ_CHUNK = 1024 * 1024
_MP4_BRANDS = {
    b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"iso8", b"mp41", b"mp42", b"avc1",
    b"M4V ", b"M4VH", b"M4VP", b"dash", b"mmp4", b"msnv", b"MSNV", b"XAVC",
}
# Major brands of ISO-BMFF files that hold sound only (iTunes audio, audiobook, protected audio).
_AUDIO_BRANDS = {b"M4A ", b"M4B ", b"M4P "}
# Bytes of one frame, header included, by frame type (RFC 4867 §5.3; types 9-15 are one-byte comfort/no-data).
_AMR_NB_FRAME_BYTES = (13, 14, 16, 18, 20, 21, 27, 32, 6, 1, 1, 1, 1, 1, 1, 1)
_AMR_WB_FRAME_BYTES = (18, 24, 33, 37, 41, 47, 51, 59, 61, 6, 1, 1, 1, 1, 1, 1)
_AMR_CHECKED_BYTES = 64 * 1024
# Where a PDF reader looks for the end-of-file marker: the last kilobyte.
_PDF_TAIL_BYTES = 1024
_SRGB = ImageCms.createProfile("sRGB")


class MediaError(ValueError):
    """An upload we refuse. `status` and `code` are the HTTP answer; `message` is shown to the user."""

    status = 400
    code = "bad_request"
    default_message = _UNSUPPORTED

    def __init__(self, message: str | None = None):
        self.generic = message is None  # the default message, which `check_evidence` words for its wider set
        self.message = message or self.default_message
        super().__init__(self.message)


class UnsupportedMediaError(MediaError):
    status = 415
    code = "unsupported_media_type"


class MediaTooLargeError(MediaError):
    status = 413
    code = "too_large"
    default_message = _TOO_LARGE


@dataclass(frozen=True)
class CheckedMedia:
    """An accepted upload. `data` is what to store; `size` is its length. `sha256` is of the bytes as
    uploaded, so the same file sent twice can be recognised. Videos have no thumbnail and no dimensions."""

    kind: str
    mime: str
    extension: str
    width: int | None
    height: int | None
    data: bytes
    thumbnail: bytes | None
    sha256: str
    size: int


@dataclass(frozen=True)
class _ImageFormat:
    """How one accepted format is recognised by Pillow (a JPEG with extra pictures opens as "MPO") and
    written back: the modes it stores as they are, and the encoder's options."""

    pillow_names: tuple[str, ...]
    mime: str
    extension: str
    modes: tuple[str, ...]
    save_options: tuple[tuple[str, object], ...]


_JPEG = _ImageFormat(("JPEG", "MPO"), "image/jpeg", "jpg", ("L", "RGB"), (("quality", 85), ("optimize", True)))
_PNG = _ImageFormat(("PNG",), "image/png", "png", ("L", "LA", "RGB", "RGBA"), ())
_WEBP = _ImageFormat(("WEBP",), "image/webp", "webp", ("RGB", "RGBA"), (("quality", 85),))


def check_upload(
    source: bytes | BinaryIO, *, image_max_bytes: int = IMAGE_MAX_BYTES, video_max_bytes: int = VIDEO_MAX_BYTES
) -> CheckedMedia:
    """Accept an image or video upload (what a page may show), or raise `UnsupportedMediaError` /
    `MediaTooLargeError`.

    `source` is bytes or a readable binary stream (e.g. werkzeug's FileStorage); no more than the applicable
    limit plus one byte is ever read from a stream.
    """
    return _check(source, image_max_bytes, video_max_bytes, evidence=False)


class PixelBudget:
    """The pixels one request (or job) may still decode; shared by the files it checks."""

    def __init__(self, pixels: int = EVIDENCE_PIXELS_PER_REQUEST):
        self.left = pixels

    def spend(self, pixels: int) -> None:
        if pixels > self.left:
            raise MediaTooLargeError(_TOO_MANY_PIXELS_IN_ALL)
        self.left -= pixels


def check_evidence(source: bytes | BinaryIO, budget: PixelBudget | None = None) -> CheckedMedia:
    """Accept what a tip may carry: an image or video as `check_upload` does, or audio (kind "audio") or a
    PDF (kind "document"), each up to 20 MB. Refusals name the wider set of formats. Images are decoded
    reduced (`EVIDENCE_MAX_SIDE`) within `budget` (pass one budget for every file of a request)."""
    try:
        return _check(source, IMAGE_MAX_BYTES, VIDEO_MAX_BYTES, evidence=True, budget=budget or PixelBudget())
    except MediaError as error:
        if not error.generic:
            raise
        wider = EVIDENCE_TOO_LARGE if isinstance(error, MediaTooLargeError) else _EVIDENCE_UNSUPPORTED
        raise type(error)(wider) from None


def _check(source: bytes | BinaryIO, image_max_bytes: int, video_max_bytes: int, *, evidence: bool,
           budget: PixelBudget | None = None) -> CheckedMedia:
    stream = io.BytesIO(source) if isinstance(source, (bytes, bytearray, memoryview)) else source
    head = _read_at_most(stream, _SNIFF_BYTES)
    image_format = _sniff_image(head)
    if image_format is not None:
        original = head + _read_within_limit(stream, image_max_bytes - len(head))
        return _check_image(original, image_format, budget, EVIDENCE_MAX_SIDE if evidence else None)
    if _is_iso_media_header(head):
        limit = AUDIO_MAX_BYTES if _major_brand(head) in _AUDIO_BRANDS else video_max_bytes
        original = head + _read_within_limit(stream, limit - len(head))
        return _check_iso_media(original, evidence)
    if evidence:
        sniffed = _sniff_evidence(head)
        if sniffed is not None:
            limit, check = sniffed
            return check(head + _read_within_limit(stream, limit - len(head)))
    raise UnsupportedMediaError()


def _read_at_most(stream: BinaryIO, limit: int) -> bytes:
    parts, remaining = [], limit
    while remaining > 0:
        chunk = stream.read(min(remaining, _READ_CHUNK))
        if not chunk:
            break
        parts.append(chunk)
        remaining -= len(chunk)
    return b"".join(parts)


def _read_within_limit(stream: BinaryIO, limit: int) -> bytes:
    data = _read_at_most(stream, limit + 1)
    if len(data) > limit:
        raise MediaTooLargeError()
    return data


def _sniff_image(head: bytes) -> _ImageFormat | None:
    if head.startswith(b"\xff\xd8\xff"):
        return _JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return _PNG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return _WEBP
    return None


def _check_image(original: bytes, image_format: _ImageFormat, budget: PixelBudget | None = None,
                 max_side: int | None = None) -> CheckedMedia:
    """Re-encode an image; with `max_side`, the result is at most that large and the decoding is reduced
    (JPEG's DCT scaling; other formats a box reduction right after decoding), and `budget` is charged the
    pixels decoded, before decoding."""
    try:
        with Image.open(io.BytesIO(original), formats=image_format.pillow_names[:1]) as opened:
            if opened.format not in image_format.pillow_names:
                raise UnsupportedMediaError()
            if opened.width * opened.height > IMAGE_MAX_PIXELS:
                raise MediaTooLargeError(_TOO_MANY_PIXELS)
            if max_side is not None and opened.format in ("JPEG", "MPO"):
                # JPEG decodes at 1/2, 1/4 or 1/8 scale: the smallest whose longer side is still over max_side / 2
                scale = max_side / 2 / max(opened.size)
                opened.draft(opened.mode, (math.ceil(opened.width * scale), math.ceil(opened.height * scale)))
            if budget is not None:
                budget.spend(opened.width * opened.height)
            opened.load()
            _make_upright(opened)
            reduced = _reduce(opened, max_side) if max_side is not None else opened
            picture = _clean_copy(reduced, image_format)
            if max_side is not None:
                picture = _shrink(picture, max_side)
        data = _encode(picture, image_format)
        thumbnail = _encode(_shrink(picture, THUMBNAIL_MAX_SIDE), image_format)
    except MediaError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise MediaTooLargeError(_TOO_MANY_PIXELS) from exc
    except Exception as exc:
        # Decoders fed hostile bytes fail in many ways (OSError, SyntaxError, struct.error...); all mean "not
        # an image we can vouch for".
        raise UnsupportedMediaError() from exc
    return CheckedMedia(
        kind="image",
        mime=image_format.mime,
        extension=image_format.extension,
        width=picture.width,
        height=picture.height,
        data=data,
        thumbnail=thumbnail,
        sha256=hashlib.sha256(original).hexdigest(),
        size=len(data),
    )


def _make_upright(image: Image.Image) -> None:
    """Apply the EXIF orientation to the pixels, since the EXIF that carried it is about to be dropped."""
    # A photo with unreadable EXIF is still a photo: keep it as stored rather than refuse it.
    with contextlib.suppress(Exception):
        ImageOps.exif_transpose(image, in_place=True)


def _clean_copy(image: Image.Image, image_format: _ImageFormat) -> Image.Image:
    """The pixels alone, in sRGB and a mode the target format stores, on a fresh image with no metadata."""
    image = _to_srgb(image)
    if image.mode not in image_format.modes:
        has_alpha = "A" in image.getbands() or image.has_transparency_data
        image = image.convert("RGBA" if has_alpha and "RGBA" in image_format.modes else "RGB")
    clean = Image.new(image.mode, image.size)
    clean.paste(image)
    return clean


def _to_srgb(image: Image.Image) -> Image.Image:
    """Convert pixels tagged with a colour profile (e.g. Display P3 from phones) to sRGB, so that dropping
    the profile with the rest of the metadata does not shift colours. A broken profile is ignored."""
    icc = image.info.get("icc_profile")
    if not icc or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        output_mode = "RGBA" if image.mode == "RGBA" else "RGB"
        return ImageCms.profileToProfile(image, source, _SRGB, outputMode=output_mode)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return image


def _reduce(image: Image.Image, max_side: int) -> Image.Image:
    """A cheap whole-factor box reduction to at most `max_side`, so colour conversion and encoding work on the
    reduced pixels (as JPEG's reduced decoding does, the result is over half of `max_side`)."""
    factor = math.ceil(max(image.size) / max_side)
    return image.reduce(factor) if factor >= 2 else image


def _shrink(image: Image.Image, max_side: int) -> Image.Image:
    scale = max_side / max(image.size)
    if scale >= 1:
        return image
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def _encode(image: Image.Image, image_format: _ImageFormat) -> bytes:
    out = io.BytesIO()
    image.save(out, image_format.pillow_names[0], **dict(image_format.save_options))
    return out.getvalue()


def _is_iso_media_header(head: bytes) -> bool:
    """An ISO-BMFF file starts with an 'ftyp' box naming MP4 or an MPEG-4 audio brand (major or compatible)."""
    if len(head) < 16 or head[4:8] != b"ftyp":
        return False
    box_size = struct.unpack(">I", head[:4])[0]
    brands = {head[8:12]} | {head[offset:offset + 4] for offset in range(16, min(box_size, len(head)), 4)}
    return box_size >= 16 and bool(brands & (_MP4_BRANDS | _AUDIO_BRANDS))


def _major_brand(head: bytes) -> bytes:
    return head[8:12]


def _check_iso_media(original: bytes, evidence: bool) -> CheckedMedia:
    """Video, or sound only: an audio major brand (M4A) or tracks that are all sound ('soun', no 'vide').
    Sound is evidence only; a page refuses it like any other format it does not show."""
    top_level = _iso_boxes(original, 0, len(original))
    if top_level is None or b"ftyp" not in top_level or b"moov" not in top_level:
        raise UnsupportedMediaError()
    if _major_brand(original) in _AUDIO_BRANDS or _is_sound_only(original, top_level[b"moov"]):
        if not evidence:
            raise UnsupportedMediaError()
        if len(original) > AUDIO_MAX_BYTES:
            raise MediaTooLargeError()
        return _kept_as_is("audio", "audio/mp4", "m4a", original)
    return _kept_as_is("video", "video/mp4", "mp4", original)


def _is_sound_only(data: bytes, moov: tuple[int, int]) -> bool:
    """Every track's handler ('moov/trak/mdia/hdlr') is 'soun', and there is at least one track."""
    handlers = []
    for trak in _iso_children(data, moov, b"trak"):
        for mdia in _iso_children(data, trak, b"mdia"):
            for start, end in _iso_children(data, mdia, b"hdlr"):
                # A full box: version and flags (4 bytes), pre_defined (4), then the handler type.
                handlers.append(data[start + 8:start + 12] if end - start >= 12 else b"")
    return bool(handlers) and all(handler == b"soun" for handler in handlers)


def _iso_children(data: bytes, parent: tuple[int, int], box_type: bytes) -> list[tuple[int, int]]:
    boxes = _iso_box_list(data, *parent)
    return [(start, end) for kind, start, end in boxes or () if kind == box_type]


def _iso_boxes(data: bytes, start: int, end: int) -> dict[bytes, tuple[int, int]] | None:
    """The boxes tiling data[start:end] by type (the first of each), or None if they do not tile it."""
    boxes = _iso_box_list(data, start, end)
    if boxes is None:
        return None
    found = {}
    for kind, payload_start, payload_end in boxes:
        found.setdefault(kind, (payload_start, payload_end))
    return found


def _iso_box_list(data: bytes, start: int, end: int) -> list[tuple[bytes, int, int]] | None:
    """(type, payload start, payload end) of the boxes that must tile data[start:end] exactly: this refuses a
    valid-looking 'ftyp' followed by anything else (an HTML page, a script) at almost no cost."""
    offset, boxes = start, []
    while offset < end:
        if end - offset < 8:
            return None
        box_size, box_type = struct.unpack(">I4s", data[offset:offset + 8])
        header = 8
        if box_size == 1:
            if end - offset < 16:
                return None
            box_size, header = struct.unpack(">Q", data[offset + 8:offset + 16])[0], 16
        elif box_size == 0:
            box_size = end - offset
        if box_size < header or offset + box_size > end or not _is_box_type(box_type):
            return None
        boxes.append((box_type, offset + header, offset + box_size))
        offset += box_size
    return boxes


def _is_box_type(box_type: bytes) -> bool:
    return all(0x20 <= byte < 0x7F for byte in box_type)


def _kept_as_is(kind: str, mime: str, extension: str, original: bytes, data: bytes | None = None) -> CheckedMedia:
    """A file with no pixels to re-encode: stored as received, or as `data` when metadata was cut from it."""
    data = original if data is None else data
    return CheckedMedia(kind=kind, mime=mime, extension=extension, width=None, height=None, data=data,
                        thumbnail=None, sha256=hashlib.sha256(original).hexdigest(), size=len(data))


def _sniff_evidence(head: bytes):
    """(size limit, checker) for the audio and document formats only a tip accepts, or None."""
    if head.startswith(b"#!AMR-WB\n"):
        return AUDIO_MAX_BYTES, _check_amr_wb
    if head.startswith(b"#!AMR\n"):
        return AUDIO_MAX_BYTES, _check_amr_nb
    if head.startswith(b"ID3") or _mpeg_frame_bytes(head) is not None:
        return AUDIO_MAX_BYTES, _check_mp3
    if head.startswith(b"%PDF-"):
        return PDF_MAX_BYTES, _check_pdf
    return None


def _check_amr_nb(original: bytes) -> CheckedMedia:
    return _check_amr(original, b"#!AMR\n", _AMR_NB_FRAME_BYTES, "audio/amr", "amr")


def _check_amr_wb(original: bytes) -> CheckedMedia:
    return _check_amr(original, b"#!AMR-WB\n", _AMR_WB_FRAME_BYTES, "audio/amr-wb", "awb")


def _check_amr(original: bytes, magic: bytes, frame_bytes: tuple[int, ...], mime: str, extension: str) -> CheckedMedia:
    """Storage-format AMR: the magic, then whole frames whose one-byte header (padding bits zero) gives their
    size, checked through the first 64 KiB (a minute of speech; walking 20 MB of one-byte frames would cost
    seconds), and ending exactly at the end of a file that short. AMR carries no metadata to remove."""
    offset, checked_end = len(magic), min(len(original), _AMR_CHECKED_BYTES)
    while offset < checked_end:
        header = original[offset]
        if header & 0x83:
            raise UnsupportedMediaError()
        offset += frame_bytes[header >> 3 & 0x0F]
    if offset == len(magic) or offset > len(original):
        raise UnsupportedMediaError()
    return _kept_as_is("audio", mime, extension, original)


# kbit/s by bitrate index, for (MPEG-1 or not, layer); index 0 (free format) and 15 are refused.
_MPEG_BITRATES = {
    (True, 1): (0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (True, 2): (0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (True, 3): (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (False, 1): (0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (False, 2): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
    (False, 3): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_MPEG_SAMPLE_RATES = (44100, 48000, 32000)
# Version bits: 0 = MPEG-2.5, 2 = MPEG-2, 3 = MPEG-1 (1 is reserved); the sample rate is divided by this.
_MPEG_RATE_DIVISORS = {0: 4, 2: 2, 3: 1}
_ID3V1_BYTES = 128


def _mpeg_frame_bytes(data: bytes, offset: int = 0) -> int | None:
    """The length of the MPEG audio frame whose header starts at `offset`, or None if none does."""
    if len(data) - offset < 4:
        return None
    header = int.from_bytes(data[offset:offset + 4], "big")
    version, layer_bits = header >> 19 & 3, header >> 17 & 3
    bitrate_index, rate_index, padding = header >> 12 & 15, header >> 10 & 3, header >> 9 & 1
    if header >> 21 != 0x7FF or version == 1 or layer_bits == 0 or bitrate_index in (0, 15) or rate_index == 3:
        return None
    layer, mpeg1 = 4 - layer_bits, version == 3
    bitrate = _MPEG_BITRATES[(mpeg1, layer)][bitrate_index] * 1000
    sample_rate = _MPEG_SAMPLE_RATES[rate_index] // _MPEG_RATE_DIVISORS[version]
    if layer == 1:
        return (12 * bitrate // sample_rate + padding) * 4
    samples_per_byte = 72 if layer == 3 and not mpeg1 else 144
    return samples_per_byte * bitrate // sample_rate + padding


def _id3v2_end(data: bytes) -> int:
    """Where the leading ID3v2 tags end (0 without one): 10-byte header, sync-safe size, optional footer."""
    offset = 0
    while data[offset:offset + 3] == b"ID3" and len(data) - offset >= 10:
        size_bytes = data[offset + 6:offset + 10]
        if any(byte & 0x80 for byte in size_bytes):
            raise UnsupportedMediaError()
        size = sum(byte << 7 * (3 - position) for position, byte in enumerate(size_bytes))
        offset += 10 + size + (10 if data[offset + 5] & 0x10 else 0)
    return offset


def _check_mp3(original: bytes) -> CheckedMedia:
    """MPEG audio after any ID3v2 tag: a valid frame header, and a second one right after the first frame
    (what players check to trust a sync word). Staff get the frames without the ID3v2 and ID3v1 tags."""
    start = _id3v2_end(original)
    first = _mpeg_frame_bytes(original, start)
    if first is None:
        raise UnsupportedMediaError()
    end = len(original)
    if end - _ID3V1_BYTES >= start and original[end - _ID3V1_BYTES:end - _ID3V1_BYTES + 3] == b"TAG":
        end -= _ID3V1_BYTES
    if start + first < end and _mpeg_frame_bytes(original[:end], start + first) is None:
        raise UnsupportedMediaError()
    return _kept_as_is("audio", "audio/mpeg", "mp3", original, original[start:end])


# Keys under which a PDF says what to do: actions (`/A`, and `/AA` triggers on open, close, focus, keystroke,
# calculation...), the document's open action, an XFA form (scripts of its own) and a form's JavaScript.
_ACTION_KEYS = ("/A", "/AA", "/OpenAction", "/XFA", "/JS")
# Annotations that carry or play content of their own rather than mark up the page.
_ACTIVE_ANNOTATIONS = {"/FileAttachment", "/RichMedia", "/Screen", "/Movie", "/Sound", "/3D"}


def _drop_active_content(writer):
    """What a PDF does by itself, on a staff member's computer: every action wherever it hangs (document,
    pages, annotations and form fields, outline items: JavaScript, Launch, SubmitForm, ImportData, GoToR,
    GoToE, URI...), XFA forms, embedded files and the annotations that carry or play content. Staff read a
    letter; they never need any of it, so the whole object graph is walked and none is kept."""
    names = writer.root_object.get("/Names")
    if names is not None:
        names = names.get_object()
        for key in ("/JavaScript", "/EmbeddedFiles"):
            names.pop(key, None)
    seen = set()
    pending = [writer.root_object]
    while pending:
        value = pending.pop()
        if isinstance(value, IndirectObject):
            if (value.idnum, value.generation) in seen:
                continue
            seen.add((value.idnum, value.generation))
            value = value.get_object()
        if isinstance(value, DictionaryObject):
            for key in _ACTION_KEYS:
                value.pop(key, None)
            annotations = value.get("/Annots")
            if annotations is not None and isinstance(annotations.get_object(), ArrayObject):
                kept = [item for item in annotations.get_object()
                        if item.get_object().get("/Subtype") not in _ACTIVE_ANNOTATIONS]
                value[NameObject("/Annots")] = ArrayObject(kept)
            pending.extend(item for key, item in value.items() if key != "/Parent")
        elif isinstance(value, ArrayObject):
            pending.extend(value)


def _check_pdf(original: bytes) -> CheckedMedia:
    """A PDF that pypdf can read, ends with `%%EOF` in its last kilobyte and is not password-protected. Staff
    get it rewritten without its document information dictionary and XMP metadata (document and pages), and
    without actions, scripts or embedded files."""
    if b"%%EOF" not in original[-_PDF_TAIL_BYTES:]:
        raise UnsupportedMediaError()
    try:
        reader = PdfReader(io.BytesIO(original), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise UnsupportedMediaError(_PDF_LOCKED)
        writer = PdfWriter(clone_from=reader)
        writer.metadata = None
        writer.xmp_metadata = None
        for page in writer.pages:
            for key in ("/Metadata", "/PieceInfo"):
                page.pop(key, None)
        _drop_active_content(writer)
        # The metadata objects are still in the file, only no longer referenced: leave them out.
        writer.compress_identical_objects(remove_duplicates=False, remove_unreferenced=True)
        out = io.BytesIO()
        writer.write(out)
    except MediaError:
        raise
    except Exception as exc:
        # Like image decoders, a PDF parser fed hostile bytes fails in many ways: all mean "not a PDF we can
        # vouch for".
        raise UnsupportedMediaError() from exc
    return _kept_as_is("document", "application/pdf", "pdf", original, out.getvalue())
