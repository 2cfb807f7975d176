"""Selection controls (budget, quotas, include, min-score) against the naive full scan."""

from __future__ import annotations

import numpy as np
import pytest

from mig_cli.selection import kernels
from mig_cli.selection.budget import BudgetError
from mig_cli.selection.graph import graph_without_edges
from mig_cli.selection.phi import PowPhi, make_phi
from mig_cli.selection.quota import QuotaError, quota_limits
from mig_cli.selection.sampler import information
from mig_cli.selection.selection import nested, select

from ..helpers import random_problem, to_annotations, to_graph
from ..naive import naive_select

BACKENDS = ["python"] + (["numba"] if kernels.greedy_phase_compiled is not None else [])
CASES = [(60, 10), (200, 30), (500, 60)]


def problem(seed, n, m, groups=4):
    labels, edges, lists, scores = random_problem(seed, n, m)
    rng = np.random.default_rng(seed + 1)
    cost = rng.integers(1, 60, size=n).astype(np.float64)
    values = [f"src{int(g)}" for g in rng.integers(0, groups, size=n)]
    return labels, edges, lists, scores, cost, values


def run_both(
    lists, scores, labels, edges, backend, *, naive_kw, fast_kw, phi="pow", gain="gradient"
):
    expected, expected_gains, x = naive_select(
        lists, scores, labels, edges, naive_kw.pop("k"), phi=phi, lam=0.3, gain=gain, **naive_kw
    )
    got = select(
        to_annotations(lists, scores),
        fast_kw.pop("k"),
        graph=to_graph(labels, edges),
        phi=make_phi(phi, lam=0.3),
        gain=gain,
        backend=backend,
        **fast_kw,
    )
    assert got.rows.tolist() == expected
    np.testing.assert_allclose(got.gains, expected_gains, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(got.state, x, rtol=1e-9, atol=1e-12)
    return got


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("n,m", CASES)
@pytest.mark.parametrize("gain", ["gradient", "exact"])
@pytest.mark.parametrize("phi", ["pow", "exp"])
@pytest.mark.parametrize("fraction", [0.05, 0.3])
def test_budget_matches_naive(backend, n, m, gain, phi, fraction):
    seed = hash((n, m, gain, phi, fraction)) % 2**31
    labels, edges, lists, scores, cost, _ = problem(seed, n, m)
    budget = float(np.floor(cost.sum() * fraction))
    got = run_both(
        lists,
        scores,
        labels,
        edges,
        backend,
        naive_kw={"k": n, "cost": cost, "budget": budget},
        fast_kw={"k": None, "cost": cost, "budget": budget},
        phi=phi,
        gain=gain,
    )
    assert cost[got.rows].sum() <= budget
    assert got.cost == pytest.approx(cost[got.rows].sum())
    # the greedy stops only when nothing left fits
    left = budget - cost[got.rows].sum()
    rest = np.setdiff1d(np.arange(n), got.rows)
    assert got.guard == "single" or (cost[rest] > left).all()


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("n,m", CASES)
def test_budget_with_count_limit_matches_naive(backend, n, m):
    labels, edges, lists, scores, cost, _ = problem(n + m, n, m)
    budget = float(cost.sum() // 4)
    k = n // 10
    got = run_both(
        lists,
        scores,
        labels,
        edges,
        backend,
        naive_kw={"k": k, "cost": cost, "budget": budget},
        fast_kw={"k": k, "cost": cost, "budget": budget},
    )
    assert len(got.rows) == k


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("n,m", CASES)
@pytest.mark.parametrize("share", [0.1, 0.3])
@pytest.mark.parametrize("gain", ["gradient", "exact"])
def test_quota_caps_match_naive(backend, n, m, share, gain):
    labels, edges, lists, scores, _, values = problem(n * 3 + m, n, m)
    k = n // 4
    limits = quota_limits("source", values, max_share={"*": share, "src0": 0.05}, size=k)
    got = run_both(
        lists,
        scores,
        labels,
        edges,
        backend,
        naive_kw={"k": k, "groups": limits.group, "caps": limits.cap, "minimums": limits.minimum},
        fast_kw={"k": k, "quota": values, "max_share": {"*": share, "src0": 0.05}},
        gain=gain,
    )
    counts = limits.counts(got.rows)
    assert counts.get("src0", 0) <= int(0.05 * k)
    assert max(counts.values()) <= int(max(share, 0.05) * k)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("n,m", CASES)
def test_quota_minimums_met_first_and_match_naive(backend, n, m):
    labels, edges, lists, scores, _, values = problem(n * 5 + m, n, m)
    k = n // 3
    minimum = {"src3": n // 20, "src1": n // 25}
    limits = quota_limits("source", values, max_share={"*": 0.5}, min_count=minimum, size=k)
    got = run_both(
        lists,
        scores,
        labels,
        edges,
        backend,
        naive_kw={"k": k, "groups": limits.group, "caps": limits.cap, "minimums": limits.minimum},
        fast_kw={"k": k, "quota": values, "max_share": {"*": 0.5}, "min_count": minimum},
    )
    first = [values[r] for r in got.rows[: sum(minimum.values())]]
    assert set(first) <= {"src3", "src1"}  # the minimum phase comes first
    assert first.count("src3") == minimum["src3"] and first.count("src1") == minimum["src1"]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("n,m", CASES)
def test_budget_quota_include_exclude_together_match_naive(backend, n, m):
    labels, edges, lists, scores, cost, values = problem(n * 7 + m, n, m)
    budget = float(cost.sum() // 5)
    include = [n - 1, 3, n // 2]
    exclude = np.zeros(n, dtype=bool)
    exclude[::7] = True
    exclude[include] = False
    limits = quota_limits("source", values, max_share={"*": 0.4}, size=budget)
    got = run_both(
        lists,
        scores,
        labels,
        edges,
        backend,
        naive_kw={
            "k": n,
            "cost": cost,
            "budget": budget,
            "include": include,
            "exclude": exclude,
            "groups": limits.group,
            "caps": limits.cap,
            "minimums": limits.minimum,
        },
        fast_kw={
            "k": None,
            "cost": cost,
            "budget": budget,
            "include": include,
            "exclude": exclude,
            "quota": values,
            "max_share": {"*": 0.4},
        },
    )
    assert got.rows[:3].tolist() == include and got.included == 3
    assert not exclude[got.rows].any()
    spent = np.bincount(limits.group[got.rows], weights=cost[got.rows])
    assert (spent <= limits.cap[: len(spent)]).all()


@pytest.mark.parametrize("backend", BACKENDS)
def test_include_starts_the_state_and_counts_in_k(backend):
    labels, edges, lists, scores = random_problem(5, 150, 20)
    include = [40, 2, 99]
    got = run_both(
        lists,
        scores,
        labels,
        edges,
        backend,
        naive_kw={"k": 25, "include": include},
        fast_kw={"k": 25, "include": include},
    )
    assert len(got.rows) == 25 and got.rows[:3].tolist() == include


@pytest.mark.parametrize("backend", BACKENDS)
def test_single_item_guard_beats_a_cheap_greedy(backend):
    # r0: label a, score 100, cost 10; r1: label b, score 1, cost 0.05; budget 10.
    # Ratio greedy takes r1 first (gain / cost 20x larger), after which r0 no longer fits:
    # I({r1}) ~ 1 while I({r0}) = 100^0.8 ~ 39.8, so the guard returns {r0}.
    ann = to_annotations([["a"], ["b"]], [100.0, 1.0])
    graph = graph_without_edges(["a", "b"])
    cost = np.array([10.0, 0.05])
    sel = select(ann, None, graph=graph, cost=cost, budget=10.0, backend=backend)
    assert sel.rows.tolist() == [0] and sel.guard == "single"
    assert information(sel.state, PowPhi()) == pytest.approx(100**0.8, rel=1e-6)
    expected, _, _ = naive_select(
        [["a"], ["b"]], [100.0, 1.0], ["a", "b"], {}, 2, cost=cost, budget=10.0
    )
    assert expected == [0]
    # with room for both, the greedy set wins and the guard stays out of the way
    both = select(ann, None, graph=graph, cost=cost, budget=10.05, backend=backend)
    assert sorted(both.rows.tolist()) == [0, 1] and both.guard == ""


def test_min_score_excludes_low_scores():
    labels, edges, lists, scores = random_problem(9, 100, 15)
    got = select(to_annotations(lists, scores), 30, graph=to_graph(labels, edges), min_score=3.0)
    assert (scores[got.rows] >= 3.0).all()
    expected, _, _ = naive_select(lists, scores, labels, edges, 30, exclude=scores < 3.0)
    assert got.rows.tolist() == expected


def test_nested_prefixes_are_the_smaller_runs():
    labels, edges, lists, scores = random_problem(4, 300, 30)
    ann, graph = to_annotations(lists, scores), to_graph(labels, edges)
    sel = select(ann, [10, 50, 120], graph=graph)
    parts = nested(sel, [120, 10, 50])
    assert list(parts) == [10, 50, 120]
    for k, rows in parts.items():
        assert rows.tolist() == select(ann, k, graph=graph).rows.tolist()


def test_infeasible_quotas_and_budgets_are_reported_before_selection():
    values = ["x"] * 5 + ["y"] * 20
    lists = [["a"]] * 25
    ann, graph = to_annotations(lists, np.ones(25)), graph_without_edges(["a"])
    with pytest.raises(QuotaError, match="x=6.*has 5 records"):
        select(ann, 10, graph=graph, quota=values, min_count={"x": 6})
    with pytest.raises(QuotaError, match="more than K"):
        select(ann, 10, graph=graph, quota=values, min_count={"x": 5, "y": 6})
    with pytest.raises(QuotaError, match="under the --max-share cap"):
        select(ann, 10, graph=graph, quota=values, min_count={"x": 3}, max_share={"x": 0.2})
    with pytest.raises(QuotaError, match="no record has group = 'z'"):
        select(ann, 10, graph=graph, quota=values, max_share={"z": 0.2})
    cost = np.arange(1, 26, dtype=np.float64)
    with pytest.raises(QuotaError, match="more than the budget"):
        select(ann, None, graph=graph, quota=values, min_count={"y": 6}, cost=cost, budget=50)
    with pytest.raises(BudgetError, match="included records cost"):
        select(ann, None, graph=graph, include=[24, 23], cost=cost, budget=40)
    with pytest.raises(BudgetError, match="row 3"):
        select(ann, None, graph=graph, cost=np.where(np.arange(25) == 3, 0.0, 1.0), budget=5)


def test_baselines_take_include_and_min_score():
    scores = np.array([1.0, 3.0, 3.0, 2.0, 0.5, 5.0])
    ann = to_annotations([["a"]] * 6, scores)
    sel = select(ann, 3, method="top-score", include=[4], min_score=2.5)
    assert sel.rows.tolist() == [4, 5, 1]
    sel = select(ann, 3, method="random", include=[0], min_score=2.5, seed=3)
    assert sel.rows[0] == 0 and set(sel.rows[1:].tolist()) <= {1, 2, 5}


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_minimum_the_greedy_cannot_reach_under_a_budget_is_an_error(backend):
    # Group y's cheapest 3 records cost 3 (feasible before the run), but the greedy takes the
    # high-ratio expensive one first (score 100, cost 9): then only one more fits in 10.
    ann = to_annotations([["a"], ["b"], ["c"], ["d"], ["e"]], [100.0, 1.0, 1.0, 1.0, 5.0])
    graph = graph_without_edges(["a", "b", "c", "d", "e"])
    cost = np.array([9.0, 1.0, 1.0, 1.0, 1.0])
    values = ["y", "y", "y", "y", "x"]
    with pytest.raises(QuotaError, match="y=3 was not met within the budget"):
        select(
            ann,
            None,
            graph=graph,
            cost=cost,
            budget=10.0,
            quota=values,
            min_count={"y": 3},
            backend=backend,
        )
    sel = select(
        ann,
        None,
        graph=graph,
        cost=cost,
        budget=10.0,
        quota=values,
        min_count={"y": 2},
        backend=backend,
    )
    assert sel.rows.tolist()[:2] == [0, 1] and sel.guard == ""
