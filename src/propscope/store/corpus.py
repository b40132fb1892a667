"""Reading a corpus database from Python: the statistics, passages and analyses the CLI prints.

>>> from propscope.store.corpus import Corpus      # doctest: +SKIP
>>> corpus = Corpus.open("corpus.db")              # doctest: +SKIP
>>> propscope.to_frame(corpus.statistics("outlet"))  # doctest: +SKIP

Opening never creates a database: reading a path that holds none is an error that says how to
make one, so a typo in `--db` does not leave an empty database behind.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from propscope.article import Analysis
from propscope.store.database import open_database
from propscope.store.queries import (
    Fact,
    Filters,
    Passage,
    StatsRow,
    article_analysis,
    facts,
    statistics,
    stored_analyses,
    top_passages,
)

EVERYTHING = Filters()


class Corpus:
    """An existing corpus database, read-only."""

    def __init__(self, engine: Engine):
        self.engine = engine

    @classmethod
    def open(cls, url: str) -> Corpus:
        """The database at `url` (a file path or SQLAlchemy URL); InputError if there is none."""
        return cls(open_database(url, create=False))

    def facts(self, filters: Filters = EVERYTHING) -> list[Fact]:
        with Session(self.engine) as session:
            return facts(session, filters)

    def statistics(self, by: str = "outlet", filters: Filters = EVERYTHING) -> list[StatsRow]:
        """One row per outlet, author or month (or per technique for by="technique")."""
        return statistics(self.facts(filters), by)

    def top_passages(self, filters: Filters = EVERYTHING, limit: int = 10) -> list[Passage]:
        with Session(self.engine) as session:
            return top_passages(session, filters, limit)

    def analyses(self, filters: Filters = EVERYTHING) -> Iterator[Analysis]:
        """Every stored analysis matching `filters`, in storage order."""
        with Session(self.engine) as session:
            yield from stored_analyses(session, filters)

    def article_analysis(self, article_id: int, model_id: str | None = None) -> Analysis | None:
        with Session(self.engine) as session:
            return article_analysis(session, article_id, model_id)
