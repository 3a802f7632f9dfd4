import hashlib
import io
import struct
import zlib

import pytest
from PIL import ExifTags, Image, ImageCms, PngImagePlugin, features

from core.media import (
    IMAGE_MAX_BYTES,
    CheckedMedia,
    MediaTooLargeError,
    UnsupportedMediaError,
    check_upload,
)

RED, BLUE = (220, 20, 20), (20, 20, 220)
GPS_XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><exif:GPSLatitude>9,56.0N</exif:GPSLatitude></x:xmpmeta>'


def _encode(image, image_format, **options):
    out = io.BytesIO()
    image.save(out, image_format, **options)
    return out.getvalue()


def _two_halves(width=40, height=20):
    """Red on the left half, blue on the right: shows which way a picture was turned."""
    image = Image.new("RGB", (width, height), BLUE)
    image.paste(RED, (0, 0, width // 2, height))
    return image


def _gps_exif(orientation=1):
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "PhoneMaker"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (9.0, 56.0, 12.5)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (106.0, 20.0, 1.0)
    return exif


def _assert_no_metadata(data):
    with Image.open(io.BytesIO(data)) as image:
        assert len(image.getexif()) == 0
        assert "exif" not in image.info
        assert "xmp" not in image.info
        assert "icc_profile" not in image.info
    assert b"Exif\x00\x00" not in data
    assert b"PhoneMaker" not in data
    assert b"GPSLatitude" not in data


def _close_to(pixel, colour, tolerance=40):
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour, strict=False))


def test_jpeg_loses_gps_exif_and_xmp_and_stays_upright():
    original = _encode(_two_halves(), "JPEG", exif=_gps_exif(orientation=6), xmp=GPS_XMP)
    with Image.open(io.BytesIO(original)) as sent:
        assert sent.getexif().get_ifd(ExifTags.IFD.GPSInfo)

    media = check_upload(original)

    assert (media.kind, media.mime, media.extension) == ("image", "image/jpeg", "jpg")
    _assert_no_metadata(media.data)
    _assert_no_metadata(media.thumbnail)
    # Orientation 6 means "turn 90° clockwise to view": the left (red) half ends up on top.
    assert (media.width, media.height) == (20, 40)
    with Image.open(io.BytesIO(media.data)) as stored:
        assert stored.format == "JPEG"
        assert _close_to(stored.convert("RGB").getpixel((10, 5)), RED)
        assert _close_to(stored.convert("RGB").getpixel((10, 35)), BLUE)


def test_result_describes_the_stored_bytes_and_hashes_the_original():
    original = _encode(_two_halves(), "JPEG", exif=_gps_exif())

    media = check_upload(original)

    assert isinstance(media, CheckedMedia)
    assert media.sha256 == hashlib.sha256(original).hexdigest()
    assert media.size == len(media.data)


def test_png_is_accepted_and_re_encoded_without_text_or_exif():
    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", "PhoneMaker GPSLatitude 9.93")
    original = _encode(_two_halves(), "PNG", pnginfo=text, exif=_gps_exif())

    media = check_upload(original)

    assert (media.mime, media.extension, media.width, media.height) == ("image/png", "png", 40, 20)
    _assert_no_metadata(media.data)
    with Image.open(io.BytesIO(media.data)) as stored:
        assert stored.format == "PNG"
        assert not stored.text
        assert stored.getpixel((5, 5)) == RED


def test_palette_png_keeps_its_transparency():
    image = Image.new("P", (10, 10), 0)
    image.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    image.paste(1, (5, 0, 10, 10))
    original = _encode(image, "PNG", transparency=1)

    media = check_upload(original)

    with Image.open(io.BytesIO(media.data)) as stored:
        assert stored.mode == "RGBA"
        assert stored.getpixel((8, 5))[3] == 0
        assert stored.getpixel((2, 5)) == (255, 0, 0, 255)


@pytest.mark.skipif(not features.check("webp"), reason="Pillow built without WebP")
def test_webp_is_accepted_without_metadata():
    original = _encode(_two_halves(), "WEBP", exif=_gps_exif(), xmp=GPS_XMP)

    media = check_upload(original)

    assert (media.mime, media.extension) == ("image/webp", "webp")
    _assert_no_metadata(media.data)
    with Image.open(io.BytesIO(media.data)) as stored:
        assert stored.format == "WEBP"


def test_colour_profile_is_applied_then_dropped():
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    original = _encode(_two_halves(), "JPEG", icc_profile=srgb)

    media = check_upload(original)

    _assert_no_metadata(media.data)


def test_cmyk_jpeg_is_stored_as_rgb():
    original = _encode(Image.new("CMYK", (16, 16), (0, 255, 255, 0)), "JPEG")

    media = check_upload(original)

    with Image.open(io.BytesIO(media.data)) as stored:
        assert stored.mode == "RGB"


def test_multi_picture_jpeg_is_stored_as_its_first_picture():
    pictures = [Image.new("RGB", (10, 10), RED), Image.new("RGB", (10, 10), BLUE)]
    original = _encode(pictures[0], "MPO", save_all=True, append_images=pictures[1:])

    media = check_upload(original)

    with Image.open(io.BytesIO(media.data)) as stored:
        assert (stored.format, getattr(stored, "n_frames", 1)) == ("JPEG", 1)
        assert _close_to(stored.getpixel((5, 5)), RED)


def test_thumbnail_fits_in_400_pixels_and_keeps_the_format():
    media = check_upload(_encode(_two_halves(1200, 800), "JPEG"))

    with Image.open(io.BytesIO(media.thumbnail)) as thumbnail:
        assert thumbnail.format == "JPEG"
        assert thumbnail.size == (400, 267)
    assert (media.width, media.height) == (1200, 800)


