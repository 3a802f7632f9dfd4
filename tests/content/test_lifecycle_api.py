"""Every transition of a post through the API, and every wrong one (409) or bad input (422)."""
from datetime import timedelta

from core.timeutil import utcnow


def test_create_read_edit_delete_draft(posts_api, tenant_a):
    post = posts_api.create(body="Dòng một\n\n<b>đậm</b>")
    assert post["status"] == "draft" and post["unit_id"] == tenant_a.units["commune"].id
    assert post["created_at"].endswith("+07:00")
    edited = posts_api.call("PATCH", f"/posts/{post['id']}", "commune_admin", json={"title": "Tiêu đề mới"})
    assert edited.status_code == 200 and edited.get_json()["title"] == "Tiêu đề mới"
    listed = posts_api.call("GET", f"/units/{tenant_a.units['commune'].id}/posts", "officer").get_json()
    assert post["id"] in [item["id"] for item in listed["items"]] and listed["total"] >= 1
    assert posts_api.call("DELETE", f"/posts/{post['id']}", "commune_admin").status_code == 204
    assert posts_api.call("GET", f"/posts/{post['id']}", "commune_admin").status_code == 404


def test_full_review_flow_and_approve_never_publishes(posts_api):
    post = posts_api.create()
    submitted = posts_api.act(post["id"], "submit", "commune_admin")
    assert submitted.get_json()["status"] == "in_review"
    approved = posts_api.act(post["id"], "approve", "unit_admin").get_json()
    assert approved["status"] == "approved" and approved["published_at"] is None and approved["public_url"] is None
    published = posts_api.act(post["id"], "publish", "commune_admin").get_json()
    assert published["status"] == "published" and published["published_at"]
    assert published["public_url"].startswith("http://") and f"/bai-viet/{post['id']}" in published["public_url"]
    hidden = posts_api.act(post["id"], "hide", "commune_admin").get_json()
    assert hidden["status"] == "hidden"
    resubmitted = posts_api.act(post["id"], "submit", "commune_admin").get_json()
    assert resubmitted["status"] == "in_review"


def test_reject_needs_reason_and_returns_to_draft(posts_api):
    post = posts_api.create()
    posts_api.act(post["id"], "submit", "commune_admin")
    missing = posts_api.act(post["id"], "reject", "unit_admin")
    assert missing.status_code == 422 and "reason" in missing.get_json()["error"]["fields"]
    blank = posts_api.act(post["id"], "reject", "unit_admin", reason="   ")
    assert blank.status_code == 422 and "reason" in blank.get_json()["error"]["fields"]
    rejected = posts_api.act(post["id"], "reject", "unit_admin", reason="Sai số điện thoại đường dây nóng")
    body = rejected.get_json()
    assert body["status"] == "draft" and body["reject_reason"] == "Sai số điện thoại đường dây nóng"
    again = posts_api.act(post["id"], "submit", "commune_admin").get_json()
    assert again["status"] == "in_review" and again["reject_reason"] == ""


def test_wrong_transitions_answer_409(posts_api):
    post = posts_api.create()
    pid = post["id"]
    assert posts_api.act(pid, "approve", "unit_admin").status_code == 409  # draft
    assert posts_api.act(pid, "reject", "unit_admin", reason="x").status_code == 409
    assert posts_api.act(pid, "hide", "commune_admin").status_code == 409
    conflict = posts_api.act(pid, "publish", "unit_admin")  # a commune needs review first
    assert conflict.status_code == 409 and conflict.get_json()["error"]["code"] == "conflict"
    posts_api.act(pid, "submit", "commune_admin")
    assert posts_api.act(pid, "submit", "commune_admin").status_code == 409
    assert posts_api.act(pid, "publish", "unit_admin").status_code == 409  # in review, not approved
    posts_api.act(pid, "approve", "unit_admin")
    assert posts_api.act(pid, "approve", "unit_admin").status_code == 409
    posts_api.act(pid, "publish", "unit_admin")
    assert posts_api.act(pid, "submit", "commune_admin").status_code == 409
    assert posts_api.act(pid, "reject", "unit_admin", reason="x").status_code == 409
    assert posts_api.call("DELETE", f"/posts/{pid}", "commune_admin").status_code == 409


