"""Offline heuristic scorers: cheap quality proxies that need no model and no network.

Every scorer has `score(items) -> np.ndarray` (float64, one value >= 0 per item) and a class
attribute `needs` naming what an item is: `"turns"` (a list of `chat.Turn`, as returned by
`chat.conversation`) or `"labels"` (a list of label strings).

- `LengthScorer` ("length"): `log1p(w)` where `w` is the number of whitespace-separated tokens
  over all assistant turns of the record. Longer answers tend to be more detailed (the "long is
  more" baseline of instruction selection); the log keeps a handful of very long answers from
  dominating the MIG score vectors. A record without an assistant turn scores 0 and so comes
  last in MIG sampling.
- `QualityScorer` ("quality", the default; module `quality`): six factors that see junk
  (non-answers, unfilled placeholders, truncation, unrelated replies, repetition) and a
  language-neutral length relative to the record's own kind.
- `TagNumScorer` ("tagnum"): the number of distinct labels after normalisation (the InsTag
  complexity proxy: more intentions in one instruction = a more complex instruction).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np

from ..records.chat import Turn
from ..records.labels import normalize_labels


class LengthScorer:
    """log1p(number of whitespace tokens in the assistant turns)."""

    name: ClassVar[str] = "length"
    needs: ClassVar[str] = "turns"

    def score(self, turns_list: Sequence[Sequence[Turn]]) -> np.ndarray:
        counts = np.fromiter(
            (
                sum(len(t.content.split()) for t in turns if t.role == "assistant")
                for turns in turns_list
            ),
            dtype=np.float64,
            count=len(turns_list),
        )
        return np.log1p(counts)


class TagNumScorer:
    """Number of distinct (normalised) labels of each record."""

    name: ClassVar[str] = "tagnum"
    needs: ClassVar[str] = "labels"

    def score(self, label_lists: Sequence[Sequence[str] | None]) -> np.ndarray:
        return np.fromiter(
            (len(normalize_labels(labels)) for labels in label_lists),
            dtype=np.float64,
            count=len(label_lists),
        )


from .quality import QualityScorer  # noqa: E402  (the default offline scorer)

SCORERS: dict[str, type] = {
    "quality": QualityScorer,
    "length": LengthScorer,
    "tagnum": TagNumScorer,
}
