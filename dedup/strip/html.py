"""HTML path (placeholder until the real extractor lands)."""

from __future__ import annotations

from .base import StripResult
from .config import StripConfig


class HtmlStripper:
    def __init__(self, config: StripConfig | None = None) -> None:
        self.config = config or StripConfig()

    def __call__(self, html: str, url: str | None = None) -> StripResult:
        import trafilatura

        out = trafilatura.extract(html, url=url, deduplicate=False, include_comments=False) or ""
        return StripResult(out, (), "trafilatura")

    def close(self) -> None:
        pass


def strip_html(html: str, config: StripConfig | None = None, url: str | None = None) -> StripResult:
    return HtmlStripper(config)(html, url)
