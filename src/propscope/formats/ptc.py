"""The Propaganda Techniques Corpus formats: article folders and SI/TC label files.

Label rows are `id<TAB>start<TAB>end` (SI) or `id<TAB>technique<TAB>start<TAB>end` (TC/FLC; a
`?` technique marks a TC template row still to be classified). A folder holds
`article<ID>.txt` files (title on the first line) and either per-article label files or one
combined file per task; both layouts of the official release are read.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from propscope import techniques
from propscope.article import Article, Span
from propscope.errors import InputError
from propscope.formats.files import read_text_file

_ARTICLE_FILE = re.compile(r"^article(?P<id>.+)\.txt$")  # the same rule as formats.inputs.article_id
TEMPLATE_TECHNIQUE = "?"


@dataclass(frozen=True)
class LabelRow:
    """One row of a label file; `technique` is None for SI rows and "?" for template rows."""

    article_id: str
    start: int
    end: int
    technique: str | None
    path: Path
    line: int


@dataclass
class PtcCorpus:
    """Articles of a PTC folder with whatever gold the folder holds."""

    root: Path
    articles: dict[str, Article]
    tc_rows: list[LabelRow] = field(default_factory=list)
    si_rows: list[LabelRow] = field(default_factory=list)
    #: each article's file, when read from a folder (folds link them instead of copying the text)
    files: dict[str, Path] = field(default_factory=dict)

    def first(self, count: int | None) -> PtcCorpus:
        """The first `count` articles by id with their gold (all of them for None): quick checks."""
        if count is None:
            return self
        keep = set(sorted(self.articles)[:count])
        return PtcCorpus(
            root=self.root,
            articles={aid: a for aid, a in self.articles.items() if aid in keep},
            tc_rows=[r for r in self.tc_rows if r.article_id in keep],
            si_rows=[r for r in self.si_rows if r.article_id in keep],
            files={aid: path for aid, path in self.files.items() if aid in keep},
        )

    def tc_spans(self) -> dict[str, list[Span]]:
        """Gold technique spans by article id; every article of the folder has an entry."""
        spans: dict[str, list[Span]] = {article_id: [] for article_id in self.articles}
        for row in self.tc_rows:
            if row.technique and row.technique != TEMPLATE_TECHNIQUE:
                spans[row.article_id].append(Span(row.start, row.end, row.technique))
        return spans

    def si_spans(self) -> dict[str, list[tuple[int, int]]]:
        """Gold SI spans by article id: the SI file when present, else the TC spans merged."""
        if not self.si_rows:
            return {aid: merge_overlapping([(s.start, s.end) for s in spans]) for aid, spans in self.tc_spans().items()}
        spans: dict[str, list[tuple[int, int]]] = {article_id: [] for article_id in self.articles}
        for row in self.si_rows:
            spans[row.article_id].append((row.start, row.end))
        return spans


def merge_overlapping(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Merge spans that share at least one character, as the official SI scorer's -m does."""
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(start, end) for start, end in merged]


def parse_label_lines(lines: Iterable[str], path: Path) -> list[LabelRow]:
    """Parse label rows, raising InputError with file and line for the first malformed one."""
    rows: list[LabelRow] = []
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip("\r\n")
        if not line.strip():
            continue
        cells = line.split("\t")
        if len(cells) == 3:
            article_id, technique, start_text, end_text = cells[0], None, cells[1], cells[2]
        elif len(cells) == 4:
            article_id, technique, start_text, end_text = cells
        else:
            raise InputError(
                "expected 3 tab-separated columns (id, start, end) or 4 (id, technique, start, end), "
                f"found {len(cells)}",
                path=path,
                line=number,
            )
        try:
            start, end = int(start_text), int(end_text)
        except ValueError:
            raise InputError(
                f"offsets must be whole numbers, found {start_text!r} and {end_text!r}", path=path, line=number
            ) from None
        if not 0 <= start < end:
            raise InputError(
                f"span {start}-{end} is empty or negative; start must be below end", path=path, line=number
            )
        if technique is not None and technique != TEMPLATE_TECHNIQUE and not techniques.is_known(technique):
            raise InputError(
                f"unknown technique {technique!r}; run 'propscope techniques' for the 14 valid names",
                path=path,
                line=number,
            )
        rows.append(LabelRow(article_id.strip(), start, end, technique, path, number))
    return rows


def read_label_file(path: Path) -> list[LabelRow]:
    """Read an SI, TC or template label file."""
    return parse_label_lines(read_text_file(path).splitlines(keepends=True), path)


