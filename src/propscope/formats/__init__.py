"""Readers and writers: PTC folders and label files, JSON/JSONL analyses, plain text."""
