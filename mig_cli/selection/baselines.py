"""The baseline samplers the MIG sampler is compared with: uniform random and top score.

Both take the records' scores (N,) and k, honour `exclude` (bool (N,)), and return a
`sampler.Selection` (gains are NaN for random, the scores for top score); k larger than the
records that can be chosen is a ValueError.
"""

from __future__ import annotations

import numpy as np

from .sampler import Selection, eligible_rows


class RandomSampler:
    """Uniform random subset (seeded), for comparison."""

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed

    def select(self, scores: np.ndarray, k: int, *, exclude: np.ndarray | None = None) -> Selection:
        rows = eligible_rows(len(scores), k, exclude)
        chosen = np.random.default_rng(self.seed).permutation(rows)[:k]
        return Selection(chosen, np.full(k, np.nan))


class TopScoreSampler:
    """Highest scores first, ties to the lowest row: the quality-only baseline."""

    def select(self, scores: np.ndarray, k: int, *, exclude: np.ndarray | None = None) -> Selection:
        rows = eligible_rows(len(scores), k, exclude)
        order = rows[np.lexsort((rows, -scores[rows]))][:k]
        return Selection(order, scores[order].astype(np.float64))