def read_article_file(path: Path) -> Article:
    """Read `article<ID>.txt`; the first line is the title, as in the PTC release."""
    match = _ARTICLE_FILE.match(path.name)
    article_id = match.group("id") if match else path.stem
    text = read_text_file(path)
    title = text.split("\n", 1)[0].strip() or None
    return Article(id=article_id, text=text, title=title)


def _find_label_files(root: Path, task_suffix: str) -> list[Path]:
    """Prefer the combined file at the top (`dev-task-flc-tc.labels`, as the organisers ship it);
    else the per-article files below (`article<ID>.task-flc-tc.labels`)."""
    combined = sorted(p for p in root.glob(f"*{task_suffix}") if p.is_file())
    if combined:
        return combined
    return sorted(p for p in root.rglob(f"*{task_suffix}") if p.is_file())


def format_rows(rows: Iterable[LabelRow]) -> str:
    """Label rows as a label file holds them (TC rows with their technique), in the order given."""
    return "".join(
        f"{r.article_id}\t{r.start}\t{r.end}\n"
        if r.technique is None
        else f"{r.article_id}\t{r.technique}\t{r.start}\t{r.end}\n"
        for r in rows
    )


def read_ptc_folder(root: Path) -> PtcCorpus:
    """Read a PTC folder: its articles and the gold SI/TC rows it holds, checked against the texts."""
    if not root.exists():
        raise InputError("no such file or folder; check the path", path=root)
    if not root.is_dir():
        raise InputError("is not a folder; give a PTC folder with article<ID>.txt files", path=root)
    article_files = sorted(p for p in root.rglob("article*.txt") if _ARTICLE_FILE.match(p.name))
    if not article_files:
        raise InputError("holds no article<ID>.txt files; give a PTC folder (articles plus label files)", path=root)
    articles: dict[str, Article] = {}
    files: dict[str, Path] = {}
    for path in article_files:
        article = read_article_file(path)
        articles[article.id] = article
        files[article.id] = path
    corpus = PtcCorpus(root=root, articles=articles, files=files)
    corpus.tc_rows = [row for p in _find_label_files(root, "task-flc-tc.labels") for row in read_label_file(p)]
    corpus.si_rows = [row for p in _find_label_files(root, "task-si.labels") for row in read_label_file(p)]
    check_rows_against_articles(corpus.tc_rows + corpus.si_rows, articles)
    return corpus


def check_rows_against_articles(rows: Iterable[LabelRow], articles: Mapping[str, Article]) -> None:
    """Every row must name an article that exists and stay inside its text."""
    for row in rows:
        article = articles.get(row.article_id)
        if article is None:
            raise InputError(
                f"article {row.article_id} has no text (no article{row.article_id}.txt in the folder)",
                path=row.path,
                line=row.line,
            )
        if row.end > len(article.text):
            raise InputError(
                f"span {row.start}-{row.end} ends after the {len(article.text)} characters of article {row.article_id}",
                path=row.path,
                line=row.line,
            )


def group_spans(rows: Iterable[LabelRow]) -> dict[str, list[Span]]:
    """Technique spans by article id from TC rows."""
    spans: dict[str, list[Span]] = defaultdict(list)
    for row in rows:
        if row.technique is None or row.technique == TEMPLATE_TECHNIQUE:
            raise InputError(
                "has no technique in this row; a TC/FLC file needs 4 columns", path=row.path, line=row.line
            )
        spans[row.article_id].append(Span(row.start, row.end, row.technique))
    return dict(spans)


def group_ranges(rows: Iterable[LabelRow]) -> dict[str, list[tuple[int, int]]]:
    """(start, end) ranges by article id from any rows, techniques ignored."""
    ranges: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for row in rows:
        ranges[row.article_id].append((row.start, row.end))
    return dict(ranges)


def format_tc_labels(spans: Mapping[str, Iterable[Span]]) -> str:
    """TC/FLC rows, sorted by article and offset."""
    return "".join(
        f"{article_id}\t{span.technique}\t{span.start}\t{span.end}\n"
        for article_id in sorted(spans)
        for span in sorted(spans[article_id], key=lambda s: (s.start, s.end, s.technique))
    )


def format_si_labels(ranges: Mapping[str, Iterable[tuple[int, int]]]) -> str:
    """SI rows, sorted by article and offset."""
    return "".join(f"{aid}\t{start}\t{end}\n" for aid in sorted(ranges) for start, end in sorted(ranges[aid]))


def format_tc_template(ranges: Mapping[str, Iterable[tuple[int, int]]]) -> str:
    """TC template rows with `?` where the technique is to be filled in."""
    return "".join(
        f"{aid}\t{TEMPLATE_TECHNIQUE}\t{start}\t{end}\n" for aid in sorted(ranges) for start, end in sorted(ranges[aid])
    )
