"""HTML input: the main text of a web page, with its title, author, outlet and date as metadata.

trafilatura strips navigation, adverts and comments; what it returns is the text offsets refer
to. A page with no recognisable article text is refused rather than analysed as boilerplate.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlsplit

import trafilatura

from propscope.article import Article
from propscope.errors import InputError


def article_from_html(
    html: str,
    article_id: str,
    *,
    url: str | None = None,
    title: str | None = None,
    source: str | None = None,
) -> Article:
    """The article in `html`; explicit `title` and `source` win over what the page says."""
    document = trafilatura.bare_extraction(
        html, url=url, with_metadata=True, include_comments=False, include_tables=False, favor_precision=True
    )
    found: dict[str, Any] = {}
    if document is not None:
        found = document if isinstance(document, dict) else document.as_dict()
    text = found.get("text")
    if not text or not text.strip():
        raise InputError("no article text found in this HTML; give the page of a single article", path=article_id)
    return Article(
        id=article_id,
        text=text,
        title=title or found.get("title") or None,
        source=source or found.get("sitename") or (urlsplit(url).hostname if url else None),
        author=found.get("author") or None,
        published=_date(found.get("date")),
        url=url,
    )


def _date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None
