"""Content → Zalo: a post marked "Đăng cả lên Zalo OA" becomes an article of its unit's OA when it is
published, hiding it removes the article, a republished edit becomes a new article, and failures show on the
staff post page."""
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from content.lifecycle import sweep_scheduled_posts
from content.models import Post
from core.extensions import db
from core.timeutil import isoformat, utcnow
from tests.content.conftest import PostsApi
from zalo.client import ARTICLE_CREATE_PATH
from zalo.models import ZaloArticle


@pytest.fixture
def posts_api(client, bearer, world):
    return PostsApi(client, bearer, world)


def _post(channel, post_id):
    db.session.expire_all()
    with channel.scope():
        return db.session.execute(select(Post).where(Post.id == post_id)).scalar_one()


def _review_and_publish(posts_api, post_id, **publish):
    """The commune's admin submits, the district's admin (the approver) approves and publishes."""
    assert posts_api.act(post_id, "submit", "commune_admin").status_code == 200
    assert posts_api.act(post_id, "approve", "unit_admin").status_code == 200
    response = posts_api.act(post_id, "publish", "unit_admin", **publish)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_publishing_makes_an_article_hiding_removes_it_and_a_republished_edit_is_a_new_one(
        channel, fake, posts_api, run_jobs):
    channel.connect(fake)
    post = posts_api.create(zalo_publish=True, title="Cảnh giác cuộc gọi giả danh công an")
    assert post["zalo_publish"] is True and post["zalo_state"] is None
    _review_and_publish(posts_api, post["id"])
    run_jobs()
    live = _post(channel, post["id"])
    assert live.zalo_state == "live"
    article = fake.articles[live.zalo_article_id]
    assert article["title"] == "Cảnh giác cuộc gọi giả danh công an" and article["oa_id"] == channel.oa_id
    first_id = live.zalo_article_id

    assert posts_api.act(post["id"], "hide", "commune_admin").status_code == 200
    run_jobs()
    hidden = _post(channel, post["id"])
    assert hidden.zalo_state == "removed" and hidden.zalo_article_id is None and first_id not in fake.articles

    edited = posts_api.call("PATCH", f"/posts/{post['id']}", "commune_admin", json={"title": "Cảnh giác (cập nhật)"})
    assert edited.status_code == 200 and edited.get_json()["status"] == "draft"
    _review_and_publish(posts_api, post["id"])
    run_jobs()
    again = _post(channel, post["id"])
    assert again.zalo_state == "live" and again.zalo_article_id != first_id
    assert [item["title"] for item in fake.articles.values()] == ["Cảnh giác (cập nhật)"]


def test_a_post_not_marked_for_zalo_stays_off_it(channel, fake, posts_api, run_jobs):
    channel.connect(fake)
    post = posts_api.create()
    assert post["zalo_publish"] is False
    _review_and_publish(posts_api, post["id"])
    assert posts_api.act(post["id"], "hide", "commune_admin").status_code == 200
    run_jobs()
    with channel.scope():
        assert db.session.execute(select(ZaloArticle)).first() is None
    assert not fake.articles and not [r for r in fake.requests if r.path == ARTICLE_CREATE_PATH]


def test_a_scheduled_post_becomes_an_article_when_the_sweep_publishes_it(channel, fake, posts_api, run_jobs):
    channel.connect(fake)
    post = posts_api.create(zalo_publish=True)
    at = utcnow() + timedelta(minutes=5)
    assert _review_and_publish(posts_api, post["id"], at=isoformat(at))["status"] == "scheduled"
    assert _post(channel, post["id"]).zalo_state is None  # nothing goes to Zalo before the post is public
    with time_machine.travel(at + timedelta(minutes=1), tick=False):
        sweep_scheduled_posts()
        run_jobs()
    published = _post(channel, post["id"])
    assert published.status == "published" and published.zalo_state == "live"
    assert published.zalo_article_id in fake.articles


def test_the_flag_needs_a_unit_linked_to_an_oa_and_is_documented(channel, posts_api, client, tenant_a):
    sibling = tenant_a.units["sibling"].id
    refused = posts_api.call("POST", f"/units/{sibling}/posts", "unit_admin",
                             json={"title": "Thông báo", "zalo_publish": True})
    assert refused.status_code == 422 and "zalo_publish" in refused.get_json()["error"]["fields"]
    draft = posts_api.create(unit="sibling", user="unit_admin")
    patched = posts_api.call("PATCH", f"/posts/{draft['id']}", "unit_admin", json={"zalo_publish": True})
    assert patched.status_code == 422 and "zalo_publish" in patched.get_json()["error"]["fields"]
    linked = posts_api.create()
    toggled = posts_api.call("PATCH", f"/posts/{linked['id']}", "commune_admin", json={"zalo_publish": True})
    assert toggled.status_code == 200 and toggled.get_json()["zalo_publish"] is True
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    for name in ("PostCreate", "PostUpdate", "Post"):
        assert schemas[name]["properties"]["zalo_publish"]["type"] == "boolean", name


def test_the_editor_offers_the_checkbox_only_for_a_linked_unit(channel, posts_api, client, login_as, tenant_a):
    token = login_as("unit_admin")
    linked = posts_api.create()
    page = client.get(f"/app/posts/{linked['id']}").get_data(as_text=True)
    assert 'name="zalo_publish"' in page and "Đăng cả lên Zalo OA" in page
    saved = client.post(f"/app/posts/{linked['id']}", data={
        "csrf_token": token, "title": linked["title"], "body": linked["body"], "kind": "warning",
        "zalo_publish": "on"})
    assert saved.status_code == 302
    assert _post(channel, linked["id"]).zalo_publish is True
    unchecked = client.post(f"/app/posts/{linked['id']}", data={
        "csrf_token": token, "title": linked["title"], "body": linked["body"], "kind": "warning"})
    assert unchecked.status_code == 302 and _post(channel, linked["id"]).zalo_publish is False
    other = posts_api.create(unit="sibling", user="unit_admin")
    assert 'name="zalo_publish"' not in client.get(f"/app/posts/{other['id']}").get_data(as_text=True)
    new = client.post("/app/posts/new", data={"csrf_token": token, "unit_id": tenant_a.units["sibling"].id,
                                               "title": "Thông báo", "kind": "notice", "zalo_publish": "on"})
    assert new.status_code == 422 and "liên kết một Zalo Official Account" in new.get_data(as_text=True)


def test_the_post_page_shows_the_article_state_and_zalo_error_code(channel, fake, posts_api, client, login_as,
                                                                     run_jobs):
    channel.connect(fake)
    fake.fail_next(ARTICLE_CREATE_PATH, error=-201)
    refused = posts_api.create(zalo_publish=True)
    _review_and_publish(posts_api, refused["id"])
    run_jobs()
    fine = posts_api.create(zalo_publish=True)
    _review_and_publish(posts_api, fine["id"])
    run_jobs()
    login_as("commune_admin")
    failed_page = client.get(f"/app/posts/{refused['id']}").get_data(as_text=True)
    assert 'data-zalo-state="failed"' in failed_page and "Lỗi đăng Zalo (mã -201)" in failed_page
    assert "Đã đăng lên Zalo" in client.get(f"/app/posts/{fine['id']}").get_data(as_text=True)
