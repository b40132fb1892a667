"""Articles from the web: a fetched page as an article, whether plain text or HTML."""

from __future__ import annotations

from propscope.article import Article
from propscope.fetch import FetchPolicy, Page, fetch
from propscope.formats.html import article_from_html


def article_from_url(url: str, policy: FetchPolicy) -> Article:
    """The article at `url`; plain-text pages are taken as they are, HTML is extracted."""
    return article_from_page(fetch(url, policy), url)


def article_from_page(page: Page, article_id: str, *, title: str | None = None, source: str | None = None) -> Article:
    """The article in a fetched page; given `title` and `source` win over what the page says."""
    if page.content_type == "text/plain":
        return Article(id=article_id, text=page.text, url=page.url, title=title, source=source)
    return article_from_html(page.text, article_id, url=page.url, title=title, source=source)
