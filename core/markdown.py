"""Post bodies: Markdown to safe HTML, to plain text for summaries, and Vietnamese folding for search.

Markdown lets raw HTML through, so its output is never trusted: nh3 rebuilds it from an allow-list of tags,
attributes and URL schemes. Whatever Markdown or a browser quirk produces, only that list survives.
"""
import html
import re
import threading
import unicodedata
from urllib.parse import urlsplit

import markdown
import nh3
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor
from markupsafe import Markup

_EXTENSIONS = ["tables", "fenced_code", "sane_lists", "nl2br"]
_EXTENSION_CONFIGS = {"tables": {"use_align_attribute": True}}

_ALLOWED_TAGS = {
    "p", "br", "strong", "em", "ul", "ol", "li", "h2", "h3", "h4", "blockquote", "a", "img",
    "table", "thead", "tbody", "tr", "th", "td", "code", "pre", "hr",
}
# Removed with everything inside them, rather than unwrapped into visible text.
_DROPPED_WITH_CONTENT = {
    "script", "style", "iframe", "object", "embed", "svg", "math", "noscript", "template", "textarea",
    "select", "title", "xmp", "noembed", "noframes",
}
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "ol": {"start"}}
_ALIGNMENTS = {"align": {"left", "center", "right"}}
_LINK_SCHEMES = {"http", "https", "mailto", "tel"}
_LINK_REL = "noopener noreferrer nofollow"
_WHITESPACE = re.compile(r"\s+")
_URL_IGNORED = re.compile(r"[\t\n\r]")
_URL_TRIMMED = "".join(chr(code) for code in range(0x21))


class _ClampHeadings(Treeprocessor):
    """The page title is the only h1, and h2–h4 are all a post needs: '#' becomes h2, '#####' becomes h4."""

    def run(self, root):
        for element in root.iter():
            if element.tag == "h1":
                element.tag = "h2"
            elif element.tag in ("h5", "h6"):
                element.tag = "h4"


class _ClampHeadingsExtension(Extension):
    def extendMarkdown(self, md):
        md.treeprocessors.register(_ClampHeadings(md), "clamp_headings", 5)


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    """Images load without a click, so they may come only from this site (relative) or over https."""
    if tag == "img" and attribute == "src" and not _is_safe_image_source(value):
        return None
    return value


def _is_safe_image_source(value: str) -> bool:
    # Read the URL as a browser does: tabs and newlines removed, controls and spaces trimmed, backslash as '/'.
    url = _URL_IGNORED.sub("", value).strip(_URL_TRIMMED).replace("\\", "/")
    parts = urlsplit(url)
    if parts.scheme:
        return parts.scheme.lower() == "https" and bool(parts.netloc)
    return not url.startswith("//")


_CLEANER = nh3.Cleaner(
    tags=_ALLOWED_TAGS,
    clean_content_tags=_DROPPED_WITH_CONTENT,
    attributes=_ALLOWED_ATTRIBUTES,
    tag_attribute_values={"th": _ALIGNMENTS, "td": _ALIGNMENTS},
    attribute_filter=_filter_attribute,
    url_schemes=_LINK_SCHEMES,
    link_rel=_LINK_REL,
    strip_comments=True,
)
_TEXT_ONLY = nh3.Cleaner(tags=set(), clean_content_tags=_DROPPED_WITH_CONTENT, attributes={}, link_rel=None)


_converters = threading.local()


def _to_html(text: str) -> str:
    """One converter per thread, reset between documents: building one costs more than most conversions."""
    converter = getattr(_converters, "markdown", None)
    if converter is None:
        converter = _converters.markdown = markdown.Markdown(
            extensions=[*_EXTENSIONS, _ClampHeadingsExtension()],
            extension_configs=_EXTENSION_CONFIGS,
            output_format="html",
        )
    return converter.reset().convert(text or "")


def render_markdown(text: str) -> Markup:
    """A post body rendered and sanitised, ready to put in a template as is."""
    return Markup(_CLEANER.clean(_to_html(text)))


def plain_text(text: str, limit: int = 200) -> str:
    """The body as one line of plain text (not HTML-escaped) of at most `limit` characters, cut at a word
    boundary with '…', for summaries and OpenGraph descriptions."""
    flat = _WHITESPACE.sub(" ", html.unescape(_TEXT_ONLY.clean(_to_html(text)))).strip()
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1]
    if " " in cut[limit // 2:]:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,.;:-") + "…"


def fold(text: str) -> str:
    """Lower case without diacritics, for search that ignores them: 'Trà Cú' → 'tra cu', 'Đồng' → 'dong'.

    'đ' is a letter of its own, not 'd' plus a mark, so decomposition leaves it alone: it is mapped first.
    """
    text = (text or "").replace("đ", "d").replace("Đ", "d")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char)).lower()