def test_editing_published_post_is_409_until_hidden(posts_api):
    post = posts_api.published()
    response = posts_api.call("PATCH", f"/posts/{post['id']}", "commune_admin", json={"body": "Sửa lại"})
    assert response.status_code == 409
    pinned = posts_api.call("PATCH", f"/posts/{post['id']}", "commune_admin", json={"pinned": True})
    assert pinned.status_code == 200 and pinned.get_json()["pinned"] is True
    posts_api.act(post["id"], "hide", "commune_admin")
    edited = posts_api.call("PATCH", f"/posts/{post['id']}", "commune_admin", json={"body": "Sửa lại"})
    assert edited.status_code == 200 and edited.get_json()["status"] == "draft"


def test_edit_in_review_returns_to_draft_and_keeps_revisions(posts_api, app_ctx, in_tenant, tenant_a):
    from sqlalchemy import select

    from content.models import PostRevision
    from content.services import revision_diff
    from core.extensions import db

    post = posts_api.create(body="Gọi 113 khi cần.")
    posts_api.act(post["id"], "submit", "commune_admin")
    edited = posts_api.call("PATCH", f"/posts/{post['id']}", "commune_admin", json={"body": "Gọi 113 hoặc 0294."})
    assert edited.get_json()["status"] == "draft"  # reviewed again (tests/security/test_post_review_edit.py)
    with in_tenant(tenant_a):
        revisions = db.session.execute(select(PostRevision).where(PostRevision.post_id == post["id"])
                                       .order_by(PostRevision.number)).scalars().all()
        assert [r.number for r in revisions] == [1, 2]
        diff = revision_diff(revisions[1])
    assert "-Gọi 113 khi cần." in diff and "+Gọi 113 hoặc 0294." in diff


def test_department_publishes_directly_and_schedules(posts_api):
    post = posts_api.create(unit="department", user="director", kind="procedure")
    past = (utcnow() - timedelta(minutes=5)).isoformat()
    response = posts_api.act(post["id"], "publish", "director", at=past)
    assert response.status_code == 422 and "at" in response.get_json()["error"]["fields"]
    future = (utcnow() + timedelta(hours=2)).isoformat()
    scheduled = posts_api.act(post["id"], "publish", "director", at=future).get_json()
    assert scheduled["status"] == "scheduled" and scheduled["publish_at"].endswith("+07:00")
    assert scheduled["approved_at"]  # approved by its own unit as it is sent out: the register's "Duyệt lúc"
    now = posts_api.act(post["id"], "publish", "director").get_json()
    assert now["status"] == "published"


def test_bad_input_names_the_field(posts_api, tenant_a):
    unit_id = tenant_a.units["commune"].id
    cases = [
        ({"title": "x" * 201}, "title"),
        ({"title": ""}, "title"),
        ({"body": "x"}, "title"),
        ({"title": "ok", "kind": "gossip"}, "kind"),
        ({"title": "ok", "colour": "red"}, "colour"),
    ]
    for payload, field in cases:
        response = posts_api.call("POST", f"/units/{unit_id}/posts", "commune_admin", json=payload)
        assert response.status_code == 422, payload
        assert field in response.get_json()["error"]["fields"], response.get_json()
    post = posts_api.create()
    unknown = posts_api.call("PATCH", f"/posts/{post['id']}", "commune_admin", json={"status": "published"})
    assert unknown.status_code == 422 and "status" in unknown.get_json()["error"]["fields"]
    extra = posts_api.act(post["id"], "submit", "commune_admin", now=True)
    assert extra.status_code == 422 and "now" in extra.get_json()["error"]["fields"]
    bad_at = posts_api.act(post["id"], "publish", "director", at="tomorrow")
    assert bad_at.status_code == 422 and "at" in bad_at.get_json()["error"]["fields"]


def test_publishing_counts_once(posts_api, app_ctx, in_tenant, tenant_a):
    from sqlalchemy import func, select

    from core.extensions import db
    from metrics.models import Event

    post = posts_api.published()
    posts_api.act(post["id"], "hide", "commune_admin")
    with in_tenant(tenant_a):
        count = db.session.execute(select(func.count(Event.id)).where(
            Event.metric == "posts_published", Event.subject_id == post["id"])).scalar_one()
        unit_id = db.session.execute(select(Event.unit_id).where(Event.subject_id == post["id"])).scalar()
    assert count == 1 and unit_id == tenant_a.units["commune"].id
