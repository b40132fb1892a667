"""propscope: find propaganda and persuasion techniques in news text.

>>> import propscope
>>> detector = propscope.load()
>>> analysis = detector.analyze("They are vile, cowardly traitors who hate our great nation!")
>>> all(analysis.text_of(span) for span in analysis.spans)
True

The public names are few: `load` and `Detector` to analyse; the values `Analysis`, `Article`,
`Span` (and `SentenceFlag`, `Genre`, `Frames`) every output is made from; `to_frame`,
`spans_frame` and `articles_frame` for pandas; `Report` for a notebook or HTML view of several;
`techniques` for the taxonomies. They are imported on first use, so `import propscope` stays
fast and does not load ONNX Runtime or pandas until they are needed.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from propscope.article import Analysis, Article, Frames, Genre, SentenceFlag, Span
    from propscope.detect.model import Detector, DetectorConfig
    from propscope.frames import articles_frame, spans_frame, to_frame
    from propscope.report.notebook import Report

_LAZY = {
    "Analysis": "propscope.article",
    "Article": "propscope.article",
    "Frames": "propscope.article",
    "Genre": "propscope.article",
    "SentenceFlag": "propscope.article",
    "Span": "propscope.article",
    "Detector": "propscope.detect.model",
    "DetectorConfig": "propscope.detect.model",
    "to_frame": "propscope.frames",
    "spans_frame": "propscope.frames",
    "articles_frame": "propscope.frames",
    "Report": "propscope.report.notebook",
}

__all__ = [
    "Analysis",
    "Article",
    "Detector",
    "DetectorConfig",
    "Frames",
    "Genre",
    "Report",
    "SentenceFlag",
    "Span",
    "__version__",
    "articles_frame",
    "load",
    "spans_frame",
    "techniques",
    "to_frame",
]


def load(path: str | None = None, **options: Any) -> Detector:
    """Load a detector: the shipped model, or the model folder at `path`.

    Options (`threshold`, `techniques`, `max_chars`, `threads`) are those of `Detector.load`.

    >>> detector = load(threshold=0.5, techniques=["Loaded_Language", "Doubt"])
    >>> detector.techniques
    ('Loaded_Language', 'Doubt')
    """
    from propscope.detect.model import Detector

    return Detector.load(path, **options)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    if name == "techniques":
        return import_module("propscope.techniques")
    raise AttributeError(f"module 'propscope' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
