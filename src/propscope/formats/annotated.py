"""Annotated span corpora of either scheme, read into the one shape training and scoring use.

PTC folders (SemEval-2020) hold one split each; the SemEval-2023 English folder holds both, told
apart by its dev-ids.txt, so a split name says which part to read.
"""

from __future__ import annotations

from pathlib import Path

from propscope.formats.ptc import PtcCorpus, read_ptc_folder
from propscope.techniques import SEMEVAL2023


def span_corpus(path: Path, scheme: str, split: str = "all") -> PtcCorpus:
    """Articles and gold technique spans: a PTC folder as it is, or one split of the
    SemEval-2023 folder."""
    if scheme == SEMEVAL2023.name:
        from propscope.formats.semeval2023 import read_semeval2023

        return read_semeval2023(path, split).as_span_corpus()
    return read_ptc_folder(path)