def test_content_wins_over_the_file_name(tmp_path):
    disguised = tmp_path / "photo.png"
    disguised.write_bytes(_encode(_two_halves(), "JPEG"))

    with disguised.open("rb") as upload:
        media = check_upload(upload)

    assert (media.mime, media.extension) == ("image/jpeg", "jpg")


def _gif():
    return _encode(Image.new("P", (4, 4)), "GIF")


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"Just some text, not a picture.\n", id="text"),
        pytest.param(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF", id="pdf"),
        pytest.param(_gif(), id="gif"),
        pytest.param(b"<!DOCTYPE html><html><script>alert(1)</script></html>", id="html"),
        pytest.param(b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', id="svg"),
        pytest.param(b"\xff\xd8\xff\xe0" + b"<script>alert(1)</script>" * 40, id="jpeg-header-polyglot"),
        pytest.param(b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, id="png-header-garbage"),
        pytest.param(b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x00" * 40, id="webp-header-garbage"),
        pytest.param(_encode(_two_halves(400, 400), "JPEG")[:400], id="truncated-jpeg"),
        pytest.param(_encode(_two_halves(), "BMP"), id="bmp"),
        pytest.param(b"", id="empty"),
    ],
)
def test_anything_else_is_unsupported_whatever_its_name(tmp_path, content):
    upload = tmp_path / "photo.jpg"
    upload.write_bytes(content)

    with upload.open("rb") as stream, pytest.raises(UnsupportedMediaError) as raised:
        check_upload(stream)

    assert raised.value.status == 415
    assert "Định dạng tệp không được hỗ trợ" in raised.value.message


def test_bytes_appended_after_a_valid_jpeg_are_dropped():
    payload = b"<html><script>alert(document.cookie)</script></html>"

    media = check_upload(_encode(_two_halves(), "JPEG") + payload)

    assert payload not in media.data
    assert b"<script" not in media.data


class _EndlessStream:
    """An upload that never ends, counting how much was read from it."""

    def __init__(self, head):
        self.head = head
        self.consumed = 0

    def read(self, size=-1):
        assert size > 0, "the whole stream must never be requested"
        start = self.consumed
        self.consumed += size
        return (self.head[start:start + size] + b"\x00" * size)[:size]


def test_an_oversized_image_is_refused_after_reading_only_the_limit():
    stream = _EndlessStream(b"\xff\xd8\xff\xe0")

    with pytest.raises(MediaTooLargeError) as raised:
        check_upload(stream)

    assert stream.consumed == IMAGE_MAX_BYTES + 1
    assert raised.value.status == 413
    assert raised.value.message == "Tệp quá lớn: ảnh tối đa 10 MB, video tối đa 100 MB."


def test_an_oversized_video_is_refused_after_reading_only_the_limit():
    stream = _EndlessStream(_mp4()[:32])

    with pytest.raises(MediaTooLargeError):
        check_upload(stream, video_max_bytes=2_000_000)

    assert stream.consumed == 2_000_001


def _png_header(width, height):
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 64))


@pytest.mark.parametrize("side", [8_000, 100_000], ids=["above-our-limit", "pillow-bomb-error"])
def test_decompression_bombs_are_refused_before_decoding(side):
    with pytest.raises(MediaTooLargeError) as raised:
        check_upload(_png_header(side, side))

    assert "điểm ảnh" in raised.value.message


def _box(kind, body=b""):
    return struct.pack(">I", 8 + len(body)) + kind + body


def _mp4(brand=b"isom", compatible=(b"isom", b"iso2", b"avc1", b"mp41")):
    ftyp = _box(b"ftyp", brand + struct.pack(">I", 512) + b"".join(compatible))
    return ftyp + _box(b"free") + _box(b"mdat", b"\x00" * 64) + _box(b"moov", _box(b"mvhd", b"\x00" * 100))


@pytest.mark.parametrize("brand", [b"isom", b"mp42", b"M4V ", b"dash"])
def test_mp4_is_recognised_by_its_boxes_and_kept_as_is(tmp_path, brand):
    original = _mp4(brand=brand)
    upload = tmp_path / "clip.bin"
    upload.write_bytes(original)

    with upload.open("rb") as stream:
        media = check_upload(stream)

    assert (media.kind, media.mime, media.extension) == ("video", "video/mp4", "mp4")
    assert media.data == original
    assert media.thumbnail is None and media.width is None


def test_mp4_brand_may_be_a_compatible_one():
    assert check_upload(_mp4(brand=b"XYZW", compatible=(b"mp42",))).kind == "video"


def test_mp4_with_a_64_bit_box_size_is_accepted():
    mdat = struct.pack(">I", 1) + b"mdat" + struct.pack(">Q", 16 + 32) + b"\x00" * 32
    original = _mp4()[:32] + mdat + _box(b"moov")

    assert check_upload(original).kind == "video"


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(bytes(range(256)) * 64, id="random-bytes"),
        pytest.param(_mp4(brand=b"qt  ", compatible=(b"qt  ",)), id="quicktime"),
        pytest.param(_mp4()[:32] + b"<html><script>alert(1)</script></html>", id="ftyp-then-html"),
        pytest.param(_mp4()[:32] + _box(b"mdat", b"\x00" * 8), id="no-moov"),
        pytest.param(_mp4()[:-10], id="truncated"),
        pytest.param(_mp4()[:32] + struct.pack(">I", 4) + b"moov", id="box-smaller-than-header"),
    ],
)
def test_not_really_an_mp4_is_refused(tmp_path, content):
    upload = tmp_path / "clip.mp4"
    upload.write_bytes(content)

    with upload.open("rb") as stream, pytest.raises(UnsupportedMediaError):
        check_upload(stream)
