"""Label normalisation: one spelling per label, order kept, repeats dropped."""

from __future__ import annotations

import pytest

from mig_cli.records.labels import normalize_label, normalize_labels


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("Python Programming", "python programming"),
        ("  sql\tquery \n", "sql query"),
        ("role   play", "role play"),
        ('"Math."', "math"),
        ("\u201cquoted\u201d", "quoted"),
        ("(arithmetic word problem)", "arithmetic word problem"),
        ("- bullet item;", "bullet item"),
        ("'it's fine'", "it's fine"),
        ("C++", "c++"),
        ("C#", "c#"),
        (".NET", ".net"),
        ("Node.js", "node.js"),
        ("\uff30\uff59\uff54\uff48\uff4f\uff4e", "python"),  # full-width letters (NFKC)
        ("...", ""),
        ("   ", ""),
    ],
)
def test_normalize_label(raw, expected):
    assert normalize_label(raw) == expected


def test_normalize_label_is_idempotent():
    for raw in ["  'Hello,  World!' ", "(C++)", "Ünïcode  Tag"]:
        once = normalize_label(raw)
        assert normalize_label(once) == once


def test_normalize_labels_dedupes_keeping_first_order():
    assert normalize_labels(["B", "a", " b ", "A.", "", "c"]) == ["b", "a", "c"]


def test_normalize_labels_odd_items():
    assert normalize_labels(None) == []
    assert normalize_labels("Single Label") == ["single label"]
    assert normalize_labels([None, {"tag": "Math", "explanation": "x"}, {"tag": None}, 7]) == [
        "math",
        "7",
    ]
    assert normalize_labels(iter(["x", "X"])) == ["x"]
