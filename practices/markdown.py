"""Markdown for a case's text sections, rendered and then sanitised.

Submitters write in Markdown (CommonMark). Raw HTML in their text is escaped, never passed
through, and the rendered HTML is cleaned by nh3 against a short allow-list, so that no
script, event handler or ``javascript:`` link survives. Headings are moved down two levels,
so that a case's ``#`` and ``##`` never compete with the page's own h1 and h2. Single
newlines become line breaks: many cases, such as Münster's reports, are plain prose in which
a newline means a new line.
"""

import functools

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "ul",
    "ol",
    "li",
    "a",
    "blockquote",
    "code",
    "pre",
    "h3",
    "h4",
    "h5",
    "h6",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "nofollow noopener noreferrer"

# A case's "#" becomes h3, "##" h4, and so on; anything deeper stays h6.
HEADING_OFFSET = 2

_parser = MarkdownIt(
    "commonmark",
    {"html": False, "linkify": False, "breaks": True, "xhtmlOut": False},
)
# Images are not on the allow-list; without this rule their alt text would vanish with them.
_parser.disable("image")


def _lower_headings(tokens) -> None:
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            level = min(int(token.tag[1]) + HEADING_OFFSET, 6)
            token.tag = f"h{level}"


@functools.lru_cache(maxsize=256)
def render_markdown(text: str) -> SafeString:
    """Render ``text`` as Markdown and return HTML that is safe to put on a page."""
    tokens = _parser.parse(text)
    _lower_headings(tokens)
    html = _parser.renderer.render(tokens, _parser.options, {})
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel=LINK_REL,
    )
    return mark_safe(cleaned)  # noqa: S308 - nh3 has just cleaned it against the allow-list
