"""The Python API takes what the CLI takes: K forms, no graph, refusals, finite arithmetic."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mig_cli import DataError, pool_stats, select
from mig_cli.selection.graph import graph_without_edges
from mig_cli.selection.phi import ExpPhi, PowPhi
from mig_cli.selection.scaling import scale_for
from mig_cli.selection.selection import parse_count

from ..helpers import random_problem, to_annotations, to_graph
from ..naive import naive_select


def problem(seed=5, n=200, m=30):
    labels, edges, lists, scores = random_problem(seed, n, m)
    return labels, edges, lists, scores, to_annotations(lists, scores), to_graph(labels, edges)


@pytest.mark.parametrize("k,count", [(0.1, 20), ("5%", 10), ("0.05", 10), (7, 7), ("7", 7)])
def test_k_as_fraction_percentage_or_count(k, count):
    *_, ann, graph = problem()
    got = select(ann, k, graph=graph)
    assert got.rows.tolist() == select(ann, count, graph=graph).rows.tolist()
    assert len(got.rows) == count
    assert len(select(ann, k, method="top-score").rows) == count


@pytest.mark.parametrize("k", [0, -3, "abc", "150%", 1.5, "0.0", True, float("nan")])
def test_bad_k_gives_the_cli_message(k):
    *_, ann, graph = problem()
    with pytest.raises(ValueError, match="count|above 0"):
        select(ann, k, graph=graph)
    with pytest.raises(ValueError):
        parse_count(k, 10)


def test_pool_stats_without_graph_uses_labels_as_independent_nodes():
    *_, ann, graph = problem()
    vocab, _ = ann.labels.vocabulary()
    alone = pool_stats(ann)
    assert alone == pool_stats(ann, graph_without_edges(sorted(vocab)))
    assert alone.nodes == len(vocab) and alone.information > 0


def test_no_information_is_a_data_error():
    ann = to_annotations([["a"], ["b"], []], [0.0, 0.0, 3.0])
    graph = graph_without_edges(["a", "b"])
    with pytest.raises(DataError, match="nothing to select by"):
        select(ann, 2, graph=graph)
    with pytest.raises(DataError, match="every one of the 3 records has score 0"):
        select(to_annotations([["a"]] * 3, [0.0] * 3), 1, method="top-score")
    assert len(select(ann, 2, method="random").rows) == 2
    with pytest.raises(DataError, match="none of the pool's 2 distinct labels"):
        select(ann, 1, graph=graph_without_edges(["x", "y"]))


def test_non_finite_parameters_are_refused():
    *_, ann, graph = problem()
    for bad in (math.inf, math.nan):
        with pytest.raises(ValueError, match="finite"):
            select(ann, 3, graph=graph, prop_weight=bad)
        with pytest.raises(ValueError, match="finite"):
            PowPhi(a=bad)
        with pytest.raises(ValueError, match="finite"):
            ExpPhi(lam=bad)


@pytest.mark.parametrize("phi", ["pow", "exp"])
@pytest.mark.parametrize("gain", ["gradient", "exact"])
def test_scores_near_1e308_pick_what_the_same_problem_at_normal_scale_picks(phi, gain):
    labels, edges, lists, scores, _, graph = problem(9, 150, 20)
    e = 1020  # scores up to 6 * 2^1020 ~ 5e307: any sum of two of them overflows
    huge = to_annotations(lists, np.ldexp(scores, e))
    assert scale_for((huge.scores, np.full(len(scores), 4))).exponent > 0
    if phi == "pow":
        fn, kw = PowPhi(math.ldexp(1e-6, e), 0.8), {"a": 1e-6}
        factor = 2.0 ** (e * 0.8)
    else:
        fn, kw = ExpPhi(math.ldexp(0.3, -e)), {"lam": 0.3}
        factor = 1.0
    expected, expected_gains, _ = naive_select(
        lists, scores, labels, edges, 60, phi=phi, gain=gain, **kw
    )
    got = select(huge, 60, graph=graph, phi=fn, gain=gain)
    assert got.rows.tolist() == expected
    assert np.all(np.isfinite(got.gains)) and math.isfinite(got.information)
    np.testing.assert_allclose(got.gains, np.array(expected_gains) * factor, rtol=1e-9)


def test_unscaled_pools_are_not_touched():
    labels, edges, lists, scores, ann, graph = problem()
    assert scale_for((ann.scores, np.diff(ann.labels.offsets))).exponent == 0
    expected, gains, _ = naive_select(lists, scores, labels, edges, 50)
    got = select(ann, 50, graph=graph)
    assert got.rows.tolist() == expected and got.gains.tolist() == pytest.approx(gains, rel=1e-12)
