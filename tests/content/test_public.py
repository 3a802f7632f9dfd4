"""The public pages: published posts only, pinned first, search without diacritics, feeds, view counting,
and the sanitiser seen from a citizen's browser."""
from datetime import timedelta
from html.parser import HTMLParser
from xml.etree import ElementTree as ET

import time_machine
from sqlalchemy import func, select

from core.extensions import db
from core.timeutil import utcnow
from tests.unit.xss_corpus import PAYLOADS

BROWSER = {"User-Agent": "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/126 Mobile Safari/537.36"}
ATOM = "{http://www.w3.org/2005/Atom}"


def _page(client, tenant, unit_code, **args):
    response = client.get(f"/p/{tenant.slug}/{unit_code}", query_string=args)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_unit_page_shows_published_posts_pinned_first(posts_api, client, tenant_a):
    older_pinned = posts_api.published(title="Thông báo lịch tiếp công dân tháng này", kind="notice")
    posts_api.call("PATCH", f"/posts/{older_pinned['id']}", "commune_admin", json={"pinned": True})
    newer = posts_api.published(title="Bắt giữ đối tượng trộm cắp xe máy", kind="news")
    posts_api.create(title="Bản nháp chưa duyệt")
    in_review = posts_api.create(title="Bài đang chờ duyệt")
    posts_api.act(in_review["id"], "submit", "commune_admin")
    html = _page(client, tenant_a, tenant_a.units["commune"].code)
    assert tenant_a.units["commune"].name in html
    assert html.index("Thông báo lịch tiếp công dân") < html.index("Bắt giữ đối tượng trộm cắp")
    assert "Bản nháp chưa duyệt" not in html and "Bài đang chờ duyệt" not in html
    assert f'/p/{tenant_a.slug}/{tenant_a.units["commune"].code}/gui-tin-bao' in html
    assert f'href="/p/{tenant_a.slug}/{tenant_a.units["district"].code}"' in html  # the parent
    assert 'property="og:title"' in html and 'property="og:url" content="http' in html
    only_news = _page(client, tenant_a, tenant_a.units["commune"].code, kind="news")
    assert "Bắt giữ đối tượng" in only_news and "Thông báo lịch tiếp công dân" not in only_news
    post_page = client.get(newer["public_url"])
    assert post_page.status_code == 200 and "Bắt giữ đối tượng trộm cắp xe máy" in post_page.get_data(as_text=True)


def test_unpublished_post_page_is_404(posts_api, client, tenant_a):
    post = posts_api.create()
    code = tenant_a.units["commune"].code
    assert client.get(f"/p/{tenant_a.slug}/{code}/bai-viet/{post['id']}").status_code == 404
    published = posts_api.published()
    assert client.get(f"/p/{tenant_a.slug}/{tenant_a.units['sibling'].code}/bai-viet/{published['id']}"
                      ).status_code == 404
    assert client.get(f"/p/{tenant_a.slug}/99999").status_code == 404
    assert client.get(f"/p/no-such-tenant/{code}").status_code == 404
    assert client.get(f"/p/{tenant_a.slug}/{code}/bai-viet/{published['id']}").status_code == 200


def test_district_page_lists_child_communes_and_procedure_guides(posts_api, client, tenant_a):
    guide = posts_api.create(unit="root", user="director", kind="procedure",
                             title="Hướng dẫn cấp đổi thẻ căn cước")
    posts_api.act(guide["id"], "publish", "director")
    html = _page(client, tenant_a, tenant_a.units["commune"].code)
    assert "Hướng dẫn thủ tục" in html and "Hướng dẫn cấp đổi thẻ căn cước" in html
    district = _page(client, tenant_a, tenant_a.units["district"].code)
    assert f'/p/{tenant_a.slug}/{tenant_a.units["sibling"].code}"' in district
    index = client.get(f"/p/{tenant_a.slug}").get_data(as_text=True)
    assert tenant_a.units["district"].name in index and tenant_a.units["department"].name in index


def test_search_ignores_diacritics_and_shows_published_only(posts_api, client, tenant_a):
    posts_api.published(title="Cảnh báo thủ đoạn lừa đảo qua mạng", body="Giả danh công an gọi điện.")
    posts_api.create(title="Nháp về lừa đảo")
    for query in ("lua dao", "LỪA ĐẢO", "gia danh cong an", "Lừa   đảo mạng"):
        html = client.get(f"/p/{tenant_a.slug}/tim-kiem", query_string={"q": query}).get_data(as_text=True)
        assert "Cảnh báo thủ đoạn lừa đảo qua mạng" in html, query
        assert "Nháp về lừa đảo" not in html
    none = client.get(f"/p/{tenant_a.slug}/tim-kiem", query_string={"q": "lua dao xyzzy"}).get_data(as_text=True)
    assert "Cảnh báo thủ đoạn" not in none
    other = client.get("/p/kien-giang/tim-kiem", query_string={"q": "lua dao"}).get_data(as_text=True)
    assert "Cảnh báo thủ đoạn lừa đảo qua mạng" not in other


