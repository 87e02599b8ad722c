"""The strip stage: remove non-article noise and record every removal.

Two entry points share one result type: :func:`strip_text` (and
:func:`strip_texts` for a batch) for text that is already extracted (our
line classifier alone decides) and
:class:`HtmlStripper` / :func:`strip_html` for raw pages (trafilatura
extracts, then the same classifier removes what it let through).
"""

from .base import Removal, StripRefused, StripResult, explain
from .config import StripConfig
from .html import HtmlStripper, strip_html
from .lines import strip_text, strip_texts
from .repeats import LineStats, RepeatedLines

__all__ = [
    "HtmlStripper",
    "LineStats",
    "Removal",
    "RepeatedLines",
    "StripConfig",
    "StripRefused",
    "StripResult",
    "explain",
    "strip_html",
    "strip_text",
    "strip_texts",
]
