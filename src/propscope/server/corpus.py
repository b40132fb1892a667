"""The /corpus pages: the dashboard of the corpus database, filtered, and each article's view.

The database is opened on first use, not at start-up, so a server without a corpus starts
without creating an empty database file; until one exists the pages say how to make it. A
database that cannot be reached is logged in full but answered with a generic message: its
host, user and name are nobody else's business.
"""

from __future__ import annotations

import logging
import threading

from propscope.errors import InputError
from propscope.report.dashboard import render_dashboard
from propscope.report.html import render_report
from propscope.server.limits import ApiError
from propscope.store.corpus import Corpus
from propscope.store.queries import Filters

log = logging.getLogger("propscope.server")

#: article ids are SQL integers; a larger number can name no article (and would overflow)
LARGEST_ID = 2**63 - 1


class CorpusPages:
    def __init__(self, url: str):
        self.url = url
        self._corpus: Corpus | None = None
        self._lock = threading.Lock()

    def corpus(self) -> Corpus:
        with self._lock:
            if self._corpus is None:
                try:
                    self._corpus = Corpus.open(self.url)
                except InputError as error:
                    if "no corpus database here" in str(error):
                        raise ApiError(
                            404,
                            "no_corpus",
                            "no corpus database yet; run 'propscope batch INPUT --db FILE' and start the server "
                            "with the same --db",
                        ) from None
                    log.error("corpus database unavailable: %s", error)
                    raise ApiError(503, "corpus_unavailable", "the corpus database is not available") from None
            return self._corpus

    def dashboard(self, fields: dict[str, str]) -> str:
        try:
            filters = Filters.parse(**fields)
        except ValueError as error:
            raise ApiError(422, "invalid_request", str(error)) from None
        corpus = self.corpus()
        return render_dashboard(
            corpus.facts(filters),
            corpus.top_passages(filters),
            lambda article_id: f"/corpus/articles/{article_id}",
            filters=fields,
        )

    def article(self, article_id: int) -> str:
        analysis = self.corpus().article_analysis(article_id) if 1 <= article_id <= LARGEST_ID else None
        if analysis is None:
            raise ApiError(404, "not_found", f"no analysed article with id {article_id} in the corpus")
        return render_report([analysis])
