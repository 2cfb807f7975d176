"""Offline heuristic scorers."""

from __future__ import annotations

import math

import numpy as np

from mig_cli.annotate.heuristics import SCORERS, LengthScorer, TagNumScorer
from mig_cli.records.chat import Turn


def test_length_counts_whitespace_tokens_of_assistant_turns_only():
    turns_list = [
        [Turn("user", "ignored words here"), Turn("assistant", "one two  three\nfour")],
        [Turn("user", "q"), Turn("assistant", "a b"), Turn("user", "q2"), Turn("assistant", "c")],
        [Turn("system", "s t u"), Turn("user", "no reply")],
        [Turn("assistant", "   ")],
    ]
    scores = LengthScorer().score(turns_list)
    assert scores.dtype == np.float64 and scores.shape == (4,)
    np.testing.assert_allclose(scores, [math.log1p(4), math.log1p(3), 0.0, 0.0])


def test_length_is_monotone_and_empty_input():
    short = [Turn("assistant", "word " * 10)]
    long = [Turn("assistant", "word " * 1000)]
    a, b = LengthScorer().score([short, long])
    assert 0 < a < b
    assert LengthScorer().score([]).shape == (0,)


def test_tagnum_counts_distinct_normalised_labels():
    scores = TagNumScorer().score(
        [["a", "b", "c"], ["Math", "math.", " MATH "], [], None, ["", "x"]]
    )
    assert scores.dtype == np.float64
    assert scores.tolist() == [3.0, 1.0, 0.0, 0.0, 1.0]


def test_registry_and_inputs():
    assert SCORERS == {"length": LengthScorer, "tagnum": TagNumScorer}
    assert LengthScorer.needs == "turns" and TagNumScorer.needs == "labels"
    assert all(SCORERS[name].name == name for name in SCORERS)
