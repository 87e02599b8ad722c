"""The strip stage: remove non-article noise and record every removal.

Two entry points share one result type: :func:`strip_text` (and
:func:`strip_texts` for a batch) for text that is already extracted (our
line classifier alone decides) and
:class:`HtmlStripper` / :func:`strip_html` for raw pages (trafilatura
extracts, then the same classifier removes what it let through).

Called, the package is :func:`dedup.pipeline.strip` (records in, one clean
record out per record): ``dedup.strip(records)``. It is the package, not
that function, so ``import dedup.strip.lines as lines`` works too.
"""

import sys
import types

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


class _StripPackage(types.ModuleType):
    """This package, callable as :func:`dedup.pipeline.strip`.

    ``dedup.strip`` used to be that function, exported over the package's
    name, so ``import dedup.strip.lines as m`` failed ("cannot import name
    'lines' from 'strip'"). A module whose class has ``__call__`` keeps
    both meanings.
    """

    def __call__(self, records, config=None):
        from ..pipeline import strip

        return strip(records, config)


sys.modules[__name__].__class__ = _StripPackage
