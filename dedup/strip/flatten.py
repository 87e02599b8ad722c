"""Last-resort HTML to text: every text node, one line per block element.

The HTML path falls back here only when trafilatura and its baseline both
return nothing (on the dev pages: 10 of 621 l3s_gn1 pages and 2 of 793
wcxb_dev_articles pages, one of which has no text). The result looks like
the text path's input, a whole page with its noise, so the text model
judges it. Six of those l3s_gn1 pages never close their ``<title>`` or
``<head>``; since such an element closes at the next body element
(:data:`_HEAD_ONLY`), they give their text (AEB F1 of the set's HTML path
0.9349 -> 0.9376) instead of nothing.

Python's own ``html.parser`` does the work: it keeps no tree, so it has no
nesting limit (lxml's parser gives up below 256 levels and drops the rest
of a deeply nested page) and its cost is linear in the page.
"""

from __future__ import annotations

from html.parser import HTMLParser

#: Elements that start and end a line of text.
_BLOCK = frozenset(
    "address article aside blockquote br dd details div dl dt fieldset figcaption figure footer form h1 h2 h3 "
    "h4 h5 h6 header hr li main nav ol p pre section summary table td th tr ul".split()
)
#: Elements whose content is never text a reader sees.
_HIDDEN = frozenset("script style noscript template svg head title".split())
#: Hidden elements that only the document's head holds. A start tag of any
#: other element but these closes them, as a browser's parser does: on
#: damaged pages a ``<title>`` or ``<head>`` is never closed (6 of the 621
#: l3s_gn1 pages), and counting it open would hide the whole page.
_HEAD_ONLY = frozenset("head title".split())
_HEAD_CONTENT = frozenset("head title script style noscript template meta link base".split())


class _Flattener(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.open: list[str] = []  # the hidden elements open, innermost last
        self.count: dict[str, int] = dict.fromkeys(_HIDDEN, 0)  # of each in ``open``

    def _close_last(self) -> None:
        self.count[self.open.pop()] -= 1

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag not in _HEAD_CONTENT:
            while self.open and self.open[-1] in _HEAD_ONLY:
                self._close_last()
        if tag in _HIDDEN:
            self.open.append(tag)
            self.count[tag] += 1
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs) -> None:
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            if self.count[tag]:  # it closes every hidden element opened inside it
                while self.open[-1] != tag:
                    self._close_last()
                self._close_last()
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.open:
            self.parts.append(data)


def flatten_html(html: str) -> str:
    """The visible text of a page, one line per block, whitespace collapsed.

    >>> flatten_html("<html><head><title>T</title><script>x = 1</script></head>"
    ...              "<body><div><p>First  line.</p>Loose<br>text</div><ul><li>a &amp; b</li></ul></body></html>")
    'First line.\\nLoose\\ntext\\na & b'
    >>> flatten_html("<div>" * 5000 + "deep" + "</div>" * 5000)
    'deep'
    >>> flatten_html("<html><head><title>Never closed<script>x()</script></head><body><p>Story.</p></body></html>")
    'Story.'
    >>> flatten_html("<p>Seen</p><svg><noscript>x</svg><p>again</p>")  # an end tag closes what opened inside it
    'Seen\\nagain'
    """
    parser = _Flattener()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).split("\n"))
    return "\n".join(line for line in lines if line)
