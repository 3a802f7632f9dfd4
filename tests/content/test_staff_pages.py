"""The staff pages: write with a photo, the review queue, actions shown only when allowed, the calendar,
revisions and the unit profile."""
import io
from datetime import timedelta

from core.timeutil import to_local, utcnow
from tests.content.conftest import photo_with_exif


def _switch(client, login_as, user):
    token = client.get("/app/account").get_data(as_text=True)
    if 'name="csrf-token"' in token:
        start = token.index('name="csrf-token" content="') + len('name="csrf-token" content="')
        client.post("/logout", data={"csrf_token": token[start:token.index('"', start)]})
    return login_as(user)


def test_write_submit_approve_schedule_through_pages(client, login_as, tenant_a):
    csrf = login_as("commune_admin")
    listing = client.get("/app/posts")
    assert listing.status_code == 200 and "Viết bài" in listing.get_data(as_text=True)
    assert client.get("/app/posts/new").status_code == 200
    response = client.post("/app/posts/new", data={
        "csrf_token": csrf, "unit_id": tenant_a.units["commune"].id, "title": "Ra quân tuần tra ban đêm",
        "kind": "news", "body": "Tổ **tuần tra** đã ra quân.", "file": (io.BytesIO(photo_with_exif()), "a.jpg"),
    }, content_type="multipart/form-data")
    assert response.status_code == 302
    edit_url = response.headers["Location"]
    page = client.get(edit_url).get_data(as_text=True)
    assert "Ra quân tuần tra ban đêm" in page and 'data-action="submit"' in page
    assert 'data-action="approve"' not in page and "Ảnh bìa" in page
    post_id = int(edit_url.rstrip("/").rsplit("/", 1)[-1])
    assert client.post(f"/app/posts/{post_id}/submit", data={"csrf_token": csrf}).status_code == 302
    page = client.get(edit_url).get_data(as_text=True)
    assert 'data-status="in_review"' in page and 'data-action="approve"' not in page

    csrf = _switch(client, login_as, "unit_admin")
    queue = client.get("/app/posts?tab=review").get_data(as_text=True)
    assert "Ra quân tuần tra ban đêm" in queue
    page = client.get(edit_url).get_data(as_text=True)
    assert 'data-action="approve"' in page and 'data-action="reject"' in page
    client.post(f"/app/posts/{post_id}/approve", data={"csrf_token": csrf})
    page = client.get(edit_url).get_data(as_text=True)
    assert 'data-status="approved"' in page and 'data-action="publish"' in page
    at = to_local(utcnow() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    client.post(f"/app/posts/{post_id}/publish", data={"csrf_token": csrf, "at": at})
    calendar = client.get("/app/posts?tab=scheduled").get_data(as_text=True)
    assert "Ra quân tuần tra ban đêm" in calendar and at[-5:] in calendar
    assert "Ra quân tuần tra ban đêm" not in client.get("/app/posts?tab=review").get_data(as_text=True)


def test_bad_form_input_and_refused_file_keep_the_text(client, login_as, tenant_a):
    csrf = login_as("commune_admin")
    too_long = client.post("/app/posts/new", data={"csrf_token": csrf, "title": "x" * 201, "kind": "news"})
    assert too_long.status_code == 422 and "200" in too_long.get_data(as_text=True)
    response = client.post("/app/posts/new", data={
        "csrf_token": csrf, "title": "Giữ nội dung", "kind": "notice", "body": "Nội dung đã viết",
        "file": (io.BytesIO(b"MZ not an image"), "virus.jpg")}, content_type="multipart/form-data")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Nội dung đã viết" in page and "không được nhận" in page


def test_rejected_post_shows_reason_and_wrong_action_flashes(client, login_as, posts_api):
    post = posts_api.create(title="Bài cần sửa")
    posts_api.act(post["id"], "submit", "commune_admin")
    posts_api.act(post["id"], "reject", "unit_admin", reason="Thiếu nguồn tin")
    csrf = login_as("commune_admin")
    page = client.get(f"/app/posts/{post['id']}").get_data(as_text=True)
    assert "Thiếu nguồn tin" in page
    response = client.post(f"/app/posts/{post['id']}/approve", data={"csrf_token": csrf}, follow_redirects=True)
    assert response.status_code == 200 and "flash error" in response.get_data(as_text=True)


def test_readers_see_list_without_write_buttons(client, login_as, posts_api):
    post = posts_api.create()
    login_as("officer")
    assert "Viết bài" not in client.get("/app/posts").get_data(as_text=True)
    page = client.get(f"/app/posts/{post['id']}").get_data(as_text=True)
    assert "data-action" not in page and "data-save" not in page
    assert client.get("/app/posts/new").status_code == 403


def test_preview_is_sanitised_and_revisions_show_a_diff(client, login_as, posts_api):
    csrf = login_as("commune_admin")
    preview = client.post("/app/posts/preview", data={"body": "**đậm** <script>alert(1)</script>"},
                          headers={"X-CSRFToken": csrf})
    assert "<strong>đậm</strong>" in preview.get_json()["html"] and "<script" not in preview.get_json()["html"]
    post = posts_api.create(body="Dòng cũ")
    posts_api.call("PATCH", f"/posts/{post['id']}", "commune_admin", json={"body": "Dòng mới"})
    diff = client.get(f"/app/posts/{post['id']}/revisions/2").get_data(as_text=True)
    assert "<del>-Dòng cũ</del>" in diff and "<ins>+Dòng mới</ins>" in diff


def test_unit_profile_is_edited_by_its_admins_and_shown_publicly(client, login_as, tenant_a):
    commune = tenant_a.units["commune"]
    login_as("officer")
    assert client.get(f"/app/units/{commune.id}/profile").status_code == 403
    csrf = _switch(client, login_as, "commune_admin")
    assert client.get(f"/app/units/{tenant_a.units['sibling'].id}/profile").status_code == 404
    too_long = client.post(f"/app/units/{commune.id}/profile", data={"csrf_token": csrf, "phone": "9" * 60})
    assert too_long.status_code == 422
    response = client.post(f"/app/units/{commune.id}/profile", data={
        "csrf_token": csrf, "address": "Ấp Chợ, xã mẫu", "phone": "0294 3855 113",
        "contact_hours": "Thứ Hai – Thứ Sáu, 7h30–17h", "description": "Công an xã phục vụ nhân dân.",
        "avatar": (io.BytesIO(photo_with_exif()), "logo.jpg")}, content_type="multipart/form-data")
    assert response.status_code == 302
    public = client.get(f"/p/{tenant_a.slug}/{commune.code}").get_data(as_text=True)
    assert "Ấp Chợ, xã mẫu" in public and "tel:02943855113" in public and "Thứ Hai – Thứ Sáu" in public
    start = public.index(f"/p/{tenant_a.slug}/{commune.code}/avatar/")
    avatar = client.get(public[start:public.index('"', start)])
    assert avatar.status_code == 200 and avatar.mimetype == "image/jpeg" and b"SERIAL-123456" not in avatar.data
