"""The HTML path: extraction, fallbacks, size cap, time limit, worker recovery."""

from __future__ import annotations

import time

import pytest

from dedup.errors import DedupError
from dedup.strip import HtmlStripper, StripConfig, StripRefused, explain, strip_html
from dedup.strip.html import extract

BODY = "The city council voted on Tuesday to approve a new budget for road repairs after a long debate. " * 6
PAGE = f"""<html><head><title>Budget</title></head><body>
<nav><a href="/">Home</a> <a href="/news">News</a></nav>
<article><h1>Council approves budget</h1><p>{BODY}</p>
<p>Read more: Mayor unveils plan for new bus station</p>
<p>{BODY}</p></article>
<footer>Subscribe to our newsletter</footer></body></html>"""


def slow_extract(html, url, options):
    """A stand-in extractor for the worker: sleeps on pages that ask it to."""
    if "SLEEP" in html:
        time.sleep(30)
    if "CRASH" in html:
        import os

        os._exit(3)
    return extract(html, url, options)


def test_in_process_strip_removes_residue():
    r = strip_html(PAGE, StripConfig(html_isolation=False))
    assert r.method == "trafilatura"
    assert "road repairs" in r.text
    assert "Read more: Mayor" not in r.text
    assert any(x.rule == "cross_link" for x in r.removed)
    assert "cross_link" in explain(r)


def test_worker_gives_the_same_result():
    with HtmlStripper(StripConfig()) as stripper:
        a = stripper(PAGE)
    assert a == strip_html(PAGE, StripConfig(html_isolation=False))


def test_fallback_when_trafilatura_finds_nothing():
    r = strip_html("<html><body><div>Short text only here.</div></body></html>", StripConfig(html_isolation=False))
    assert r.method in {"fallback:baseline", "fallback:flatten", "empty", "trafilatura"}


def test_deeply_nested_page_falls_back_to_its_visible_text():
    """lxml gives up on deep nesting, so trafilatura and its baseline return nothing; the text is still there."""
    story = "The council voted on Monday to rebuild the old bridge over the river before next winter. " * 3
    page = "<html><body>" + "<div>" * 3000 + f"<p>{story}</p><p>Share this article</p>" + "</div>" * 3000 + "</body></html>"
    r = strip_html(page, StripConfig(html_isolation=False))
    assert r.method == "fallback:flatten"
    assert "rebuild the old bridge" in r.text


def test_a_head_never_closed_does_not_hide_the_fallback_text():
    """Damaged pages leave ``<title>`` (or ``<head>``) open; the page's body is still what a reader sees."""
    story = "The council voted on Monday to rebuild the old bridge over the river before next winter. " * 3
    page = ("<html><head><title>Council news<script>var x = 1;</script>"
            + "<div>" * 3000 + f"<p>{story}</p>" + "</div>" * 3000 + "</html>")
    r = strip_html(page, StripConfig(html_isolation=False))
    assert r.method == "fallback:flatten"
    assert "rebuild the old bridge" in r.text


def test_a_second_document_after_the_first_html_end_is_read():
    """Two documents run together: libxml2 makes the second a top-level sibling that extractors skip.

    A browser puts it in the body, and so do we (``merge_trailing_roots``).
    """
    first = ("<html><head><title>Budget</title></head><body><nav><a href='/'>Home</a> <a href='/news'>News</a></nav>"
             "<p>Latest: Mayor unveils plan for new bus station...</p></body></html>")
    page = first + f"<html><div><article><h1>Council approves budget</h1><p>{BODY}</p><p>{BODY}</p></article></div></html>"
    r = strip_html(page, StripConfig(html_isolation=False))
    assert r.method.startswith("trafilatura")
    assert "road repairs" in r.text


def test_merge_trailing_roots_keeps_document_order_and_drops_later_heads():
    from lxml import etree

    from dedup.strip.candidates import merge_trailing_roots
    from dedup.strip.referee import visible_text

    page = ("<html><body><p>one</p></body></html><html><head><title>skip me</title></head>"
            "<body><p>two</p></body></html><div>three</div>")
    tree = etree.fromstring(page, etree.HTMLParser())
    merge_trailing_roots(tree)
    assert [p.text for p in tree.find("body")] == ["one", "two", "three"]
    assert visible_text(page).split() == ["one", "two", "three"]


def test_empty_and_junk_pages_do_not_raise():
    for html in ("", "   ", "\x00\x01\x02 binary junk", "<" * 1000, "<div>" * 5000):
        r = strip_html(html, StripConfig(html_isolation=False))
        assert isinstance(r.text, str)


def test_size_cap_refuses_with_a_reason():
    with pytest.raises(StripRefused) as info:
        strip_html("<p>" + "x" * 2000 + "</p>", StripConfig(max_html_bytes=1000, html_isolation=False))
    assert info.value.reason == "html_too_large"
    assert isinstance(info.value, DedupError)


def test_timeout_kills_the_worker_and_the_run_goes_on():
    with HtmlStripper(StripConfig(html_timeout=1.0), extractor=slow_extract) as stripper:
        t0 = time.perf_counter()
        with pytest.raises(StripRefused) as info:
            stripper("<p>SLEEP</p>")
        assert info.value.reason == "html_timeout"
        assert time.perf_counter() - t0 < 10
        assert "road repairs" in stripper(PAGE).text


def test_crash_is_refused_and_the_worker_restarts():
    with HtmlStripper(StripConfig(), extractor=slow_extract) as stripper:
        with pytest.raises(StripRefused) as info:
            stripper("<p>CRASH</p>")
        assert info.value.reason == "html_worker_crashed"
        assert "road repairs" in stripper(PAGE).text


def test_library_use_from_a_script_without_main_guard(tmp_path):
    """The extraction process must not re-run the caller's script (no __main__ re-import)."""
    import subprocess
    import sys

    script = tmp_path / "plain.py"
    script.write_text(
        "import dedup\n"
        "print('ran')\n"
        "html = '<html><body><article><p>' + 'A long enough paragraph of article text. ' * 12 + '</p></article></body></html>'\n"
        "print(dedup.strip_html(html).method)\n"
    )
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["ran", "trafilatura"]


def test_many_pages_give_what_each_gets_alone():
    """The batch call runs each line model once for all pages; results and refusals match page by page."""
    story = "The council voted on Monday to rebuild the old bridge over the river before next winter. " * 3
    pages = [
        (PAGE, None),
        ("<html><body>" + "<div>" * 3000 + f"<p>{story}</p>" + "</div>" * 3000 + "</body></html>", None),
        ("<html><body><p>" + "x" * 300 + "</p></body></html>", "https://example.com/a"),
        ("", None),
    ]
    config = StripConfig(html_isolation=False, max_html_bytes=20_000)
    stripper = HtmlStripper(config)
    batch = stripper.many(pages)
    for (html, url), got in zip(pages, batch):
        try:
            alone = stripper(html, url)
        except StripRefused as err:
            alone = err
        if isinstance(alone, StripRefused):
            assert isinstance(got, StripRefused) and got.reason == alone.reason
        else:
            assert got == alone
    assert isinstance(batch[1], StripRefused) and batch[1].reason == "html_too_large"
