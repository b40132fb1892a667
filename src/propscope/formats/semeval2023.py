"""The SemEval-2023 Task 3 formats: articles, technique spans, paragraph labels with their
templates, genre labels and frame labels.

| file | rows |
| --- | --- |
| `article<ID>.txt` | title, blank line, body; offsets count code points of the file as it is |
| `article<ID>-labels-subtask-3.txt` in `...-spans/` | `id \\t technique \\t start \\t end` |
| `article<ID>-labels-subtask-3.txt` (+ `.template`) | `id \\t paragraph \\t technique,technique,...` |
| `*-labels-subtask-1.txt` | `id \\t genre` |
| `*-labels-subtask-2.txt` | `id \\t frame,frame,...` |

A paragraph is a non-empty line; its number is its 1-based line number, as in the templates.
The English release holds the PTC train and dev articles; `dev-ids.txt` names the dev ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from propscope import techniques
from propscope.article import Analysis, Article, Span
from propscope.errors import InputError
from propscope.formats.files import read_text_file
from propscope.formats.ptc import LabelRow, PtcCorpus

SCHEME = techniques.SEMEVAL2023


@dataclass(frozen=True)
class Paragraph:
    """One non-empty line of an article: its 1-based line number and its character range."""

    number: int
    start: int
    end: int


def paragraphs(text: str) -> list[Paragraph]:
    """The paragraphs of a text as the official templates number them (empty lines skipped).

    Lines end at "\\n"; a "\\r" before it belongs to the line break, not the paragraph."""
    found = []
    start = 0
    for number, line in enumerate(text.split("\n"), start=1):
        end = start + len(line.rstrip("\r"))
        if line.strip():
            found.append(Paragraph(number, start, end))
        start += len(line) + 1
    return found


def paragraph_labels(text: str, spans: Iterable[Span]) -> dict[int, tuple[str, ...]]:
    """The techniques of each paragraph: those of the spans overlapping it (sorted, distinct)."""
    listed = list(spans)
    return {
        p.number: tuple(sorted({s.technique for s in listed if s.start < p.end and p.start < s.end}))
        for p in paragraphs(text)
    }


@dataclass
class Semeval2023Corpus:
    """Articles with whatever SemEval-2023 gold the folder holds."""

    root: Path
    articles: dict[str, Article]
    spans: dict[str, list[Span]] = field(default_factory=dict)
    genres: dict[str, str] = field(default_factory=dict)
    frames: dict[str, tuple[str, ...]] = field(default_factory=dict)
    paragraph_gold: dict[str, dict[int, tuple[str, ...]]] = field(default_factory=dict)

    def subset(self, ids: Iterable[str]) -> Semeval2023Corpus:
        keep = set(ids)
        return Semeval2023Corpus(
            root=self.root,
            articles={a: v for a, v in self.articles.items() if a in keep},
            spans={a: v for a, v in self.spans.items() if a in keep},
            genres={a: v for a, v in self.genres.items() if a in keep},
            frames={a: v for a, v in self.frames.items() if a in keep},
            paragraph_gold={a: v for a, v in self.paragraph_gold.items() if a in keep},
        )

    def first(self, count: int | None) -> Semeval2023Corpus:
        return self if count is None else self.subset(sorted(self.articles)[:count])

    def as_span_corpus(self) -> PtcCorpus:
        """The articles and technique spans in the shape span training and SI/FLC scoring use."""
        rows = [
            LabelRow(article_id, s.start, s.end, s.technique, self.root, 0)
            for article_id, spans in self.spans.items()
            for s in spans
        ]
        return PtcCorpus(root=self.root, articles=dict(self.articles), tc_rows=rows)


def dev_ids(root: Path) -> set[str]:
    return set(read_text_file(root / "dev-ids.txt").split())


def read_semeval2023(root: Path, split: str = "all") -> Semeval2023Corpus:
    """Read the English SemEval-2023 folder; `split` is "train", "dev" (by dev-ids.txt) or "all"."""
    if not root.is_dir():
        raise InputError("no such folder; give the SemEval-2023 Task 3 English folder", path=root)
    article_files = sorted(root.rglob("article*.txt"))
    article_files = [
        p for p in article_files if "labels" not in p.name and p.parent.name.endswith("articles-subtask-3")
    ]
    if not article_files:
        raise InputError("holds no articles (…-articles-subtask-3/article<ID>.txt)", path=root)
    articles = {}
    for path in article_files:
        text = read_text_file(path)
        article_id = path.stem.removeprefix("article")
        articles[article_id] = Article(id=article_id, text=text, title=text.split("\n", 1)[0].strip() or None)
    corpus = Semeval2023Corpus(root=root, articles=articles)
    for path in sorted(root.rglob("*-labels-subtask-3-spans/*.txt")):
        for row in _rows(path, 4):
            article_id, technique, start, end = row.cells
            corpus.spans.setdefault(article_id, []).append(_span(row, technique, start, end, articles))
    for article_id in articles:
        corpus.spans.setdefault(article_id, [])
    for path in sorted(root.rglob("*-labels-subtask-3/*-labels-subtask-3.txt")):
        for row in _rows(path, 3, allow_short=True):
            article_id, number = row.cells[0], int(row.cells[1])
            labels = tuple(_names(row, row.cells[2] if len(row.cells) > 2 else "", SCHEME.names))
            corpus.paragraph_gold.setdefault(article_id, {})[number] = labels
    for path in sorted(root.rglob("*-labels-subtask-1.txt")):
        for row in _rows(path, 2):
            if row.cells[1] not in techniques.GENRES:
                raise InputError(f"unknown genre {row.cells[1]!r}", path=path, line=row.line)
            corpus.genres[row.cells[0]] = row.cells[1]
    for path in sorted(root.rglob("*-labels-subtask-2.txt")):
        for row in _rows(path, 2, allow_short=True):
            corpus.frames[row.cells[0]] = tuple(
                _names(row, row.cells[1] if len(row.cells) > 1 else "", techniques.FRAMES)
            )
    if split == "all":
        return corpus
    held_out = dev_ids(root)
    chosen = [a for a in articles if (a in held_out) == (split == "dev")]
    return corpus.subset(chosen)


@dataclass(frozen=True)
class _Row:
    cells: list[str]
    path: Path
    line: int


def _rows(path: Path, columns: int, *, allow_short: bool = False) -> list[_Row]:
    rows = []
    for number, line in enumerate(read_text_file(path).split("\n"), start=1):
        line = line.rstrip("\r")
        if not line.strip():
            continue
        cells = line.split("\t")
        if len(cells) != columns and not (allow_short and 1 < len(cells) < columns):
            raise InputError(f"expected {columns} tab-separated columns, found {len(cells)}", path=path, line=number)
        rows.append(_Row([c.strip() for c in cells], path, number))
    return rows


def _span(row: _Row, technique: str, start: str, end: str, articles: Mapping[str, Article]) -> Span:
    try:
        span = Span(int(start), int(end), technique)
    except ValueError as error:
        raise InputError(str(error), path=row.path, line=row.line) from None
    if not SCHEME.is_known(technique):
        raise InputError(SCHEME.unknown_message(technique), path=row.path, line=row.line)
    article = articles.get(row.cells[0])
    if article is None or span.end > len(article.text):
        raise InputError(f"span {start}-{end} lies outside article {row.cells[0]}", path=row.path, line=row.line)
    return span


def _names(row: _Row, cell: str, valid: Iterable[str]) -> list[str]:
    allowed = set(valid)
    names = [name.strip() for name in cell.split(",") if name.strip()]
    for name in names:
        if name not in allowed:
            raise InputError(f"unknown label {name!r}", path=row.path, line=row.line)
    return names


def format_spans(spans: Mapping[str, Iterable[Span]]) -> str:
    """Span rows (`id technique start end`), sorted by article and offset."""
    return "".join(
        f"{article_id}\t{span.technique}\t{span.start}\t{span.end}\n"
        for article_id in sorted(spans)
        for span in sorted(spans[article_id], key=lambda s: (s.start, s.end, s.technique))
    )


def format_paragraph_labels(labels: Mapping[str, Mapping[int, Iterable[str]]]) -> str:
    """Subtask 3 rows (`id paragraph technique,technique`), one per template paragraph."""
    return "".join(
        f"{article_id}\t{number}\t{','.join(names)}\n"
        for article_id in sorted(labels)
        for number, names in sorted(labels[article_id].items())
    )


def format_template(articles: Mapping[str, Article]) -> str:
    """The `.template` rows (`id paragraph text`) for articles."""
    return "".join(
        f"{article_id}\t{p.number}\t{articles[article_id].text[p.start : p.end]}\n"
        for article_id in sorted(articles)
        for p in paragraphs(articles[article_id].text)
    )


def format_genres(genres: Mapping[str, str]) -> str:
    return "".join(f"{article_id}\t{genres[article_id]}\n" for article_id in sorted(genres))


def format_frames(frames: Mapping[str, Iterable[str]]) -> str:
    return "".join(f"{article_id}\t{','.join(frames[article_id])}\n" for article_id in sorted(frames))


def subtask_rows(analysis: Analysis, subtask: int) -> str:
    """One analysis in the official row format of subtask 1 (genre), 2 (frames) or 3
    (techniques per paragraph); InputError when the analysis does not have what it needs."""
    article_id = analysis.article.id
    if subtask == 1:
        if analysis.genre is None:
            raise InputError("has no genre; analyse with --scheme semeval2023 for subtask rows", path=article_id)
        return format_genres({article_id: analysis.genre.label})
    if subtask == 2:
        if analysis.frames is None:
            raise InputError("has no frames; analyse with --scheme semeval2023 for subtask rows", path=article_id)
        return format_frames({article_id: analysis.frames.labels})
    return format_paragraph_labels({article_id: paragraph_labels(analysis.article.text, analysis.spans)})
