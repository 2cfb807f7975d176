"""Duplicate groups and the rows the sampler skips (selection/dedup.py)."""

from __future__ import annotations

import numpy as np
import pytest

from mig_cli.selection.dedup import (
    duplicate_groups,
    duplicate_mask,
    exact_key,
    group_sizes,
    normalise,
)


def test_normalise_folds_case_spacing_punctuation_and_width():
    assert normalise("Hello,   WORLD!!") == normalise("hello world") == "hello world"
    assert normalise("ＡＢＣ") == "abc"  # NFKC: full-width letters
    assert normalise("你好，世界。") == "你好 世界"
    assert exact_key("What is 2+2?") == exact_key("what is 2 + 2") == "whatis2+2"


@pytest.mark.parametrize(
    "a,b",
    [
        ("Solve $x+1=0$. Answer: $x=-1$", "Solve $x-1=0$. Answer: $x=1$"),
        ("def f(x): return x*2", "def f(x): return x**2"),
        ('brackets is a string of "(" and ")".', 'brackets is a string of "<" and ">".'),
        ("Is 3 > 2?", "Is 3 < 2?"),
    ],
)
def test_exact_keeps_records_that_differ_in_operators_or_brackets(a, b):
    assert exact_key(a) != exact_key(b)
    assert duplicate_groups([a, b], "exact").tolist() == [0, 1]


def test_exact_groups_join_copies_that_differ_by_case_spacing_punctuation():
    texts = ["What is 2+2? 4.", "what is 2 + 2 4", "What is 3+3? 6.", "WHAT IS 2+2?  4!"]
    groups = duplicate_groups(texts, "exact")
    assert groups.tolist() == [0, 0, 2, 0]
    assert group_sizes(groups).tolist() == [3, 3, 1, 3]
    assert duplicate_groups(texts, "none").tolist() == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="unknown dedup mode"):
        duplicate_groups(texts, "fuzzy")


def test_near_groups_find_small_edits_and_keep_different_texts_apart():
    pytest.importorskip("datasketch")
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(300)]
    base = " ".join(rng.choice(words, 120))
    edited = base.replace(base.split()[60], "changed", 1)  # one word changed of 120
    other = " ".join(rng.choice(words, 120))
    chinese = (
        "今天天气很好，我们去公园散步吧。公园里有很多花，红的黄的紫的都有。"
        "孩子们在草地上放风筝，老人们在树下下棋。我们走累了就坐在湖边休息，看鸭子游泳。"
    )
    chinese_edit = chinese[:-3] + "鱼游泳。"
    groups = duplicate_groups([base, other, edited, chinese, chinese_edit], "near")
    assert groups[2] == groups[0] and groups[1] != groups[0]
    assert groups[4] == groups[3] != groups[0]
    assert duplicate_groups([base, other, edited], "exact").tolist() == [0, 1, 2]


def test_mask_keeps_the_best_scored_row_of_each_group():
    groups = np.array([0, 0, 2, 0, 4, 4])
    scores = np.array([1.0, 3.0, 5.0, 3.0, 2.0, 2.0])
    mask = duplicate_mask(groups, scores)
    assert mask.tolist() == [True, False, False, True, False, True]  # ties -> lowest row


def test_mask_skips_every_copy_of_an_already_chosen_record():
    groups = np.array([0, 0, 2, 2, 4])
    given = np.array([False, True, False, False, False])
    mask = duplicate_mask(groups, np.ones(5), given)
    assert mask.tolist() == [True, False, False, True, False]  # row 1 is given, row 0 its copy
