"""Our faster lxml parsers give the trees, and so the texts, that the libraries' own give."""

from __future__ import annotations

import html_text
import pytest
from lxml import etree
from lxml import html as lxml_html

from dedup.strip.candidates import _load_html, cascade_blocks, merge_trailing_roots
from dedup.strip.parsers import html_class_lookup, html_parser
from dedup.strip.referee import visible_text

FORM_PAGE = (
    "<!DOCTYPE html><html><head><title>T</title><!-- note --></head><body>"
    "<form action='/s'><label for='q'>Search</label><input id='q' name='q'><select><option>a</option></select>"
    "<textarea>text</textarea></form><p>Body &amp; more.</p><?php echo 1 ?><svg><circle/></svg></body></html>"
)

PAGES = [
    FORM_PAGE,
    "<html><body><p>First document.</p></body></html><html><head><title>x</title></head><body><p>Second.</p></body></html>",
    # trafilatura's repairs: a doctype line to drop, a self-closing <html/>
    "<!DOCTYPE html PUBLIC '-//W3C//DTD XHTML 1.0//EN' 'x'>\n<html><body><p>Doctype page.</p></body></html>",
    "<html/>\n<body><p>Self-closed root.</p></body>",
    # a str with an encoding declaration: lxml refuses it, trafilatura parses the bytes
    "<?xml version='1.0' encoding='utf-8'?><html><body><p>Déclaration.</p></body></html>",
    # not HTML at all, and nearly nothing
    "just some words with no markup at all",
    "<p>one fragment</p>",
    "",
    "\x00<html><body><p>nul\x00byte</p></body></html>",
]


def _shape(tree) -> list[tuple[str, str, str | None, str | None]]:
    if tree is None:
        return []
    return [(type(e).__name__, str(e.tag), e.text, e.tail) for e in tree.iter()]


def test_every_node_gets_the_class_lxml_html_gives_it():
    ours = etree.fromstring(FORM_PAGE, html_parser())
    theirs = etree.fromstring(FORM_PAGE, lxml_html.HTMLParser())
    assert _shape(ours) == _shape(theirs)
    kinds = {type(e).__name__ for e in ours.iter()}
    assert {"FormElement", "InputElement", "LabelElement", "SelectElement", "TextareaElement", "HtmlElement"} <= kinds


def test_the_lookup_is_not_lxml_htmls_python_one():
    assert not isinstance(html_class_lookup(), lxml_html.HtmlElementClassLookup)


@pytest.mark.parametrize("page", PAGES)
def test_the_cascade_loads_the_tree_trafilatura_loads(page):
    from trafilatura.utils import load_html

    c = cascade_blocks()
    if c is None:
        pytest.skip("another trafilatura release: the cascade is not ours")
    assert _shape(_load_html(page, 20_000_000, c)) == _shape(load_html(page))


@pytest.mark.parametrize("page", PAGES)
def test_the_referees_reading_is_what_html_text_reads(page):
    expected = html_text.extract_text(merge_trailing_roots(html_text.parse_html(page)), guess_layout=True)
    assert visible_text(page) == expected
