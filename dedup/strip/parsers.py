"""lxml.html parsers that choose their element classes in C.

Every time lxml hands Python an element (iterating, an XPath result,
``getparent()``), it looks up the element's Python class. ``lxml.html``'s
parsers do that through ``HtmlElementClassLookup``, a lookup written in
Python, so each element touched costs a Python call: some 4,800 calls per
page in trafilatura's cascade, about 8% of its time on
wcxb_dev_articles (cProfile, 150 pages). :func:`html_class_lookup` gives
every node the class ``lxml.html`` gives it (``form``, ``input``,
``label``, ``select`` and ``textarea`` their own, every other element
``HtmlElement``, comments ``HtmlComment``, ...) with lxml's own C-level
lookups, so the trees are the same and the extractors' output too: on the
1,595 dev pages the cascade's candidates and the referee's reading came out
identical, in 5% (the cascade) and 18% (the reading) less time.

Only the parsers built here use it; trafilatura's and html-text's own
parsers are left as they are.
"""

from __future__ import annotations

import functools

from lxml import etree
from lxml import html as lxml_html


@functools.cache
def html_class_lookup() -> etree.ElementNamespaceClassLookup:
    """``lxml.html.HtmlElementClassLookup``'s classes, looked up in C.

    Elements with a special class are found by tag name in the empty
    namespace (lxml.html parsers lower-case tag names); every other node
    falls back to its kind's default class.

    >>> p = etree.HTMLParser()
    >>> p.set_element_class_lookup(html_class_lookup())
    >>> doc = etree.fromstring("<html><body><form><input></form><p>x</p></body></html>", p)
    >>> [type(e).__name__ for e in doc.iter()]
    ['HtmlElement', 'HtmlElement', 'FormElement', 'InputElement', 'HtmlElement']
    """
    fallback = etree.ElementDefaultClassLookup(
        element=lxml_html.HtmlElement,
        comment=lxml_html.HtmlComment,
        pi=lxml_html.HtmlProcessingInstruction,
        entity=lxml_html.HtmlEntity,
    )
    lookup = etree.ElementNamespaceClassLookup(fallback)
    by_tag = lookup.get_namespace(None)
    for tag, cls in lxml_html.HtmlElementClassLookup._default_element_classes.items():
        by_tag[tag] = cls
    return lookup


def fast_copy(parser: etree.HTMLParser) -> etree.HTMLParser:
    """A new parser configured as ``parser``, with :func:`html_class_lookup`."""
    out = parser.copy()
    out.set_element_class_lookup(html_class_lookup())
    return out


def html_parser(**options) -> etree.HTMLParser:
    """``lxml.html.HTMLParser(**options)`` with :func:`html_class_lookup`."""
    return fast_copy(lxml_html.HTMLParser(**options))
