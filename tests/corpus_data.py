"""A small corpus written for the tests: two outlets, three months, loaded and calm articles."""

from __future__ import annotations

import json
from pathlib import Path

LOADED = [
    "Once again the spineless bureaucrats at City Hall have rammed through a disastrous plan behind our backs.",
    "Can we really trust anything these people tell us anymore?",
    "Their reckless scheme will hand our waterfront to foreign speculators and leave our children with nothing.",
    "If this bill stands, crime will flood our streets and no neighbourhood will ever be safe again.",
    "Every true patriot in this city knows what must be done.",
]
CALM = [
    "The council will meet again on Tuesday to discuss the budget for road repairs.",
    "Residents can read the full text of the bill at the public library.",
    "The ferry timetable changes in the spring.",
]


def corpus_records(count: int = 12) -> list[dict[str, object]]:
    """`count` distinct articles; even ones from the Harbour Herald are loaded, odd ones calm."""
    records = []
    for number in range(count):
        loaded = number % 2 == 0
        lines = LOADED[number % len(LOADED) :] + LOADED[: number % len(LOADED)] if loaded else CALM
        records.append(
            {
                "id": f"story-{number}",
                "title": f"Story {number}",
                "text": f"Story {number}\n\n" + "\n".join(lines) + "\n",
                "outlet": "Harbour Herald" if loaded else "Calm Times",
                "author": "Ann Writer" if number % 3 else "Bo Reporter",
                "published": f"2024-0{1 + number % 3}-1{number % 10}",
            }
        )
    return records


def write_jsonl(path: Path, records: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path
