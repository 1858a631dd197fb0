"""Markdown for descriptions, sanitized with nh3: no scripts, safe links."""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True})

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "a", "ul", "ol", "li", "blockquote", "code", "pre",
    "h3", "h4", "hr",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}


def render_markdown(text: str | None) -> Markup:
    """HTML for `text`, safe to put in a page: raw HTML is escaped, then nh3 keeps a short
    allow-list; links get rel="nofollow noopener" and only http(s)/mailto/tel schemes."""
    if not text:
        return Markup("")
    html = _md.render(text).replace("<h1>", "<h3>").replace("</h1>", "</h3>")
    html = html.replace("<h2>", "<h4>").replace("</h2>", "</h4>")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        link_rel="nofollow noopener",
        url_schemes={"http", "https", "mailto", "tel"},
    )
    return Markup(clean)
