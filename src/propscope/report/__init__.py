"""Renderings of an Analysis for people: the terminal view (and later HTML)."""
