"""Record-level annotators for `mig tag` / `mig score`: text taggers, field copies, scorers.

Each turns a batch of record dicts into one value per record (a label list or a score) or a
`Skipped` reason; `annotate.run_annotation` streams, checkpoints and writes them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from .annotate import Skipped
from .annotations import xsample_score
from .chat import ChatShapeError, Turn, conversation, select_text, turn_pairs
from .fields import get_path
from .labels import normalize_labels
from .scorers import LengthScorer


class _TextSource:
    """Finds the text of each record; bad records become `Skipped`."""

    def __init__(self, text_mode: str, text_field: str | None, max_chars: int) -> None:
        self.text_mode = text_mode
        self.text_field = text_field
        self.max_chars = max_chars

    def turns(self, record: dict) -> list[Turn] | Skipped:
        try:
            turns = conversation(record, self.text_field)
        except ChatShapeError as exc:
            return Skipped(str(exc))
        size = sum(len(t.content) for t in turns)
        if size > self.max_chars:
            return Skipped(f"text too long ({size:,} characters > --max-chars {self.max_chars:,})")
        return turns

    def text(self, record: dict) -> str | Skipped:
        turns = self.turns(record)
        if isinstance(turns, Skipped):
            return turns
        text = select_text(turns, self.text_mode)
        if not text.strip():
            return Skipped("empty text")
        return text

    def config(self) -> dict:
        return {"text": self.text_mode, "text_field": self.text_field, "max_chars": self.max_chars}


class TextTagAnnotator:
    """Labels from a text tagger (`tag_batch(texts) -> list[list[str] | None]`)."""

    skip_value: Any = []

    def __init__(self, tagger: Any, name: str, source: _TextSource, settings: dict, field: str):
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
        texts, where = [], []
        for i, record in enumerate(records):
            text = self.source.text(record)
            if isinstance(text, Skipped):
                out[i] = text
            else:
                texts.append(text)
                where.append(i)
        for i, tags in zip(where, self.tagger.tag_batch(texts) if texts else [], strict=True):
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


class LengthScoreAnnotator:
    skip_value: Any = 0.0

    def __init__(self, source: _TextSource, field: str) -> None:
        self.source = source
        self.field = field

    def config(self) -> dict:
        return {"scorer": "length", **self.source.config()}

    def annotate(self, records: Sequence[dict]) -> list[Any]:
        turns = [self.source.turns(r) for r in records]
        good = [t for t in turns if not isinstance(t, Skipped)]
        scores = iter(LengthScorer().score(good).tolist() if good else [])
        return [t if isinstance(t, Skipped) else next(scores) for t in turns]


class TagNumScoreAnnotator:
    skip_value: Any = 0.0

    def __init__(self, labels_field: str, field: str) -> None:
        self.labels_field = labels_field
        self.field = field

    def config(self) -> dict:
        return {"scorer": "tagnum", "labels_field": self.labels_field}

    def annotate(self, records: Sequence[dict]) -> list[Any]:
        out: list[Any] = []
        for record in records:
            labels = get_path(record, self.labels_field, None)
            if not isinstance(labels, list):
                out.append(Skipped(f"no list of labels at '{self.labels_field}' (run mig tag)"))
            else:
                out.append(float(len(normalize_labels(x for x in labels if isinstance(x, str)))))
        return out


class FieldScoreAnnotator:
    """A score copied from a field, or computed by the xsample preset."""

    skip_value: Any = 0.0

    def __init__(self, path: str, field: str, preset: str | None = None) -> None:
        self.path = path
        self.field = field
        self.preset = preset

    def config(self) -> dict:
        return {"scorer": "field", "from": self.path, "preset": self.preset}

    def annotate(self, records: Sequence[dict]) -> list[Any]:
        out: list[Any] = []
        for record in records:
            value = get_path(record, self.path, None)
            try:
                if self.preset == "xsample":
                    score = xsample_score(value)
                elif isinstance(value, bool) or not isinstance(value, (int, float)):
                    raise ValueError(f"no number at '{self.path}'")
                else:
                    score = float(value)
                if not math.isfinite(score) or score < 0:
                    raise ValueError(f"score must be a finite number >= 0, got {score!r}")
            except ValueError as exc:
                out.append(Skipped(str(exc)))
                continue
            out.append(score)
        return out


class LLMScoreAnnotator:
    """DEITA-style quality x complexity from an LLM judge, averaged over turns."""

    skip_value: Any = 0.0

    def __init__(self, scorer: Any, source: _TextSource, settings: dict, field: str) -> None:
        self.scorer = scorer
        self.source = source
        self.settings = settings
        self.field = field
        self.unusable = 0

    def config(self) -> dict:
        return {"scorer": "llm", **self.settings, **self.source.config()}

    def annotate(self, records: Sequence[dict]) -> list[Any]:
        out: list[Any] = [None] * len(records)
        convs, where = [], []
        for i, record in enumerate(records):
            turns = self.source.turns(record)
            if isinstance(turns, Skipped):
                out[i] = turns
                continue
            pairs = turn_pairs(turns)
            if not pairs:
                out[i] = Skipped("no user turn followed by an assistant reply")
                continue
            convs.append(pairs)
            where.append(i)
        scores = self.scorer.score_batch(convs) if convs else []
        for i, score in zip(where, scores, strict=True):
            if score is None:
                self.unusable += 1
                out[i] = Skipped("the judge gave no usable rating", bad_input=False)
            else:
                out[i] = float(score)
        return out


def text_source(text_mode: str, text_field: str | None, max_chars: int) -> _TextSource:
    return _TextSource(text_mode, text_field, max_chars)
