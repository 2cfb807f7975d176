"""Prefix curves and pick gains against `mig stats` (pool_stats) and the sampler itself."""

from __future__ import annotations

import numpy as np
import pytest

from mig_cli.report.data import take_annotations
from mig_cli.selection.curves import (
    bin_series,
    coverage_curve,
    information_curve,
    pick_gains,
    prefix_curves,
    sample_points,
)
from mig_cli.selection.phi import ExpPhi, PowPhi
from mig_cli.selection.selection import mig_vectors, select
from mig_cli.selection.stats import pool_stats
from tests.helpers import random_problem, to_annotations, to_graph


def problem(seed=0, n=300, m=40):
    labels, edges, lists, scores = random_problem(seed, n, m)
    return to_annotations(lists, scores), to_graph(labels, edges)


@pytest.mark.parametrize("phi", [PowPhi(), ExpPhi(0.5)])
@pytest.mark.parametrize("prop_weight,norm", [(1.0, False), (0.3, True)])
def test_curves_equal_stats_of_every_prefix(phi, prop_weight, norm):
    ann, graph = problem()
    order = np.random.default_rng(5).permutation(len(ann.scores))[:120]
    order[7] = order[3]  # a repeated row counts twice, as a subset file holding it twice would
    model = mig_vectors(ann, graph, prop_weight=prop_weight, norm=norm)
    indptr, ids = ann.labels.encode(graph.labels)
    curves = prefix_curves(model.u, indptr, ids, order, phi, max_points=17)
    assert len(curves.taken) <= 17 and curves.taken[0] == 0 and curves.taken[-1] == 120
    for t, info, covered in zip(curves.taken, curves.information, curves.covered):
        stats = pool_stats(
            take_annotations(ann, order[:t]), graph, phi=phi, prop_weight=prop_weight, norm=norm
        )
        assert info == pytest.approx(stats.information, rel=1e-12, abs=1e-9)
        assert covered == stats.covered_nodes


def test_coverage_and_information_at_every_point_of_a_short_order():
    ann, graph = problem(1, 50, 12)
    order = np.arange(50)[::-1]
    model = mig_vectors(ann, graph)
    indptr, ids = ann.labels.encode(graph.labels)
    points = sample_points(50, 1000)
    assert points.tolist() == list(range(51))
    cov = coverage_curve(indptr, ids, order, points, graph.num_nodes)
    seen: set[int] = set()
    expected = [0]
    for row in order:
        seen.update(ids[indptr[row] : indptr[row + 1]].tolist())
        expected.append(len(seen))
    assert cov.tolist() == expected
    info = information_curve(model.u, order, points, PowPhi())
    assert np.all(np.diff(info) >= -1e-9)  # information never falls as records are added


@pytest.mark.parametrize("gain", ["gradient", "exact"])
def test_pick_gains_of_a_mig_selection_are_the_sampler_gains(gain):
    ann, graph = problem(2)
    phi = PowPhi()
    sel = select(ann, 80, graph=graph, phi=phi, gain=gain, backend="python")
    model = mig_vectors(ann, graph)
    got = pick_gains(model.u, sel.rows, phi, gain)
    np.testing.assert_allclose(got, sel.gains, rtol=1e-10, atol=1e-12)
    assert np.all(np.diff(got[got > 0]) <= 1e-9)  # greedy: gains never rise


def test_sample_points_and_bins():
    assert sample_points(0).tolist() == [0]
    p = sample_points(1_000_000, 500)
    assert len(p) <= 500 and p[0] == 0 and p[-1] == 1_000_000 and np.all(np.diff(p) > 0)
    values = np.arange(10, dtype=float)
    b = bin_series(values, 3)
    assert b.start.tolist()[0] == 1 and b.stop.tolist()[-1] == 10
    for lo, hi, mean, low, high in zip(b.start, b.stop, b.mean, b.low, b.high):
        chunk = values[lo - 1 : hi]
        assert (mean, low, high) == (chunk.mean(), chunk.min(), chunk.max())
    assert bin_series(np.zeros(0)).mean.size == 0
