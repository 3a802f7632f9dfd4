"""Finding 15 of the hostile review: feeds and cacheable public pages built absolute addresses from the
request's Host header, so one request with a forged Host could plant links to another site in a cached feed.
Absolute addresses come from the configured PUBLIC_BASE_URL only."""
import re

import pytest

EVIL = "evil.example"


@pytest.fixture
def published(objects):
    return objects.post("commune", "published", title="Cảnh báo lừa đảo qua mạng")


def _absolute_urls(text):
    return re.findall(r"""(?:href|content|src|xml:base)=["'](https?://[^"']+)""", text)


def test_feeds_and_public_pages_ignore_the_host_header(app_ctx, client, tenant_a, published):
    base = app_ctx.config["PUBLIC_BASE_URL"].rstrip("/")
    commune = tenant_a.units["commune"].code
    paths = [f"/p/{tenant_a.slug}/{commune}/feed.atom", f"/p/{tenant_a.slug}/feed.atom", f"/p/{tenant_a.slug}",
             f"/p/{tenant_a.slug}/{commune}", f"/p/{tenant_a.slug}/{commune}/bai-viet/{published}"]
    for path in paths:
        response = client.get(path, headers={"Host": EVIL}, follow_redirects=True)
        assert response.status_code == 200, path
        text = response.get_data(as_text=True)
        assert EVIL not in text, path
        urls = _absolute_urls(text)
        assert urls, path
        assert all(url.startswith(base) for url in urls), (path, [u for u in urls if not u.startswith(base)])

