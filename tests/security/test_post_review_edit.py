"""Finding 14 of the hostile review: editing a post under review kept it in review, so the text a reviewer
approved was not the text that got published. An edit now sends the post back to draft, to be submitted
(and reviewed) again; pinning alone changes nothing of the content and keeps the review."""
from core.extensions import db
from core.tenancy import load, tenant_scope


def _status(world, post_id):
    from content.models import Post

    with tenant_scope(world["a"].tenant_id):
        db.session.expire_all()
        return load(Post, post_id).status


def test_an_edit_under_review_returns_the_post_to_draft(client, world, bearer, objects):
    post = objects.post("commune", "in_review")
    author, reviewer = bearer("commune_admin"), bearer("unit_admin")
    edited = client.patch(f"/api/v1/posts/{post}", headers=author, json={"body": "Nội dung khác với bản đã gửi."})
    assert edited.status_code == 200 and edited.get_json()["status"] == "draft"
    assert client.post(f"/api/v1/posts/{post}/approve", headers=reviewer).status_code == 409
    assert client.post(f"/api/v1/posts/{post}/submit", headers=author).status_code == 200
    assert client.post(f"/api/v1/posts/{post}/approve", headers=reviewer).status_code == 200


def test_pinning_a_post_under_review_keeps_its_review(client, world, bearer, objects):
    post = objects.post("commune", "in_review")
    assert client.patch(f"/api/v1/posts/{post}", headers=bearer("commune_admin"), json={"pinned": True}
                        ).status_code == 200
    assert _status(world, post) == "in_review"


def test_the_edit_page_says_the_post_went_back_to_draft(client, world, login_as, objects):
    post = objects.post("commune", "in_review")
    csrf = login_as("commune_admin")
    page = client.post(f"/app/posts/{post}", follow_redirects=True, data={
        "csrf_token": csrf, "title": "Tiêu đề sửa", "body": "Nội dung sửa", "kind": "news"})
    assert "gửi duyệt lại" in page.get_data(as_text=True)
    assert _status(world, post) == "draft"
