"""Posts mirrored as OA articles through the fake: create and verify, update, remove, and visible failures."""
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from content.models import Post
from core.extensions import db
from core.timeutil import utcnow
from hierarchy.models import Unit
from zalo import articles
from zalo.client import ARTICLE_CREATE_PATH, ARTICLE_VERIFY_PATH
from zalo.jobs import sweep_zalo
from zalo.models import ZaloArticle


@pytest.fixture
def post(channel):
    from content.services import new_post

    with channel.scope():
        unit = db.session.execute(select(Unit).where(Unit.id == channel.unit_id)).scalar_one()
        post = new_post(None, unit, {"title": "Cảnh giác lừa đảo qua mạng", "kind": "warning",
                                     "body": "Không cung cấp **mã OTP** cho bất kỳ ai."})
        post.status, post.published_at = "published", utcnow()
        db.session.add(post)
        db.session.commit()
        return post.id


def _publish(channel, post_id, action=articles.publish_article):
    with channel.scope():
        action(post_id)
        db.session.commit()
    channel.run_jobs()
    with channel.scope():
        return db.session.execute(select(Post).where(Post.id == post_id)).scalar_one()


def test_a_post_becomes_an_article_of_its_units_oa(channel, fake, post):
    channel.connect(fake)
    published = _publish(channel, post)
    assert published.zalo_state == "live" and published.zalo_article_id
    article = fake.articles[published.zalo_article_id]
    assert article["oa_id"] == channel.oa_id and article["title"] == "Cảnh giác lừa đảo qua mạng"
    assert "<strong>mã OTP</strong>" in article["body"][0]["content"]
    assert article["tracking_link"].endswith(f"/p/tra-vinh/{channel.tenant.units['commune'].code}/bai-viet/{post}")
    assert len(article["author"]) <= 50 and len(article["description"]) <= 300


def test_an_update_keeps_the_article_and_a_removal_deletes_it(channel, fake, post):
    channel.connect(fake)
    article_id = _publish(channel, post).zalo_article_id
    with channel.scope():
        db.session.execute(select(Post).where(Post.id == post)).scalar_one().title = "Tiêu đề mới"
        db.session.commit()
    updated = _publish(channel, post, articles.update_article)
    assert updated.zalo_article_id == article_id and fake.articles[article_id]["title"] == "Tiêu đề mới"
    removed = _publish(channel, post, articles.remove_article)
    assert removed.zalo_state == "removed" and removed.zalo_article_id is None
    assert article_id not in fake.articles


def test_an_article_still_processing_is_verified_later(channel, fake, post):
    channel.connect(fake)
    fake.fail_next(ARTICLE_VERIFY_PATH, error=-214)
    waiting = _publish(channel, post)
    assert waiting.zalo_state == "processing" and waiting.zalo_article_id is None
    with time_machine.travel(utcnow() + timedelta(minutes=2), tick=False):
        sweep_zalo()
    with channel.scope():
        done = db.session.execute(select(Post).where(Post.id == post)).scalar_one()
        assert done.zalo_state == "live" and done.zalo_article_id in fake.articles
    assert len([r for r in fake.requests if r.path == ARTICLE_CREATE_PATH]) == 1  # never created twice


def test_failures_are_visible_on_the_post(channel, fake, post):
    not_connected = _publish(channel, post)
    assert not_connected.zalo_state == "failed"
    with channel.scope():
        row = db.session.execute(select(ZaloArticle).where(ZaloArticle.post_id == post)).scalar_one()
        assert row.error_code == "not_connected" and row.action == "publish"
    channel.connect(fake)
    fake.fail_next(ARTICLE_CREATE_PATH, error=-201)
    refused = _publish(channel, post)
    assert refused.zalo_state == "failed"
    with channel.scope():
        assert articles.article_status(post) == {"state": "failed", "error_code": "-201", "article_id": None,
                                                 "pending": None}
