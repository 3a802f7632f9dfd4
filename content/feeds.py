"""Atom 1.0 feeds (RFC 4287) of a unit and of a whole tenant, built with ElementTree so every value is
escaped by construction. Links are absolute; entry ids are tag URIs that survive a change of host."""
from xml.etree import ElementTree as ET

from content.urls import post_url, tenant_slug
from core.timeutil import as_utc, utcnow

ATOM = "http://www.w3.org/2005/Atom"
ET.register_namespace("", ATOM)


def _el(parent, tag, text=None, **attributes):
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attributes)
    if text is not None:
        element.text = text
    return element


def _time(value):
    return as_utc(value).isoformat(timespec="seconds").replace("+00:00", "Z")


XML_NS = "{http://www.w3.org/XML/1998/namespace}"


def build_feed(title, feed_id, self_url, alternate_url, posts, authors, base_url):
    """`authors` maps a unit id to the name shown as the entry's author; `base_url` resolves the relative
    image addresses inside post bodies."""
    feed = ET.Element(f"{{{ATOM}}}feed", {f"{XML_NS}lang": "vi", f"{XML_NS}base": base_url})
    _el(feed, "title", title)
    _el(feed, "id", feed_id)
    _el(feed, "updated", _time(max((p.published_at for p in posts), key=as_utc, default=None) or utcnow()))
    _el(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    _el(feed, "link", rel="alternate", type="text/html", href=alternate_url)
    _el(_el(feed, "author"), "name", title)
    _el(feed, "generator", "Kết Nối")
    for post in posts:
        entry = _el(feed, "entry")
        _el(entry, "title", post.title)
        _el(entry, "id", f"tag:ket-noi,{as_utc(post.created_at):%Y-%m-%d}:{tenant_slug(post.tenant_id)}/post/{post.id}")
        _el(entry, "published", _time(post.published_at))
        _el(entry, "updated", _time(post.published_at))
        _el(entry, "link", rel="alternate", type="text/html", href=post_url(post))
        _el(_el(entry, "author"), "name", authors.get(post.unit_id, ""))
        _el(entry, "category", term=post.kind)
        _el(entry, "summary", post.summary or post.title)
        _el(entry, "content", post.body_html, type="html")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
