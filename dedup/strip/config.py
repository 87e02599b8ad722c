"""Configuration of the strip stage."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ConfigError


@dataclass(frozen=True, slots=True)
class StripConfig:
    """Limits and switches of the strip stage. Frozen: build once per run.

    Attributes:
        max_html_bytes: HTML pages larger than this (UTF-8 bytes) are not
            parsed; :class:`~dedup.strip.base.StripRefused` is raised with
            reason ``html_too_large``. Default 5 MB: news pages in the dev
            data are at most about 1.5 MB.
        max_text_bytes: plain texts larger than this are refused with
            reason ``text_too_large``. Default 10 MB.
        html_timeout: seconds allowed to extract one HTML page. Enforced
            in a worker process that is killed and restarted when a page
            overruns; the page is refused with reason ``html_timeout``.
            Default 10 s (trafilatura needs about 15 ms for a typical page).
            Where the extractors disagree, reading the page's visible text
            for the referee gets the same limit; past it, the page keeps
            the merge of its extractions.
        html_isolation: run trafilatura in a worker process (default True).
            Without it the time limit cannot be enforced: a page that hangs
            the parser hangs the run. Turn it off only for trusted input
            or for profiling.
        model_threshold: a line whose modelled probability of being
            content is below this is removed as ``model:<feature>``. None
            (the default) uses the threshold shipped with the model, chosen
            by the held-out-set sweep in ``benchmarks/train_lines.py``.
        use_model: apply the learned line model (default True). Without it
            only the named rules remove lines.
        repeat_min_docs: with cross-document statistics, a line seen in at
            least this many documents of the run counts as template.
        repeat_max_words: a repeated line is removed only when it has at
            most this many words or does not end like a sentence, so that
            paragraphs shared by copies of the same story survive.
        max_passes: the classifier re-runs on its own output until nothing
            changes (this makes stripping idempotent); this bounds the passes.
    """

    max_html_bytes: int = 5_000_000
    max_text_bytes: int = 10_000_000
    html_timeout: float = 10.0
    html_isolation: bool = True
    model_threshold: float | None = None
    use_model: bool = True
    repeat_min_docs: int = 3
    repeat_max_words: int = 12
    max_passes: int = 50

    def __post_init__(self) -> None:
        if self.max_html_bytes <= 0:
            raise ConfigError("max_html_bytes", self.max_html_bytes, "use a positive number of bytes")
        if self.max_text_bytes <= 0:
            raise ConfigError("max_text_bytes", self.max_text_bytes, "use a positive number of bytes")
        if not self.html_timeout > 0:
            raise ConfigError("html_timeout", self.html_timeout, "use a positive number of seconds")
        if self.model_threshold is not None and not 0.0 <= self.model_threshold <= 1.0:
            raise ConfigError("model_threshold", self.model_threshold, "use a probability in [0, 1]")
        if self.repeat_min_docs < 2:
            raise ConfigError("repeat_min_docs", self.repeat_min_docs, "use 2 or more documents")
        if self.repeat_max_words < 0:
            raise ConfigError("repeat_max_words", self.repeat_max_words, "use 0 or more words")
        if self.max_passes < 1:
            raise ConfigError("max_passes", self.max_passes, "use 1 or more passes")
