"""Uploads through the API: checked by content, EXIF stripped, refused with 415/413, text kept."""
import io

from tests.content.conftest import has_exif, photo_with_exif


def _upload(posts_api, post_id, data, filename="anh.jpg", user="commune_admin", **form):
    return posts_api.call("POST", f"/posts/{post_id}/media", user,
                          data={"file": (io.BytesIO(data), filename), **form}, content_type="multipart/form-data")


def test_photo_is_stored_without_exif_and_becomes_cover(posts_api, client):
    post = posts_api.create()
    original = photo_with_exif()
    assert has_exif(original)
    response = _upload(posts_api, post["id"], original)
    assert response.status_code == 201, response.get_json()
    media = response.get_json()
    assert media["mime"] == "image/jpeg" and media["width"] == 640 and media["thumbnail_url"]
    detail = posts_api.call("GET", f"/posts/{post['id']}", "commune_admin").get_json()
    assert detail["cover_media_id"] == media["id"]
    # The draft's photo is not public yet; staff see it through the same address.
    assert client.get(media["url"]).status_code == 404
    posts_api.act(post["id"], "submit", "commune_admin")
    posts_api.act(post["id"], "approve", "unit_admin")
    posts_api.act(post["id"], "publish", "unit_admin")
    served = client.get(media["url"])
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "attachment" not in served.headers.get("Content-Disposition", "")
    assert not has_exif(served.data) and b"SERIAL-123456" not in served.data
    thumb = client.get(media["thumbnail_url"])
    assert thumb.status_code == 200 and not has_exif(thumb.data)


def test_png_named_jpg_is_served_as_png(posts_api, client):
    post = posts_api.create()
    media = _upload(posts_api, post["id"], photo_with_exif("PNG"), filename="anh.jpg").get_json()
    assert media["mime"] == "image/png" and media["url"].endswith(".png")


def test_not_an_image_is_415_and_text_is_kept(posts_api):
    post = posts_api.create(title="Bài giữ nguyên")
    for data, name in [(b"<html><script>alert(1)</script></html>", "anh.jpg"), (b"%PDF-1.4 ...", "x.pdf"),
                       (b"\xff\xd8\xff\xe0broken jpeg", "broken.jpg")]:
        response = _upload(posts_api, post["id"], data, filename=name)
        assert response.status_code == 415, name
        assert response.get_json()["error"]["code"] == "unsupported_media_type"
    detail = posts_api.call("GET", f"/posts/{post['id']}", "commune_admin").get_json()
    assert detail["title"] == "Bài giữ nguyên" and detail["media"] == []


def test_too_large_image_is_413_and_text_is_kept(posts_api):
    post = posts_api.create(title="Ảnh quá lớn")
    oversized = b"\xff\xd8\xff\xe0" + b"\0" * (10 * 1024 * 1024)
    response = _upload(posts_api, post["id"], oversized)
    assert response.status_code == 413 and response.get_json()["error"]["code"] == "too_large"
    detail = posts_api.call("GET", f"/posts/{post['id']}", "commune_admin").get_json()
    assert detail["title"] == "Ảnh quá lớn" and detail["media"] == []


def test_missing_file_is_422_and_readers_get_403(posts_api):
    post = posts_api.create()
    missing = posts_api.call("POST", f"/posts/{post['id']}/media", "commune_admin", data={},
                             content_type="multipart/form-data")
    assert missing.status_code == 422 and "file" in missing.get_json()["error"]["fields"]
    assert _upload(posts_api, post["id"], photo_with_exif(), user="officer").status_code == 403


def test_upload_to_published_post_is_409(posts_api):
    post = posts_api.published()
    assert _upload(posts_api, post["id"], photo_with_exif()).status_code == 409


def test_cover_must_be_own_image(posts_api):
    first = posts_api.create()
    other = posts_api.create()
    media = _upload(posts_api, other["id"], photo_with_exif()).get_json()
    response = posts_api.call("PATCH", f"/posts/{first['id']}", "commune_admin", json={"cover_media_id": media["id"]})
    assert response.status_code == 422 and "cover_media_id" in response.get_json()["error"]["fields"]
