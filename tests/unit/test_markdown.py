import re
import unicodedata
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from markupsafe import Markup

from core.markdown import fold, plain_text, render_markdown

from .xss_corpus import PAYLOADS

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "ul", "ol", "li", "h2", "h3", "h4", "blockquote", "a", "img",
    "table", "thead", "tbody", "tr", "th", "td", "code", "pre", "hr",
}
ALLOWED_ATTRIBUTES = {"href", "title", "src", "alt", "rel", "align", "start"}
REL = "noopener noreferrer nofollow"


class _Tags(HTMLParser):
    """Every start tag of a fragment, as (name, attributes, source text)."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.found = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs), self.get_starttag_text()))

    handle_startendtag = handle_starttag


def test_corpus_is_large_enough():
    assert len(PAYLOADS) >= 30


@pytest.mark.parametrize("payload", PAYLOADS)
def test_xss_payload_is_neutralised(payload):
    html = str(render_markdown(payload))

    for forbidden in ("<script", "javascript:", "vbscript:", "data:", "<iframe", "<style", "<svg", "<math",
                      "<object", "<embed", "<form", "<details", "style="):
        assert forbidden not in html.lower()
    for tag, attributes, source in _Tags(html).found:
        assert tag in ALLOWED_TAGS
        assert set(attributes) <= ALLOWED_ATTRIBUTES
        # Attribute values are always double-quoted with '"' escaped, so what is left is names only.
        assert not re.search(r"\bon\w+\s*=", re.sub(r'"[^"]*"', '""', source), re.IGNORECASE)
        if "href" in attributes:
            assert urlsplit(attributes["href"]).scheme.lower() in ("", "http", "https", "mailto", "tel")
        if "src" in attributes:
            assert urlsplit(attributes["src"]).scheme.lower() in ("", "https")


def test_ordinary_markdown_renders_with_vietnamese_text():
    body = (
        "## Thông báo của Công an huyện Trà Cú\n\n"
        "Người dân **cần lưu ý** các thủ đoạn *lừa đảo qua mạng*:\n\n"
        "- Giả danh công an gọi điện\n"
        "- Yêu cầu chuyển tiền\n\n"
        "1. Gọi **113**\n"
        "2. Đến trụ sở gần nhất\n\n"
        "Xem [hướng dẫn](https://congan.travinh.gov.vn/huong-dan) hoặc [trang đơn vị](/p/tra-vinh/842).\n\n"
        "| Đơn vị | Điện thoại |\n"
        "|:-------|-----------:|\n"
        "| Trực ban | 0294 3862 000 |\n\n"
        "> Cảnh giác là trên hết.\n\n"
        "```\nif ma_so < 3: print('PC02')\n```\n"
    )

    html = str(render_markdown(body))

    assert "<h2>Thông báo của Công an huyện Trà Cú</h2>" in html
    assert "<strong>cần lưu ý</strong>" in html
    assert "<em>lừa đảo qua mạng</em>" in html
    assert "<ul>\n<li>Giả danh công an gọi điện</li>" in html
    assert "<ol>\n<li>Gọi <strong>113</strong></li>" in html
    assert f'<a href="https://congan.travinh.gov.vn/huong-dan" rel="{REL}">hướng dẫn</a>' in html
    assert f'<a href="/p/tra-vinh/842" rel="{REL}">trang đơn vị</a>' in html
    assert '<th align="left">Đơn vị</th>' in html
    assert '<td align="right">0294 3862 000</td>' in html
    assert "<blockquote>\n<p>Cảnh giác là trên hết.</p>\n</blockquote>" in html
    assert "<pre><code>if ma_so &lt; 3: print('PC02')\n</code></pre>" in html


def test_result_is_markup_ready_for_templates():
    assert isinstance(render_markdown("xin chào"), Markup)
    assert render_markdown("") == ""
    assert render_markdown(None) == ""


def test_single_newlines_become_line_breaks():
    assert str(render_markdown("dòng một\ndòng hai")) == "<p>dòng một<br>\ndòng hai</p>"


def test_headings_are_kept_between_h2_and_h4():
    html = str(render_markdown("# Một\n\n### Ba\n\n###### Sáu"))

    assert html == "<h2>Một</h2>\n<h3>Ba</h3>\n<h4>Sáu</h4>"


@pytest.mark.parametrize(
    ("source", "kept"),
    [
        ("https://cdn.example/anh.jpg", True),
        ("/media/posts/3/anh.jpg", True),
        ("anh.jpg", True),
        ("http://cdn.example/anh.jpg", False),
        ("//cdn.example/anh.jpg", False),
        ("/\\cdn.example/anh.jpg", False),
        ("data:image/png;base64,iVBORw0KGgo=", False),
        ("ftp://cdn.example/anh.jpg", False),
    ],
)
def test_images_only_from_this_site_or_https(source, kept):
    html = str(render_markdown(f'<img src="{source}" alt="ảnh">'))

    assert ("src=" in html) is kept
    assert 'alt="ảnh"' in html


@pytest.mark.parametrize(
    "href", ["mailto:tiepdan@congan.vn", "tel:+842943862000", "http://example.vn/", "#muc-2"]
)
def test_allowed_link_schemes_are_kept_with_rel(href):
    assert str(render_markdown(f"[liên hệ]({href})")) == f'<p><a href="{href}" rel="{REL}">liên hệ</a></p>'


def test_plain_text_drops_markup_and_scripts():
    body = "# Tiêu đề\n\nXin **chào** [bà con](https://x.vn) & <script>alert(1)</script>mọi người\n\n- một\n- hai"

    assert plain_text(body) == "Tiêu đề Xin chào bà con & mọi người một hai"


def test_plain_text_is_cut_at_a_word_boundary():
    body = "Công an huyện Trà Cú khuyến cáo người dân cảnh giác với thủ đoạn lừa đảo"

    summary = plain_text(body, limit=30)

    assert summary == "Công an huyện Trà Cú khuyến…"
    assert len(summary) <= 30
    assert plain_text(body, limit=200) == body
    assert plain_text("") == ""


def test_plain_text_cuts_a_single_long_word():
    assert plain_text("a" * 50, limit=10) == "a" * 9 + "…"


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Công an huyện Trà Cú", "cong an huyen tra cu"),
        ("Đồng", "dong"),
        ("đường Nguyễn Đáng", "duong nguyen dang"),
        ("PHÒNG CẢNH SÁT HÌNH SỰ", "phong canh sat hinh su"),
        ("Tiếng Việt ổn định, ỷ lại, ữ", "tieng viet on dinh, y lai, u"),
        ("ma tuý", "ma tuy"),
        ("", ""),
    ],
)
def test_fold_removes_diacritics_and_case(text, folded):
    assert fold(text) == folded


def test_fold_treats_composed_and_decomposed_input_alike():
    assert fold(unicodedata.normalize("NFD", "Trà Cú")) == fold(unicodedata.normalize("NFC", "Trà Cú"))
