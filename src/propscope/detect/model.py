"""The Detector: the one object a user needs to analyse text, as small as scikit-learn's API.

`propscope.load()` (or `Detector.load(path)`) reads a model folder once; `analyze()` and the
streaming `analyze_many()` turn texts and articles into `Analysis` values. Options (span
threshold, techniques to keep, longest article) live on the detector, set at load time or
with `with_options()`, and are checked where they are given. An article's result never
depends on what else is analysed with it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import partial
from itertools import chain, islice
from pathlib import Path
from typing import Any

from propscope import techniques
from propscope.article import Analysis, Article
from propscope.detect.runtime import MODEL_FILE, ModelRuntime, default_model_dir
from propscope.errors import InputError

__all__ = ["DEFAULT_MAX_CHARS", "MODEL_FILE", "Detector", "DetectorConfig", "default_model_dir"]

DEFAULT_MAX_CHARS = 1_000_000
_UNSET: Any = object()


@dataclass(frozen=True)
class DetectorConfig:
    """What makes a detector: the model folder and the options. Picklable, so worker processes
    and Ray actors load exactly the detector their parent was given."""

    model: Path | None = None
    threshold: float | None = None
    techniques: tuple[str, ...] | None = None
    max_chars: int = DEFAULT_MAX_CHARS
    #: the taxonomy wanted; with no model folder it picks the shipped model of that scheme
    scheme: str | None = None

    def __post_init__(self) -> None:
        if self.threshold is not None and not (
            isinstance(self.threshold, int | float) and 0.0 <= self.threshold <= 1.0
        ):
            raise ValueError(f"threshold must be a number in [0, 1] or None, got {self.threshold!r}")
        if not isinstance(self.max_chars, int) or self.max_chars < 1:
            raise ValueError(f"max_chars must be a positive int, got {self.max_chars!r}")

    def load(self, *, threads: int | None = None, spin: bool = True) -> Detector:
        """The detector this configuration describes (reads the model folder). ValueError when
        a technique is not one of the model's scheme."""
        runtime = _runtime(self.model, self.scheme, threads, spin)
        return Detector(runtime, replace(self, techniques=_technique_names(runtime.scheme, self.techniques)))


