"""The fast sampler against the naive dense full scan, and hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest

from mig_cli.selection import kernels
from mig_cli.selection.baselines import RandomSampler, TopScoreSampler
from mig_cli.selection.graph import graph_without_edges
from mig_cli.selection.phi import ExpPhi, PowPhi, make_phi
from mig_cli.selection.sampler import MigSampler, information
from mig_cli.selection.selection import mig_vectors, select, state_of

from ..helpers import random_problem, to_annotations, to_graph
from ..naive import naive_select

BACKENDS = ["python"] + (["numba"] if kernels.greedy_phase_compiled is not None else [])


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("n,m,k", [(40, 8, 40), (150, 25, 60), (400, 60, 120)])
@pytest.mark.parametrize("phi", ["pow", "exp"])
@pytest.mark.parametrize("gain", ["gradient", "exact"])
@pytest.mark.parametrize("norm", [False, True])
@pytest.mark.parametrize("alpha", [0.0, 0.5, 1.0, 2.0])
def test_matches_naive_full_scan(backend, n, m, k, phi, gain, norm, alpha):
    seed = hash((n, m, phi, gain, norm, alpha)) % 2**31
    labels, edges, lists, scores = random_problem(seed, n, m)
    expected, expected_gains, _ = naive_select(
        lists, scores, labels, edges, k, alpha=alpha, phi=phi, lam=0.3, norm=norm, gain=gain
    )
    got = select(
        to_annotations(lists, scores),
        k,
        graph=to_graph(labels, edges),
        phi=make_phi(phi, lam=0.3),
        gain=gain,
        prop_weight=alpha,
        norm=norm,
        backend=backend,
    )
    assert got.rows.tolist() == expected
    np.testing.assert_allclose(got.gains, expected_gains, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("backend", BACKENDS)
def test_given_start_matches_naive(backend):
    labels, edges, lists, scores = random_problem(7, 120, 20)
    given_lists, given_scores = lists[:10], scores[:10]
    graph = to_graph(labels, edges)
    start = state_of(to_annotations(given_lists, given_scores), graph)
    expected, _, _ = naive_select(lists, scores, labels, edges, 30, start=start)
    got = select(
        to_annotations(lists, scores),
        30,
        graph=graph,
        given=to_annotations(given_lists, given_scores),
        backend=backend,
    )
    assert got.rows.tolist() == expected


def test_hand_computed_two_labels():
    # Labels a, b; no edges. phi = pow with b = 0.5, a ~ 0 -> sqrt.
    # r0: {a} s=4, r1: {a} s=4, r2: {b} s=1.
    # Step 1 gains (gradient ~ s * 0.5 / sqrt(a)): r0 ties r1, lowest row wins -> r0.
    # Step 2, X = (4, 0): r1 gain = 4 * 0.5 / 2 = 1; r2 gain = 1 * 0.5 / sqrt(1e-6) = 500 -> r2.
    ann = to_annotations([["a"], ["a"], ["b"]], [4.0, 4.0, 1.0])
    graph = graph_without_edges(["a", "b"])
    for backend in BACKENDS:
        sel = select(ann, 3, graph=graph, phi=PowPhi(1e-6, 0.5), backend=backend)
        assert sel.rows.tolist() == [0, 2, 1]
        assert sel.gains[2] == pytest.approx(4 * 0.5 / np.sqrt(4 + 1e-6))


def test_hand_computed_propagation_spreads_to_neighbours():
    # a - b joined with weight 1, alpha 1: P = [[.5, .5], [.5, .5]]; c alone.
    graph = to_graph(["a", "b", "c"], {("a", "b"): 1.0, ("b", "a"): 1.0})
    ann = to_annotations([["a"], ["b"], ["c"]], [2.0, 2.0, 1.0])
    model = mig_vectors(ann, graph)
    np.testing.assert_allclose(model.u.toarray(), [[1, 1, 0], [1, 1, 0], [0, 0, 1]])
    # exp phi, lam = 1, exact gain: r0 = 2 (1 - e^-1) = 1.264; r2 = 1 - e^-1 = 0.632.
    # After r0, r1 adds 2 (e^-1 - e^-2) = 0.465 < 0.632 -> r2 comes before r1.
    for backend in BACKENDS:
        sel = select(ann, 3, graph=graph, phi=ExpPhi(1.0), gain="exact", backend=backend)
        assert sel.rows.tolist() == [0, 2, 1]
        np.testing.assert_allclose(
            sel.gains, [2 * (1 - np.exp(-1)), 1 - np.exp(-1), 2 * (np.exp(-1) - np.exp(-2))]
        )


def test_zero_score_and_unlabelled_rows_come_last_in_row_order():
    ann = to_annotations([[], ["a"], ["zz"], ["b"], ["a"]], [5.0, 0.0, 3.0, 1.0, 2.0])
    graph = graph_without_edges(["a", "b"])
    for backend in BACKENDS:
        sel = select(ann, 5, graph=graph, backend=backend)
        assert sel.rows.tolist()[:2] == [4, 3]
        assert sel.rows.tolist()[2:] == [0, 1, 2]
        assert sel.gains[2:].tolist() == [0.0, 0.0, 0.0]


def test_exclude_and_k_too_large():
    ann = to_annotations([["a"], ["a"], ["b"]], [1.0, 2.0, 3.0])
    graph = graph_without_edges(["a", "b"])
    sel = select(ann, 2, graph=graph, exclude=np.array([False, False, True]))
    assert sorted(sel.rows.tolist()) == [0, 1]
    with pytest.raises(ValueError, match="larger"):
        select(ann, 4, graph=graph)


def test_information_is_sum_of_phi_and_grows_with_selection():
    x = np.array([0.0, 1.0, 3.0])
    phi = PowPhi(1e-6, 0.8)
    assert information(x, phi) == pytest.approx(sum((v + 1e-6) ** 0.8 for v in x))
    labels, edges, lists, scores = random_problem(3, 80, 12)
    graph = to_graph(labels, edges)
    ann = to_annotations(lists, scores)
    sel = select(ann, 20, graph=graph)
    assert information(sel.state, phi) > information(np.zeros(len(labels)), phi)


def test_baselines():
    scores = np.array([1.0, 3.0, 3.0, 2.0, 0.5])
    assert TopScoreSampler().select(scores, 3).rows.tolist() == [1, 2, 3]
    a = RandomSampler(seed=4).select(scores, 3).rows.tolist()
    b = RandomSampler(seed=4).select(scores, 3).rows.tolist()
    c = RandomSampler(seed=5).select(scores, 5).rows.tolist()
    assert a == b and len(set(a)) == 3
    assert sorted(c) == [0, 1, 2, 3, 4]


def test_numba_and_python_agree_on_larger_pool():
    if len(BACKENDS) < 2:
        pytest.skip("numba not installed")
    labels, edges, lists, scores = random_problem(11, 3000, 200, duplicates=50)
    graph = to_graph(labels, edges)
    ann = to_annotations(lists, scores)
    a = select(ann, 500, graph=graph, backend="python")
    b = select(ann, 500, graph=graph, backend="numba")
    assert a.rows.tolist() == b.rows.tolist()


def test_bad_gain_mode():
    with pytest.raises(ValueError):
        MigSampler(PowPhi(), gain="nope")
