"""Drives a running Label Studio through label-studio-sdk, as a reviewer's tools would.

Run with the Python of Label Studio's own environment (the SDK lives there, beside the server):

    python tests/label_studio_client.py URL TOKEN CONFIG.xml TASKS.json EXPORT.json

Creates a project with the labelling configuration, imports the tasks (with the model's spans
as predictions), completes the first task with an annotation built from its prediction (one
region dropped, one region added, as a person would), and writes the JSON export of the
completed tasks to EXPORT.json. Prints the annotation's result as JSON.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from label_studio_sdk import LabelStudio


def main() -> None:
    url, token, config, tasks, export = sys.argv[1:6]
    client = LabelStudio(base_url=url, api_key=token)
    project = client.projects.create(title="propscope review", label_config=Path(config).read_text(encoding="utf-8"))
    client.projects.import_tasks(id=project.id, request=json.loads(Path(tasks).read_text(encoding="utf-8")))
    task = sorted(client.tasks.list(project=project.id, fields="all"), key=lambda t: t.id)[0]
    regions = [dict(region) for region in task.predictions[0].result] if task.predictions else []
    kept = regions[1:]  # the reviewer rejects the first prediction
    text = task.data["text"]
    added_at = text.index("\U0001f600") + 1  # after an emoji: UTF-16 and code points differ from here on
    added = {
        "id": "added",
        "from_name": "technique",
        "to_name": "text",
        "type": "labels",
        "value": {"start": added_at + 1, "end": added_at + 1 + 6, "labels": ["Doubt"]},
    }
    added["value"]["text"] = text[added_at : added_at + 6]  # what the browser would show (by code points)
    result = [*kept, added]
    client.annotations.create(id=task.id, result=result, was_cancelled=False)
    exported = client.projects.exports.as_json(project.id)
    Path(export).write_text(json.dumps(exported, ensure_ascii=False), encoding="utf-8")
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