class Detector:
    """Finds propaganda technique spans in articles with a loaded propscope model.

    Parameters are set with `Detector.load` / `propscope.load` or `with_options`:

    threshold : float or None
        The smallest span score reported, in [0, 1]; lower finds more. For a calibrated model a
        score is the probability that annotators marked the passage. None: the model's tuned value.
    techniques : str, iterable of str, or None
        Keep only these techniques (label names; one string may hold several, comma-separated).
    max_chars : int
        Longer articles are refused with an InputError.

    Examples
    --------
    >>> import propscope
    >>> detector = propscope.load()
    >>> analysis = detector.analyze("They are vile, cowardly traitors!")
    >>> [analysis.text_of(span) for span in analysis.spans]  # doctest: +SKIP
    ['vile, cowardly traitors']
    """

    def __init__(self, runtime: ModelRuntime, config: DetectorConfig):
        self._runtime = runtime
        self._config = config

    @classmethod
    def load(
        cls,
        path: str | Path | None = None,
        *,
        threshold: float | None = None,
        techniques: str | Iterable[str] | None = None,
        max_chars: int = DEFAULT_MAX_CHARS,
        scheme: str | None = None,
        threads: int | None = None,
        spin: bool = True,
    ) -> Detector:
        """Load a model folder (default: the model shipped with propscope).

        Parameters
        ----------
        path : str or Path, optional
            A folder made by `propscope train` / `propscope ship`.
        scheme : str, optional
            "semeval2020" (the 14 PTC techniques) or "semeval2023" (23 techniques plus genre
            and frames). Without `path` it picks the shipped model of that scheme; with a
            path it must be the model's scheme.
        threshold, techniques, max_chars
            The detector's options (see the class).
        threads : int, optional
            ONNX Runtime threads (default: all cores). A model that re-reads passages marked
            in context reads that many side by side, one core each; results are the same for
            any value.
        spin : bool
            False stops idle ONNX Runtime threads from busy-waiting; use it when the process
            also runs other thread pools (a web server, torch).

        Raises
        ------
        InputError
            The folder does not exist, is not a model folder, or is damaged.
        ValueError
            An option is invalid (the message lists the valid technique names).
        """
        runtime = _runtime(Path(path) if path is not None else None, scheme, threads, spin)
        config = DetectorConfig(
            model=Path(path) if path is not None else None,
            threshold=threshold,
            techniques=_technique_names(runtime.scheme, techniques),
            max_chars=max_chars,
            scheme=runtime.scheme,
        )
        return cls(runtime, config)

    def with_options(
        self,
        *,
        threshold: float | None = _UNSET,
        techniques: str | Iterable[str] | None = _UNSET,
        max_chars: int = _UNSET,
    ) -> Detector:
        """A detector sharing this one's loaded model with some options changed."""
        changes: dict[str, Any] = {}
        if threshold is not _UNSET:
            changes["threshold"] = threshold
        if techniques is not _UNSET:
            changes["techniques"] = _technique_names(self._runtime.scheme, techniques)
        if max_chars is not _UNSET:
            changes["max_chars"] = max_chars
        return Detector(self._runtime, replace(self._config, **changes))

    @property
    def config(self) -> DetectorConfig:
        """The model folder and options, e.g. to load the same detector in another process."""
        return self._config

    @property
    def model_id(self) -> str:
        return self._runtime.model_id

    @property
    def scheme(self) -> str:
        """The taxonomy of the techniques this model reports (see `propscope.techniques.SCHEMES`)."""
        return self._runtime.scheme

    @property
    def threshold(self) -> float:
        """The span threshold in use: the option if set, else the model's tuned value."""
        return self._config.threshold if self._config.threshold is not None else self._runtime.thresholds.span

    @property
    def techniques(self) -> tuple[str, ...] | None:
        return self._config.techniques

    @property
    def max_chars(self) -> int:
        return self._config.max_chars

    def __repr__(self) -> str:
        kept = ", ".join(self.techniques) if self.techniques else "all"
        return f"Detector(model={self.model_id!r}, threshold={self.threshold:.3f}, techniques={kept})"

    def analyze(
        self,
        item: str | Article,
        *,
        id: str | None = None,
        title: str | None = None,
        source: str | None = None,
        author: str | None = None,
        published: dt.date | str | None = None,
        url: str | None = None,
    ) -> Analysis:
        """Analyse one text or article.

        Parameters
        ----------
        item : str or Article
            The text itself, or an `Article` with its metadata.
        id, title, source, author, published, url
            Metadata for the article (they replace those of a given `Article`). A text without
            an id gets "text-" plus the start of its SHA-256, the same for the same text.

        Returns
        -------
        Analysis
            Spans with offsets into the text, sentence flags and the article score.

        Raises
        ------
        TypeError
            `item` is neither a str nor an Article.
        InputError
            The article is longer than `max_chars`.
        """
        metadata = {"id": id, "title": title, "source": source, "author": author, "published": published, "url": url}
        return next(self._analyze([_as_article(item, metadata)]))

    def analyze_many(self, items: Iterable[str | Article], *, batch_size: int = 8) -> Iterator[Analysis]:
        """Analyse a stream of texts or articles lazily, in order, `batch_size` at a time.

        Parameters
        ----------
        items : iterable of str or Article
        batch_size : int
            Articles read ahead; with more than one thread a marked model analyses them side by
            side, one core each. Results are identical for any value.

        Yields
        ------
        Analysis
            One per item, in the order given.
        """
        if isinstance(items, str | Article):
            raise TypeError("analyze_many() takes an iterable of texts or articles; use analyze() for one")
        return self._analyze((_as_article(item, {}) for item in items), batch_size)

    def _analyze(self, articles: Iterable[Article], batch_size: int = 8) -> Iterator[Analysis]:
        thresholds = self._runtime.thresholds
        if self._config.threshold is not None:
            thresholds = replace(thresholds, span=self._config.threshold)
        wanted = frozenset(self._config.techniques) if self._config.techniques is not None else None

        def analysed(runtime: ModelRuntime, article: Article) -> Analysis:
            """One article, start to finish, on `runtime`; only the `wanted` techniques' spans."""
            if len(article.text) > self._config.max_chars:
                raise InputError(
                    f"article has {len(article.text):,} characters, over the limit of {self._config.max_chars:,}; "
                    "split it or raise the limit (--max-chars or PROPSCOPE_MAX_CHARS)",
                    path=article.id,
                )
            encoded = runtime.encode_many([article.text])[0]
            spans = runtime.spans(article.text, encoded, thresholds)
            if wanted is not None:
                spans = [s for s in spans if s.technique in wanted]
            return runtime.analysis(article, spans, encoded)

        # several articles at once: each on one core, start to finish, rather than each on all
        # cores in turn, which leaves a core idle whenever one thread decodes (docs/BENCHMARKS.md)
        one_core = self._runtime.one_core()
        stream = _Stream(articles)
        iterator = iter(stream)
        first = list(islice(iterator, 2))
        if len(first) < 2 or batch_size < 2 or one_core is self._runtime:
            for article in chain(first, iterator):
                yield analysed(self._runtime, article)
        else:
            yield from _in_order_on_pool(
                partial(analysed, one_core), chain(first, iterator), self._runtime.workers, batch_size
            )
        if stream.failure is not None:
            raise stream.failure


