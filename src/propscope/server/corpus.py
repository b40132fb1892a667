"""The /corpus pages: the dashboard of the corpus database, filtered, and each article's view.

The database is opened on first use, not at start-up, so a server without a corpus starts
without creating an empty database file; until one exists the pages say how to make it.
"""

from __future__ import annotations

import datetime as dt
from functools import cached_property
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from propscope import techniques
from propscope.report.dashboard import render_dashboard
from propscope.report.html import render_report
from propscope.server.limits import ApiError
from propscope.store.database import normalise_url, open_database
from propscope.store.queries import Filters, article_analysis, facts, top_passages


class CorpusPages:
    def __init__(self, url: str):
        self.url = normalise_url(url)

    @cached_property
    def engine(self) -> Engine:
        parsed = make_url(self.url)
        if parsed.get_backend_name() == "sqlite" and parsed.database and not Path(parsed.database).exists():
            raise ApiError(
                404,
                "no_corpus",
                f"no corpus database at {parsed.database}; run 'propscope batch INPUT --db {parsed.database}' "
                "and start the server with the same --db",
            )
        return open_database(self.url)

    def dashboard(self, fields: dict[str, str]) -> str:
        filters = Filters(
            source=fields["source"] or None,
            technique=fields["technique"] if techniques.is_known(fields["technique"]) else None,
            since=_date(fields["since"], "since"),
            until=_date(fields["until"], "until"),
        )
        with Session(self.engine) as session:
            return render_dashboard(
                facts(session, filters),
                top_passages(session, filters),
                lambda article_id: f"/corpus/articles/{article_id}",
                filters=fields,
            )

    def article(self, article_id: int) -> str:
        with Session(self.engine) as session:
            analysis = article_analysis(session, article_id)
        if analysis is None:
            raise ApiError(404, "not_found", f"no analysed article with id {article_id} in the corpus")
        return render_report([analysis])


def _date(value: str, name: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ApiError(422, "invalid_request", f"{name}: {value!r} is not a date; write YYYY-MM-DD") from None
