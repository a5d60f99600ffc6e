"""Markdown in a case's text sections: what renders, and what never survives the sanitiser."""

from html.parser import HTMLParser

import pytest
from django.template import Context, Template
from django.urls import reverse

from practices.markdown import render_markdown
from tests import factories
from tests.roles import curator, submitter

REL = "nofollow noopener noreferrer"
ATTACKS = (
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    '<a href="http://x" onclick="alert(1)">x</a>',
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](java&#x73;cript:alert(1))",
    "<javascript:alert(1)>",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '[x](http://x "a\\" onmouseover=\\"alert(1)")',
    "![x](http://x/a.png)",
)


class Tags(HTMLParser):
    """The tags of an HTML fragment as (name, {attribute: value}) pairs, in order."""

    def __init__(self, html: str):
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))

    def named(self, name: str) -> list[dict[str, str | None]]:
        return [attributes for tag, attributes in self.found if tag == name]


def assert_harmless(html: str) -> None:
    """No script or image tag, no event handler, no link outside http, https and mailto."""
    tags = Tags(html)
    assert not tags.named("script")
    assert not tags.named("img")
    for tag, attributes in tags.found:
        assert not [name for name in attributes if name.startswith("on")], (tag, attributes)
    for link in tags.named("a"):
        assert link["href"].split(":")[0] in {"http", "https", "mailto"}, link


def test_emphasis_lists_and_links_render():
    html = render_markdown(
        "*tief* **stark** `code`\n\n- eins\n- zwei\n\n1. first\n\n> quoted\n\n"
        '[Klimaschutz](https://example.org/klima "Bericht") <mailto:ana@example.org>'
    )

    assert "<em>tief</em> <strong>stark</strong> <code>code</code>" in html
    assert "<ul>\n<li>eins</li>\n<li>zwei</li>\n</ul>" in html
    assert "<ol>\n<li>first</li>\n</ol>" in html
    assert "<blockquote>\n<p>quoted</p>\n</blockquote>" in html
    links = Tags(html).named("a")
    assert links == [
        {"href": "https://example.org/klima", "title": "Bericht", "rel": REL},
        {"href": "mailto:ana@example.org", "rel": REL},
    ]


@pytest.mark.parametrize("attack", ATTACKS)
def test_attacks_never_survive(attack):
    html = render_markdown(f"Vorher\n\n{attack}\n\nNachher")

    assert_harmless(html)
    assert "<script" not in html
    assert "<img" not in html
    assert "Nachher" in html


def test_a_javascript_link_keeps_no_javascript_href():
    html = render_markdown("[x](javascript:alert(1))")

    assert not Tags(html).named("a")
    assert 'href="javascript' not in html.lower()


def test_raw_html_is_escaped_not_passed_through():
    html = render_markdown(
        '<a href="http://x" onclick="alert(1)">x</a> <img src=x onerror=alert(1)>'
    )

    assert not Tags(html).named("a")
    assert "&lt;a href=" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_every_link_gets_the_rel():
    html = render_markdown('[x](http://example.org) [y](https://example.org "t")')

    assert [link["rel"] for link in Tags(html).named("a")] == [REL, REL]


def test_headings_never_compete_with_the_page():
    html = render_markdown("# Title\n\n## Part\n\n### Point\n\n###### Deepest")

    assert "<h1" not in html
    assert "<h2" not in html
    assert "<h3>Title</h3>" in html
    assert "<h4>Part</h4>" in html
    assert "<h5>Point</h5>" in html
    assert "<h6>Deepest</h6>" in html


def test_plain_prose_keeps_its_line_breaks():
    html = render_markdown(
        "Der Rat beschließt jährlich.\nDie Verwaltung berichtet.\n\nSeit 2013 umgesetzt."
    )

    assert html == (
        "<p>Der Rat beschließt jährlich.<br>\nDie Verwaltung berichtet.</p>\n"
        "<p>Seit 2013 umgesetzt.</p>\n"
    )


@pytest.mark.parametrize(
    "text", ["a\x00b", "\x00", "x" * 10_000, "word " * 2_000, "*" * 10_000, "> " * 5_000]
)
def test_awkward_text_renders_without_failing(text):
    html = render_markdown(text)

    assert "\x00" not in html
    assert_harmless(html)


def test_the_filter_renders_and_leaves_empty_text_empty():
    template = Template("{% load practice_text %}[{{ text|markdown }}]")

    assert template.render(Context({"text": "**b**"})) == "[<p><strong>b</strong></p>\n]"
    assert template.render(Context({"text": ""})) == "[]"
    assert template.render(Context({"text": None})) == "[]"


MALICIOUS = (
    "**Bold**\n\n<script>alert(1)</script> <img src=x onerror=alert(1)> [x](javascript:alert(1))"
)


def assert_page_is_harmless(response) -> None:
    html = response.content.decode()
    assert response.status_code == 200
    assert "<strong>Bold</strong>" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html
    assert 'href="javascript' not in html.lower()
    assert not [tag for tag in Tags(html).named("img") if "onerror" in tag]


@pytest.mark.django_db
def test_the_detail_page_renders_a_malicious_summary_harmlessly(client):
    practice = factories.PublishedPracticeFactory(summary=MALICIOUS, lessons=MALICIOUS)

    response = client.get(reverse("practices:detail", args=[practice.slug]))

    assert_page_is_harmless(response)
    assert response.content.decode().count("<strong>Bold</strong>") == 2


@pytest.mark.django_db
def test_the_review_page_and_the_preview_render_markdown_harmlessly(client):
    owner = submitter("owner")
    practice = factories.PracticeFactory(submitted_by=owner, summary=MALICIOUS)

    client.force_login(owner)
    assert_page_is_harmless(client.get(reverse("submit:preview", args=[practice.slug])))

    client.force_login(curator("curator"))
    assert_page_is_harmless(client.get(reverse("review:practice", args=[practice.slug])))
