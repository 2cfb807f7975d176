"""The score stage's annotators: heuristic scores, scores copied from a field, an LLM judge.

Each turns a batch of record dicts into one score per record or a `Skipped` reason;
`engine.run_annotation` streams, checkpoints and writes them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from ..records.annotations import xsample_score
from ..records.chat_text import turn_pairs
from ..records.fields import get_path
from ..records.labels import normalize_labels
from .engine import Skipped
from .heuristics import LengthScorer
from .quality import VERSION as QUALITY_VERSION
from .quality import QualityScorer
from .text import TextSource


class QualityScoreAnnotator:
    """The default offline score (`quality.QualityScorer`), with its components when
    `components_field` is set (written beside the score)."""

    def __init__(
        self,
        source: TextSource,
        field: str,
        *,
        embed=None,
        model: str | None = None,
        labels_field: str = "labels",
        harmful_labels: frozenset[str] = frozenset(),
        components_field: str | None = "score_components",
    ) -> None:
        self.source = source
        self.field = field
        self.scorer = QualityScorer(embed, harmful_labels)
        self.model = model
        self.labels_field = labels_field
        self.extra_field = components_field
        self.skip_value: Any = [0.0, None] if components_field else 0.0

    def config(self) -> dict:
        return {
            "scorer": "quality",
            "rules": QUALITY_VERSION,
            "model": self.model,
            "labels_field": self.labels_field,
            "components_field": self.extra_field,
            **self.source.config(),
        }

    def annotate(self, records: Sequence[dict]) -> list[Any]:
        turns = [self.source.answered_turns(r) for r in records]
        good = [i for i, t in enumerate(turns) if not isinstance(t, Skipped)]
        labels = []
        for i in good:
            value = get_path(records[i], self.labels_field, None)
            labels.append(
                [x for x in value if isinstance(x, str)] if isinstance(value, list) else None
            )
        comps = self.scorer.components([turns[i] for i in good], labels) if good else []
        out: list[Any] = list(turns)
        for i, comp in zip(good, comps, strict=True):
            score = round(self.scorer.combine(comp), 6)
            shown = {k: round(v, 3) for k, v in comp.items()}
            out[i] = [score, shown] if self.extra_field else score
        return out


class LengthScoreAnnotator:
    skip_value: Any = 0.0

    def __init__(self, source: TextSource, field: str) -> None:
        self.source = source
        self.field = field

    def config(self) -> dict:
        return {"scorer": "length", **self.source.config()}

    def annotate(self, records: Sequence[dict]) -> list[Any]:
        turns = [self.source.answered_turns(r) for r in records]  # no answer: Skipped, not 0
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
            except (ValueError, OverflowError) as exc:  # OverflowError: an int beyond float
                out.append(Skipped(str(exc)))
                continue
            out.append(score)
        return out


class LLMScoreAnnotator:
    """DEITA-style quality x complexity from an LLM judge, averaged over turns."""

    skip_value: Any = 0.0

    def __init__(self, scorer: Any, source: TextSource, settings: dict, field: str) -> None:
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
