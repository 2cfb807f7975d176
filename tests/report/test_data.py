"""The numbers behind the charts: stats, shares, left-out counts, baselines (pure, no files)."""

from __future__ import annotations

import numpy as np
import pytest

from mig_cli.records.annotations import LabelColumn
from mig_cli.records.pool import MISSING
from mig_cli.report.data import (
    OTHER_CATEGORY,
    ReportOptions,
    SubsetInput,
    build_report_data,
    category_codes,
    label_shares,
    score_histograms,
    take_annotations,
)
from mig_cli.selection.phi import PowPhi
from mig_cli.selection.selection import mig_vectors, select
from mig_cli.selection.stats import pool_stats
from tests.helpers import random_problem, to_annotations, to_graph


@pytest.fixture
def problem():
    labels, edges, lists, scores = random_problem(4, 400, 30, zero_scores=6)
    return to_annotations(lists, scores), to_graph(labels, edges), lists, scores


def test_take_annotations_is_the_rows_in_order(problem):
    ann, _, lists, scores = problem
    rows = np.array([5, 0, 399, 5, 17])
    got = take_annotations(ann, rows)
    expected = LabelColumn.from_lists([lists[r] for r in rows])
    assert [got.labels.row(i) for i in range(5)] == [expected.row(i) for i in range(5)]
    assert got.scores.tolist() == [scores[r] for r in rows]


def test_report_data_matches_stats_and_direct_counts(problem):
    ann, graph, lists, scores = problem
    phi = PowPhi(1e-6, 0.7)
    mig = select(ann, 60, graph=graph, phi=phi, prop_weight=0.5)
    rnd = select(ann, 40, method="random", seed=9)
    source = [["x", "y", "z", None][i % 4] for i in range(400)]
    source[3] = MISSING
    data = build_report_data(
        ann,
        graph,
        [SubsetInput("mig", mig.rows, mig.gains), SubsetInput("random", rnd.rows)],
        ReportOptions(phi=phi, prop_weight=0.5, baselines=("mig", "random", "top-score"), seed=9),
        by=("source", source),
    )
    for rows, stats in zip([np.arange(400), mig.rows, rnd.rows], data.stats):
        direct = pool_stats(take_annotations(ann, rows), graph, phi=phi, prop_weight=0.5)
        assert stats == direct
    # curves end where the stats are; both subsets equal a baseline, so one line each
    assert [c.name for c in data.curves] == ["mig", "random", "top-score, recomputed"]
    assert data.same_as == {"mig": "mig", "random": "random (seed 9)"}
    for curve, stats in zip(data.curves, data.stats[1:]):
        assert curve.curves.final_information == pytest.approx(stats.information, rel=1e-12)
        assert curve.curves.final_covered == stats.covered_nodes
    top = data.curves[2].curves
    assert top.taken[-1] == 60  # baselines run to the largest subset
    # gains: the MIG ones as given, the random ones recomputed under the same rule
    assert data.gains[0].source == "ranking" and data.gains[1].source == "recomputed"
    assert data.gains[0].binned.mean.tolist() == pytest.approx(mig.gains.tolist())
    # composition by source
    by = data.compositions[0]
    assert by.title == "source" and set(by.categories) == {"x", "y", "z", "(missing)"}
    for share, rows in zip(by.shares, [np.arange(400), mig.rows, rnd.rows]):
        values = ["(missing)" if source[r] in (None, MISSING) else source[r] for r in rows]
        assert share.tolist() == pytest.approx([values.count(c) / len(rows) for c in by.categories])
    # what MIG could never choose
    model = mig_vectors(ann, graph, prop_weight=0.5)
    unlabelled = ~model.labelled
    zero = np.asarray(scores) == 0
    assert data.pool_never == int((unlabelled | zero).sum()) > 0
    assert data.pool_unlabelled + data.pool_zero_score == data.pool_never
    lo_mig, lo_rnd = data.left_out
    assert lo_mig.unlabelled_taken == 0 and lo_mig.zero_score_taken == 0
    assert lo_rnd.unlabelled_taken == int(unlabelled[rnd.rows].sum())
    assert lo_mig.not_taken == 340
    pool_nodes = {x for row in lists for x in row if x in set(graph.labels)}
    mig_nodes = {x for r in mig.rows for x in lists[r] if x in set(graph.labels)}
    assert lo_mig.uncovered_nodes == len(pool_nodes - mig_nodes)
    assert data.pool_labels_off_graph == 1  # "not-a-node"


def test_category_codes_keep_the_most_frequent():
    values = ["a"] * 5 + ["b"] * 3 + ["c"] * 2 + [None, 7, 7]
    categories, codes = category_codes(values, top=3)
    assert categories == ["a", "b", "7", OTHER_CATEGORY]  # ties by text: "7" < "c"
    assert codes.tolist() == [0] * 5 + [1] * 3 + [3, 3, 3, 2, 2]


def test_histograms_share_bins_and_shares_sum_to_one():
    pool = np.array([0.0, 1.0, 2.0, 3.0, 4.0, np.nan])
    hist = score_histograms("x", pool, [np.array([4.0, 4.0]), np.array([9.0])], bins=4)
    assert hist.edges.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert hist.shares[0].tolist() == [0.2, 0.2, 0.2, 0.4]
    assert hist.shares[1].tolist() == [0, 0, 0, 1.0]
    assert hist.shares[2].tolist() == [0, 0, 0, 1.0]  # out of range: clipped into the last bin
    assert hist.means == pytest.approx([2.0, 4.0, 9.0])


def test_label_shares():
    pool = to_annotations([["a", "b"], ["a"], ["c"], []], [1, 1, 1, 1])
    sub = to_annotations([["c"], ["a", "c"]], [1, 1])
    shares = label_shares(pool, [sub], top=2)
    assert shares.categories == ["a", "b"]
    assert shares.shares[0].tolist() == [0.5, 0.25]
    assert shares.shares[1].tolist() == [0.5, 0.0]


def test_score_components_from_dicts():
    from mig_cli.report.data import score_components

    values = [{"length": 0.5, "answer": 1}, None, {"length": 1.0, "flag": True}, "x", MISSING]
    out = score_components(values)
    assert list(out) == ["length", "answer"]  # the most carried first; booleans are not numbers
    np.testing.assert_array_equal(out["length"], [0.5, np.nan, 1.0, np.nan, np.nan])
    np.testing.assert_array_equal(out["answer"], [1.0, np.nan, np.nan, np.nan, np.nan])
    assert score_components([None, 3]) == {}
