"""The tag stage's annotators: labels from a text tagger, or copied from a field.

Each turns a batch of record dicts into one label list per record or a `Skipped` reason;
`engine.run_annotation` streams, checkpoints and writes them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..records.fields import get_path
from ..records.labels import normalize_labels
from .engine import Skipped
from .text import TextSource


class TextTagAnnotator:
    """Labels from a text tagger (`tag_batch(texts) -> list[list[str] | None]`)."""

    skip_value: Any = []

    def __init__(self, tagger: Any, name: str, source: TextSource, settings: dict, field: str):
        self.tagger = tagger
        self.name = name
        self.source = source
        self.settings = settings
        self.field = field
        self.unusable = 0

    def config(self) -> dict:
        return {"tagger": self.name, **self.settings, **self.source.config()}

    def annotate(self, records: Sequence[dict]) -> list[Any]:
        out: list[Any] = [None] * len(records)
        texts, where, convs = [], [], []
        reads_turns = getattr(self.tagger, "reads_turns", False)
        for i, record in enumerate(records):
            turns = self.source.turns(record)
            text = turns if isinstance(turns, Skipped) else self.source.text_of(turns)
            if isinstance(text, Skipped):
                out[i] = text
            else:
                texts.append(text)
                where.append(i)
                convs.append(turns)
        if not texts:
            tagged = []
        elif reads_turns:  # the taxonomy tagger also reads the answer and the turns' shape
            tagged = self.tagger.tag_batch(texts, turns=convs)
        else:
            tagged = self.tagger.tag_batch(texts)
        for i, tags in zip(where, tagged, strict=True):
            if tags is None:
                self.unusable += 1
                out[i] = Skipped("the tagger gave no usable reply", bad_input=False)
            else:
                out[i] = normalize_labels(tags)
        return out


class FieldTagAnnotator:
    """Labels copied (and normalised) from another field of the record."""

    skip_value: Any = []

    def __init__(self, path: str, field: str) -> None:
        self.path = path
        self.field = field

    def config(self) -> dict:
        return {"tagger": "field", "from": self.path}

    def annotate(self, records: Sequence[dict]) -> list[Any]:
        out: list[Any] = []
        for record in records:
            value = get_path(record, self.path, None)
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list):
                out.append(Skipped(f"no list of labels at '{self.path}'"))
                continue
            items = [v.get("tag") if isinstance(v, dict) else v for v in value]
            out.append(normalize_labels(x for x in items if isinstance(x, str)))
        return out
