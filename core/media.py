"""Checking uploads by their content: what a file is comes from its bytes, never from its name or declared type.

Images (JPEG, PNG, WebP) are decoded and re-encoded, which drops every byte we did not understand: EXIF
(GPS position, camera serial), XMP, comments, and anything appended after the image data. Videos (MP4) are
checked by their ISO-BMFF box structure and kept as they are.
"""
import contextlib
import hashlib
import io
import struct
from dataclasses import dataclass
from typing import BinaryIO

from PIL import Image, ImageCms, ImageOps

IMAGE_MAX_BYTES = 10 * 1024 * 1024
VIDEO_MAX_BYTES = 100 * 1024 * 1024
# Below Pillow's own bomb threshold, so an accepted image never even triggers its warning; ~200 MB as RGBA.
IMAGE_MAX_PIXELS = 50_000_000
THUMBNAIL_MAX_SIDE = 400

_UNSUPPORTED = "Định dạng tệp không được hỗ trợ. Chỉ nhận ảnh JPEG, PNG, WebP hoặc video MP4."
_TOO_LARGE = "Tệp quá lớn: ảnh tối đa 10 MB, video tối đa 100 MB."
_TOO_MANY_PIXELS = "Ảnh có kích thước quá lớn: tối đa 50 triệu điểm ảnh."

_SNIFF_BYTES = 32
_READ_CHUNK = 1024 * 1024
_MP4_BRANDS = {
    b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"iso8", b"mp41", b"mp42", b"avc1",
    b"M4V ", b"M4VH", b"M4VP", b"dash", b"mmp4", b"msnv", b"MSNV", b"XAVC",
}
_SRGB = ImageCms.createProfile("sRGB")


class MediaError(ValueError):
    """An upload we refuse. `status` and `code` are the HTTP answer; `message` is shown to the user."""

    status = 400
    code = "bad_request"
    default_message = _UNSUPPORTED

    def __init__(self, message: str | None = None):
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
    """Accept an image or video upload, or raise `UnsupportedMediaError` / `MediaTooLargeError`.

    `source` is bytes or a readable binary stream (e.g. werkzeug's FileStorage); no more than the applicable
    limit plus one byte is ever read from a stream.
    """
    stream = io.BytesIO(source) if isinstance(source, (bytes, bytearray, memoryview)) else source
    head = _read_at_most(stream, _SNIFF_BYTES)
    image_format = _sniff_image(head)
    if image_format is not None:
        original = head + _read_within_limit(stream, image_max_bytes - len(head))
        return _check_image(original, image_format)
    if _is_mp4_header(head):
        original = head + _read_within_limit(stream, video_max_bytes - len(head))
        return _check_video(original)
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


def _check_image(original: bytes, image_format: _ImageFormat) -> CheckedMedia:
    try:
        with Image.open(io.BytesIO(original), formats=image_format.pillow_names[:1]) as opened:
            if opened.format not in image_format.pillow_names:
                raise UnsupportedMediaError()
            if opened.width * opened.height > IMAGE_MAX_PIXELS:
                raise MediaTooLargeError(_TOO_MANY_PIXELS)
            opened.load()
            _make_upright(opened)
            picture = _clean_copy(opened, image_format)
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


def _is_mp4_header(head: bytes) -> bool:
    """An ISO-BMFF file starts with an 'ftyp' box naming MP4 among its brands (major or compatible)."""
    if len(head) < 16 or head[4:8] != b"ftyp":
        return False
    box_size = struct.unpack(">I", head[:4])[0]
    brands = {head[8:12]} | {head[offset:offset + 4] for offset in range(16, min(box_size, len(head)), 4)}
    return box_size >= 16 and bool(brands & _MP4_BRANDS)


def _check_video(original: bytes) -> CheckedMedia:
    if not _has_mp4_boxes(original):
        raise UnsupportedMediaError()
    return CheckedMedia(
        kind="video",
        mime="video/mp4",
        extension="mp4",
        width=None,
        height=None,
        data=original,
        thumbnail=None,
        sha256=hashlib.sha256(original).hexdigest(),
        size=len(original),
    )


def _has_mp4_boxes(data: bytes) -> bool:
    """The top-level boxes must tile the whole file and include the movie header ('moov'): this refuses a
    valid-looking 'ftyp' followed by anything else (an HTML page, a script) at almost no cost."""
    offset, seen = 0, set()
    while offset < len(data):
        if len(data) - offset < 8:
            return False
        box_size, box_type = struct.unpack(">I4s", data[offset:offset + 8])
        header = 8
        if box_size == 1:
            if len(data) - offset < 16:
                return False
            box_size, header = struct.unpack(">Q", data[offset + 8:offset + 16])[0], 16
        elif box_size == 0:
            box_size = len(data) - offset
        if box_size < header or offset + box_size > len(data) or not _is_box_type(box_type):
            return False
        seen.add(box_type)
        offset += box_size
    return b"ftyp" in seen and b"moov" in seen


def _is_box_type(box_type: bytes) -> bool:
    return all(0x20 <= byte < 0x7F for byte in box_type)
