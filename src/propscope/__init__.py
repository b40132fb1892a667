"""propscope: find propaganda and persuasion techniques in news text.

The values every part shares are `Article`, `Span` and `Analysis`; see ARCHITECTURE in the
docs for the flow from input to analysis to every output.
"""

from propscope.article import Analysis, Article, SentenceFlag, Span

__version__ = "0.1.0"

__all__ = ["Analysis", "Article", "SentenceFlag", "Span", "__version__"]