def _parse_feed(response):
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    root = ET.fromstring(response.data)
    assert root.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated", "author"):
        assert root.find(f"{ATOM}{required}") is not None, required
    entries = root.findall(f"{ATOM}entry")
    for entry in entries:
        for required in ("id", "title", "updated", "link"):
            assert entry.find(f"{ATOM}{required}") is not None, required
    return root, entries


def test_feeds_are_valid_atom_with_absolute_links(posts_api, client, tenant_a):
    post = posts_api.published(title="Tin <mới> & \"đặc biệt\"", body="Có **ảnh** <script>x</script>")
    posts_api.create(title="Nháp không vào feed")
    code = tenant_a.units["commune"].code
    for url in (f"/p/{tenant_a.slug}/{code}/feed.atom", f"/p/{tenant_a.slug}/feed.atom"):
        root, entries = _parse_feed(client.get(url))
        titles = [entry.find(f"{ATOM}title").text for entry in entries]
        assert "Tin <mới> & \"đặc biệt\"" in titles and "Nháp không vào feed" not in titles
        entry = entries[titles.index("Tin <mới> & \"đặc biệt\"")]
        link = entry.find(f"{ATOM}link").get("href")
        assert link == post["public_url"] and link.startswith("http://")
        assert "<script" not in entry.find(f"{ATOM}content").text
        self_link = [el for el in root.findall(f"{ATOM}link") if el.get("rel") == "self"][0].get("href")
        assert self_link.startswith("http://") and self_link.endswith(url)


def _views(post_id):
    from metrics.models import Event

    return db.session.execute(select(func.coalesce(func.sum(Event.value), 0)).where(
        Event.metric == "post_views", Event.subject_id == post_id)).scalar_one()


def test_one_view_per_visitor_per_post_per_day(posts_api, client, app_ctx, in_tenant, tenant_a):
    post = posts_api.published()
    url = post["public_url"]
    client.get(url, headers=BROWSER)
    client.get(url, headers=BROWSER)
    client.get(url, headers=BROWSER, environ_base={"REMOTE_ADDR": "10.0.0.2"})
    for bot in ("Googlebot/2.1 (+http://www.google.com/bot.html)", "facebookexternalhit/1.1", ""):
        client.get(url, headers={"User-Agent": bot}, environ_base={"REMOTE_ADDR": "10.0.0.9"})
    with in_tenant(tenant_a):
        assert _views(post["id"]) == 2
    with time_machine.travel(utcnow() + timedelta(days=1), tick=False):
        client.get(url, headers=BROWSER)
    with in_tenant(tenant_a):
        assert _views(post["id"]) == 3


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def test_xss_payloads_never_reach_the_public_page_active(posts_api, client):
    body = "\n\n".join(PAYLOADS)
    post = posts_api.published(title='<script>alert("t")</script> cảnh báo', body=body)
    html = client.get(post["public_url"]).get_data(as_text=True)
    parser = _Tags()
    parser.feed(html)
    for tag, attrs in parser.tags:
        if tag == "script":
            assert attrs.get("src", "").startswith("/static/"), attrs
        assert tag not in ("iframe", "object", "embed", "svg", "math", "form", "base", "style"), tag
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            lowered = (value or "").replace("\t", "").replace("\n", "").strip().lower()
            assert not lowered.startswith(("javascript:", "vbscript:", "data:text")), (tag, name, value)
    assert 'alert("t")</script>' not in html


def test_hidden_post_leaves_the_page_feed_and_its_photo(posts_api, client, tenant_a):
    import io

    from tests.content.conftest import photo_with_exif

    post = posts_api.create(title="Bài sẽ bị ẩn")
    media = posts_api.call("POST", f"/posts/{post['id']}/media", "commune_admin",
                           data={"file": (io.BytesIO(photo_with_exif()), "a.jpg")},
                           content_type="multipart/form-data").get_json()
    posts_api.act(post["id"], "submit", "commune_admin")
    posts_api.act(post["id"], "approve", "unit_admin")
    url = posts_api.act(post["id"], "publish", "unit_admin").get_json()["public_url"]
    assert client.get(media["url"]).status_code == 200
    posts_api.act(post["id"], "hide", "commune_admin")
    assert client.get(url).status_code == 404
    assert client.get(media["url"]).status_code == 404
    assert "Bài sẽ bị ẩn" not in _page(client, tenant_a, tenant_a.units["commune"].code)
    assert "Bài sẽ bị ẩn" not in client.get(f"/p/{tenant_a.slug}/feed.atom").get_data(as_text=True)


def test_openapi_documents_the_posts_api(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/units/{unit_id}/posts"])
    assert {"get", "patch", "delete"} <= set(paths["/api/v1/posts/{post_id}"])
    for action in ("submit", "approve", "reject", "publish", "hide", "media"):
        assert "post" in paths[f"/api/v1/posts/{{post_id}}/{action}"]