class _Stream:
    """The articles of an iterable, ending where the iterable fails (a file that cannot be
    read, an item that is not text) and keeping that failure, so that it is raised after the
    analyses of the articles before it rather than in place of those read ahead."""

    def __init__(self, articles: Iterable[Article]):
        self._articles = iter(articles)
        self.failure: Exception | None = None

    def __iter__(self) -> Iterator[Article]:
        while True:
            try:
                article = next(self._articles)
            except StopIteration:
                return
            except Exception as error:  # the caller's iterable failed: raised after what it gave
                self.failure = error
                return
            yield article


def _in_order_on_pool(
    work: Callable[[Article], Analysis], articles: Iterator[Article], workers: int, read_ahead: int
) -> Iterator[Analysis]:
    """`work` on each article on a pool of `workers` threads, results in the articles' order,
    at most `read_ahead` articles taken from the stream before their results are yielded.

    One pool serves the whole stream: a core that finishes an article starts the next at once,
    where a pool per batch left one idle while the batch's last article finished. An error
    (an article over the length limit) is raised in its turn, after the results before it.
    """
    pending: deque[Future[Analysis]] = deque()
    pool = ThreadPoolExecutor(workers)
    try:
        for article in articles:
            pending.append(pool.submit(work, article))
            if len(pending) >= read_ahead:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _runtime(path: Path | None, scheme: str | None, threads: int | None, spin: bool) -> ModelRuntime:
    if scheme is not None:
        techniques.scheme(scheme)  # ValueError listing the schemes
    runtime = ModelRuntime.load(path, scheme=scheme, threads=threads, spin=spin)
    if scheme is not None and runtime.scheme != scheme:
        raise InputError(
            f"is a model of the {runtime.scheme} scheme, not {scheme}; leave the scheme out or give a {scheme} model",
            path=runtime.path,
        )
    return runtime


def _technique_names(scheme: str, values: str | Iterable[str] | None) -> tuple[str, ...] | None:
    if values is None:
        return None
    names = techniques.scheme(scheme).parse_names(values)
    if not names:
        raise ValueError("techniques is empty; give None to keep every technique")
    return names


def _as_article(item: object, metadata: dict[str, Any]) -> Article:
    given = {k: v for k, v in metadata.items() if v is not None}
    if isinstance(given.get("published"), str):
        try:
            given["published"] = dt.date.fromisoformat(given["published"])
        except ValueError:
            raise ValueError(f"published must be a date or YYYY-MM-DD, got {given['published']!r}") from None
    if isinstance(item, Article):
        return replace(item, **given) if given else item
    if isinstance(item, str):
        if "id" not in given:
            given["id"] = "text-" + hashlib.sha256(item.encode("utf-8", "surrogatepass")).hexdigest()[:12]
        return Article(text=item, **given)
    raise TypeError(f"analyze() takes a str or an Article, got {type(item).__name__}; pass the article's text")
