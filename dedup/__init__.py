"""dedup: turn a messy stream of web news into clean, canonical stories.

The same pipeline as the ``dedup`` command, as a library::

    import dedup

    result = dedup.run(records, dedup.Config())   # strip, cluster, write
    result.records    # one canonical record per story, with provenance
    result.stats      # counters; records_in == documents + skipped + quarantined

    dedup.strip_text(text).text       # clean already-extracted text
    dedup.strip_texts(texts)          # the same for a batch, faster per text
    dedup.strip_html(html).text       # extract an article from HTML
    dedup.strip(records)              # one clean record per record, as ``dedup strip``
    dedup.read_inputs(["in.jsonl"])  # the same readers the CLI uses
"""

import logging

__version__ = "0.1.0"

# the strip package itself (called, it is pipeline.strip): see dedup/strip/__init__.py
from . import strip  # noqa: E402
from .config import ClusterConfig, Config  # noqa: E402
from .document import Document  # noqa: E402
from .errors import ConfigError, DedupError, InputError, InputFileError  # noqa: E402
from .io import read_inputs  # noqa: E402
from .pipeline import RunResult, run, run_stream, strip_stream  # noqa: E402
from .strip import HtmlStripper, StripConfig, StripResult, strip_html, strip_text, strip_texts  # noqa: E402

logging.getLogger("dedup").addHandler(logging.NullHandler())

__all__ = [
    "ClusterConfig",
    "Config",
    "ConfigError",
    "DedupError",
    "Document",
    "HtmlStripper",
    "InputError",
    "InputFileError",
    "RunResult",
    "StripConfig",
    "StripResult",
    "__version__",
    "read_inputs",
    "run",
    "run_stream",
    "strip",
    "strip_html",
    "strip_stream",
    "strip_text",
    "strip_texts",
]
