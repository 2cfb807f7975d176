"""Lazy exact dedup (selection/lazy_dedup.py) against the eager mask (selection/dedup.py)."""

from __future__ import annotations

import numpy as np
import pytest

from mig_cli.selection.dedup import duplicate_groups, duplicate_mask
from mig_cli.selection.lazy_dedup import LazyDuplicates
from mig_cli.selection.selection import select

from ..helpers import random_problem, to_annotations, to_graph
from .test_sampler import BACKENDS

VARIANTS = ("{}", "{}!", "  {} ", "{}.")  # copies differing by case, spacing, punctuation


def pool_with_copies(seed: int, n: int, m: int, *, same_scores: bool, same_labels: bool = True):
    """A seeded pool where about a third of the rows are copies of another row's text.

    Copies carry their original's labels (or, with same_labels False, their own) and score
    (or, with same_scores False, a score of their own: the best-scored copy is then often not
    the first one)."""
    rng = np.random.default_rng(seed)
    labels, edges, lists, scores = random_problem(seed, n, m, duplicates=0)
    lists, scores = [list(x) for x in lists], np.array(scores)
    texts = [f"Prompt {i}: answer {i * 7}" for i in range(n)]
    for dst in rng.choice(n, size=n // 3, replace=False):
        src = int(rng.integers(0, n))
        if src == dst:
            continue
        texts[dst] = VARIANTS[int(rng.integers(len(VARIANTS)))].format(texts[src].upper())
        if same_labels:
            lists[dst] = list(lists[src])
        if same_scores:
            scores[dst] = scores[src]
    return to_graph(labels, edges), to_annotations(lists, scores), texts


def reader(texts: list[str], calls: list[int]):
    def read(rows: np.ndarray) -> list[str]:
        calls.append(len(rows))
        return [texts[r] for r in rows.tolist()]

    return read


def eager_and_lazy(graph, ann, texts, k, *, blocked=None, backend="auto", **options):
    n = len(texts)
    blocked = np.zeros(n, bool) if blocked is None else blocked
    include = options.get("include")
    blocking = blocked.copy()
    if include is not None:
        blocking[include] = True
    groups = duplicate_groups(texts, "exact")
    mask = blocked | duplicate_mask(groups, ann.scores, blocking)
    eager = select(ann, k, graph=graph, exclude=mask, backend=backend, **options)
    calls: list[int] = []
    lazy_dups = LazyDuplicates(n, reader(texts, calls))
    lazy_dups.block(blocking)
    lazy = select(
        ann, k, graph=graph, exclude=blocked, backend=backend, duplicates=lazy_dups, **options
    )
    return eager, lazy, lazy_dups, groups


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("same_scores", [True, False])
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_lazy_picks_equal_eager_picks(backend, same_scores, seed):
    graph, ann, texts = pool_with_copies(seed, 300, 30, same_scores=same_scores)
    eager, lazy, dups, groups = eager_and_lazy(graph, ann, texts, 80, backend=backend)
    assert lazy.rows.tolist() == eager.rows.tolist()
    np.testing.assert_array_equal(lazy.gains, eager.gains)
    # every dropped row is a copy of a picked row, and was read
    assert len(lazy.duplicates) > 0
    picked_groups = set(groups[lazy.rows].tolist())
    assert set(groups[lazy.duplicates].tolist()) <= picked_groups
    assert dups.rows_read >= len(lazy.rows) + len(lazy.duplicates)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("seed", [4, 5])
def test_lazy_equals_eager_with_given_include_budget_and_quota(backend, seed):
    graph, ann, texts = pool_with_copies(seed, 300, 30, same_scores=seed % 2 == 0)
    rng = np.random.default_rng(seed)
    blocked = np.zeros(len(texts), bool)
    blocked[rng.choice(len(texts), 25, replace=False)] = True  # --given / --exclude rows
    include = np.flatnonzero(~blocked)[:3]
    eager, lazy, _, groups = eager_and_lazy(
        graph, ann, texts, 60, blocked=blocked, backend=backend, include=include
    )
    assert lazy.rows.tolist() == eager.rows.tolist()
    blocking = blocked.copy()
    blocking[include] = True
    assert not set(groups[lazy.rows[3:]].tolist()) & set(groups[blocking].tolist())
    # copies share their cost and quota value (`mig sample` dedups eagerly otherwise)
    cost = rng.uniform(1, 5, len(texts))[groups]
    quota = [f"g{g % 3}" for g in groups.tolist()]
    options = dict(cost=cost, budget=150.0, quota=quota, max_share={"*": 0.5})
    eager, lazy, _, _ = eager_and_lazy(
        graph, ann, texts, None, blocked=blocked, backend=backend, **options
    )
    assert lazy.rows.tolist() == eager.rows.tolist()
    options = dict(quota=quota, min_count={"g1": 30})
    eager, lazy, _, _ = eager_and_lazy(
        graph, ann, texts, 50, blocked=blocked, backend=backend, **options
    )
    assert lazy.rows.tolist() == eager.rows.tolist()


def test_copies_with_different_labels_are_never_both_picked():
    """The documented case where lazy and eager may keep different copies: still one copy."""
    graph, ann, texts = pool_with_copies(6, 300, 30, same_scores=False, same_labels=False)
    _, lazy, _, groups = eager_and_lazy(graph, ann, texts, 120)
    assert len(set(groups[lazy.rows].tolist())) == len(lazy.rows) == 120


def test_rows_are_read_only_near_the_picks():
    graph, ann, texts = pool_with_copies(7, 2000, 40, same_scores=True)
    _, lazy, dups, _ = eager_and_lazy(graph, ann, texts, 20)
    assert len(lazy.rows) == 20
    assert dups.rows_read <= 1024 + 1 + len(lazy.duplicates) + 20


def test_lazy_dedup_is_for_mig_only():
    graph, ann, texts = pool_with_copies(8, 50, 10, same_scores=True)
    dups = LazyDuplicates(len(texts), reader(texts, []))
    with pytest.raises(ValueError, match="mig method only"):
        select(ann, 5, graph=graph, method="top-score", duplicates=dups)
