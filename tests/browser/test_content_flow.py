"""A commune admin writes a post with a photo and submits it; the district admin approves and publishes it;
citizens see it on the commune's page and in both feeds, and the photo they get carries no EXIF."""
import io
import uuid
from xml.etree import ElementTree as ET

import pytest
from PIL import Image
from sqlalchemy import delete, select

from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser
ATOM = "{http://www.w3.org/2005/Atom}"


def _photo(path):
    image = Image.new("RGB", (1200, 800), (20, 70, 150))
    for x in range(0, 1200, 60):
        image.paste((240, 190, 20), (x, 380, x + 30, 420))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0xA431] = "SERIAL-987654"
    exif.get_ifd(0x8825).update({1: "N", 2: (9.0, 56.0, 12.0), 3: "E", 4: (106.0, 20.0, 30.0)})
    image.save(path, "JPEG", exif=exif)
    with Image.open(path) as check:
        assert check.getexif().get(0xA431) == "SERIAL-987654"


@pytest.fixture
def cleanup_posts(app, world):
    """Committed posts whose title holds the marker are removed afterwards, with their counts."""
    marker = uuid.uuid4().hex[:8]
    yield marker
    from content.media import delete_stored
    from content.models import Media, Post, PostView
    from core.extensions import db
    from core.tenancy import tenant_scope
    from metrics.models import Event
    from metrics.services import rebuild_counters

    with app.app_context(), tenant_scope(world["a"].tenant_id):
        posts = db.session.execute(select(Post).where(Post.title.contains(marker))).scalars().all()
        ids = [post.id for post in posts]
        if ids:
            db.session.execute(delete(Event).where(Event.subject_type == "post", Event.subject_id.in_(ids)))
            db.session.execute(delete(PostView).where(PostView.post_id.in_(ids)))
            for post in posts:
                post.cover_media_id = None
            db.session.flush()
            for media in db.session.execute(select(Media).where(Media.post_id.in_(ids))).scalars():
                delete_stored(media)
            for post in posts:
                db.session.delete(post)
            rebuild_counters()
        db.session.commit()


def test_commune_post_with_photo_reaches_public_page_and_feeds(live_server, browser_page, artifacts, world,
                                                              cleanup_posts, tmp_path):
    a = world["a"]
    commune = a.units["commune"]
    title = f"Cảnh báo lừa đảo giả danh công an {cleanup_posts}"
    photo = tmp_path / "hien-truong.jpg"
    _photo(photo)

    writer = browser_page("desktop")
    sign_in(writer, live_server, a.users["commune_admin"].email, PASSWORD)
    writer.goto(f"{live_server}/app/posts")
    writer.click("[data-new-post]")
    writer.fill("#title", title)
    writer.select_option("#kind", "warning")
    writer.fill("#body", "Đối tượng gọi điện **giả danh công an** yêu cầu chuyển tiền.\n\n"
                         "- Không chuyển tiền cho người lạ;\n- gọi 113 khi nghi ngờ.")
    writer.click("[data-preview-toggle]")
    writer.wait_for_selector("[data-preview] strong")
    assert writer.inner_text("[data-preview] strong") == "giả danh công an"
    writer.click("[data-preview-toggle]")
    writer.set_input_files("#file", str(photo))
    writer.click("[data-save]")
    writer.wait_for_selector(".flash.success")
    assert writer.is_visible("text=Ảnh bìa")
    writer.screenshot(path=str(artifacts / "content-editor-desktop.png"), full_page=True)
    writer.click("[data-action=submit]")
    writer.wait_for_selector("[data-status=in_review]")
    post_url = writer.url

    phone_writer = browser_page("phone")
    sign_in(phone_writer, live_server, a.users["commune_admin"].email, PASSWORD)
    phone_writer.goto(post_url)
    phone_writer.screenshot(path=str(artifacts / "content-editor-phone.png"), full_page=True)

    reviewer = browser_page("desktop")
    sign_in(reviewer, live_server, a.users["unit_admin"].email, PASSWORD)
    reviewer.goto(f"{live_server}/app/posts?tab=review")
    reviewer.screenshot(path=str(artifacts / "content-review-queue-desktop.png"), full_page=True)
    reviewer.click(f"text={title}")
    reviewer.click("[data-action=approve]")
    reviewer.wait_for_selector("[data-status=approved]")
    reviewer.click("[data-action=publish]")
    reviewer.wait_for_selector("[data-status=published]")

    for size in ("phone", "desktop"):
        citizen = browser_page(size)
        citizen.goto(f"{live_server}/p/{a.slug}/{commune.code}")
        assert citizen.is_visible(f"text={title}")
        citizen.screenshot(path=str(artifacts / f"content-unit-page-{size}.png"), full_page=True)
        citizen.click(f"text={title}")
        citizen.wait_for_selector("article.post-full h1")
        assert citizen.inner_text("article.post-full h1") == title
        citizen.screenshot(path=str(artifacts / f"content-post-page-{size}.png"), full_page=True)

    cover = citizen.get_attribute("figure.cover img", "src")
    served = citizen.request.get(f"{live_server}{cover}")
    assert served.ok and served.headers["content-type"] == "image/jpeg"
    assert served.headers["x-content-type-options"] == "nosniff"
    with Image.open(io.BytesIO(served.body())) as image:
        assert not image.getexif() and "exif" not in image.info and image.size == (1200, 800)
    assert b"SERIAL-987654" not in served.body()

    for feed in (f"/p/{a.slug}/{commune.code}/feed.atom", f"/p/{a.slug}/feed.atom"):
        response = citizen.request.get(f"{live_server}{feed}")
        assert response.ok and response.headers["content-type"].startswith("application/atom+xml")
        entries = ET.fromstring(response.body()).findall(f"{ATOM}entry")
        mine = [entry for entry in entries if entry.find(f"{ATOM}title").text == title]
        assert mine and mine[0].find(f"{ATOM}link").get("href").startswith(f"{live_server}/p/{a.slug}/")
