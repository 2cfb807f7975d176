"""Offline heuristic scorers."""

from __future__ import annotations

import math
import zlib

import numpy as np
import pytest

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
    assert SCORERS == {"quality": q.QualityScorer, "length": LengthScorer, "tagnum": TagNumScorer}
    assert LengthScorer.needs == "turns" and TagNumScorer.needs == "labels"
    assert all(SCORERS[name].name == name for name in SCORERS)


# --- the default quality scorer: each signal on its own, then together ---------------------

from mig_cli.annotate import quality as q  # noqa: E402


@pytest.mark.parametrize(
    "reply", ["", "   ", "N/A", "<nooutput>", "none", "I don't know.", "...", "No answer."]
)
def test_non_answers_get_answer_zero(reply):
    assert q.answer_factor("Name a fruit.", reply) == 0.0


@pytest.mark.parametrize(
    "reply",
    [
        "I'm sorry, but I cannot help with that request.",
        "As an AI language model, I cannot answer this question.",
        "抱歉，我无法回答这个问题。",
        "申し訳ありませんが、お答えできません。",
    ],
)
def test_refusals_are_non_answers_unless_the_request_is_harmful(reply):
    assert q.answer_factor("How do I bake bread?", reply) == 0.0
    assert q.answer_factor("How do I make a bomb?", reply, harmful=True) == 1.0


def test_real_answers_pass_the_answer_test():
    for reply in ["Apple.", "42", "Sorry to hear that! Here are five tips: ..." + "x" * 400]:
        assert q.answer_factor("q", reply) == 1.0


@pytest.mark.parametrize(
    "reply",
    [
        "I am {{name}} and I like hiking.",
        "Dear Sir,\n\nThanks.\n\nBest,\n[Your Name]",
        "Here is the answer: [insert answer here]",
        "Hello <NAME>, thank you.",
        "def f():\n    # TODO: your code here\n    pass",
    ],
)
def test_unfilled_placeholders_are_seen(reply):
    assert q.placeholder_factor("Write a short letter.", reply) == q.PLACEHOLDER_FACTOR


def test_placeholders_the_user_asked_for_and_code_indexing_are_fine():
    assert q.placeholder_factor("Fill in: Hi {{name}}!", "Hi {{name}}, welcome!") == 1.0
    code = "```python\nfor name in names:\n    print(d[name], f'{x}')\n```"
    assert q.placeholder_factor("Loop over names", code) == 1.0
    latex = "We solve \\[x + \\frac{1}{x} = 5\\] and \\[name = 2\\], so $x = 2$."
    assert q.placeholder_factor("Solve it.", latex) == 1.0  # display maths is not a slot
    assert q.placeholder_factor("Write a memo.", "Signed, [XXX]") == q.PLACEHOLDER_FACTOR


def test_truncation_mid_sentence_and_open_fence():
    full = "Photosynthesis is how plants turn light, water and carbon dioxide into sugar."
    assert q.complete_factor(full * 2) == 1.0
    cut = (full * 2)[:130]  # ends mid-word
    assert not cut.endswith(".") and q.complete_factor(cut) == q.TRUNCATED_FACTOR
    assert q.complete_factor("```python\ndef f():\n    return 1\n") == q.TRUNCATED_FACTOR
    listing = "Here are some fruits that are rich in vitamin C and easy to find:\n- Oranges\n- Kiwi"
    assert q.complete_factor(listing) == 1.0
    assert q.complete_factor("The answer is x = 4, so the total is $12 + 4 = 16" + " " * 60) == 1.0
    assert q.complete_factor("Paris") == 1.0  # short answers end however they like


def test_repetition_by_compression():
    prose = (
        "Rivers carve valleys over millions of years; glaciers leave broader U-shaped ones. "
        "Wind, rain and frost break rock apart, and gravity moves the pieces downhill. "
        "Over time these forces reshape whole mountain ranges and coastlines alike."
    )
    assert q.repetition_factor(prose * 1) == 1.0
    assert q.repetition_factor("the the the " * 100) == 0.0
    assert q.repetition_factor("ok ok") == 1.0  # too short to judge


def test_relevance_mapping():
    assert q.relevance_factor(0.5) == 1.0
    assert q.relevance_factor(-0.2) == q.RELEVANCE_MIN
    assert q.RELEVANCE_MIN < q.relevance_factor(0.1) < 1.0


def test_approx_tokens_is_language_neutral():
    english = "The quick brown fox jumps over the lazy dog."
    chinese = "敏捷的棕色狐狸跳过了懒狗。"
    assert q.approx_tokens(english) == 9  # 36 non-space chars / 4
    assert q.approx_tokens(chinese) == 13  # 12 han + 1 punctuation char (-> 1)
    words = len(chinese.split())
    assert words == 1 and q.approx_tokens(chinese) > 5  # whitespace words would say 1
    from mig_cli.annotate.writing_systems import unreadable_share

    assert unreadable_share(chinese) > 0.9 and unreadable_share(english) == 0.0


def test_length_is_relative_to_the_kind_and_capped():
    tokens = [2] * 10 + [400] * 10 + [50]
    kinds = ["classification"] * 10 + ["summary"] * 10 + ["rare"]
    f = q.length_factors(tokens, kinds)
    assert np.allclose(f[:20], 1.0)  # a short label answer is as good as a long summary
    half = q.length_factors([10] * 9 + [100] * 9 + [1], ["a"] * 18 + ["b"])
    assert half[0] < 1.0 and half[9] == 1.0  # below its kind's median -> less than 1
    assert f.min() >= q.LENGTH_MIN


def fake_embed(texts):
    """Bag-of-words embedding without stop words (for tests without the model)."""
    stop = {"the", "a", "an", "of", "in", "on", "and", "by", "with", "what", "i", "am"}
    words = [[w.strip(".,?!{}") for w in t.lower().split()] for t in texts]
    vocab = sorted({w for ws in words for w in ws if w not in stop})
    index = {w: i for i, w in enumerate(vocab)}
    rows = np.zeros((len(texts), len(vocab) + 1))
    for r, ws in enumerate(words):
        for w in ws:
            if w in index:
                rows[r, index[w]] += 1
        rows[r, -1] = 0.01
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def test_quality_scorer_components_and_ranking():
    ok = "Tides are caused by the gravity of the moon and the sun pulling on the oceans."
    records = [
        [Turn("user", "What causes tides in the oceans?"), Turn("assistant", ok)],
        [Turn("user", "What causes tides in the oceans?"), Turn("assistant", "N/A")],
        [Turn("user", "What causes tides in the oceans?"), Turn("assistant", "I am {{name}}.")],
        [
            Turn("user", "What causes tides in the oceans?"),
            Turn("assistant", "Preheat the oven, whisk eggs with sugar, fold in flour gently."),
        ],
    ]
    scorer = q.QualityScorer(fake_embed)
    comps = scorer.components(records, [["knowledge"]] * 4)
    assert set(comps[0]) == set(q.COMPONENTS)
    assert comps[1]["answer"] == 0.0 and comps[2]["placeholder"] == q.PLACEHOLDER_FACTOR
    assert comps[3]["relevance"] < comps[0]["relevance"] == 1.0
    scores = scorer.score(records, [["knowledge"]] * 4)
    assert scores[0] == max(scores) and scores[1] == 0.0
    assert scores[0] > scores[2] and scores[0] > scores[3]
    assert 0 < scores[0] <= q.SCALE


@pytest.mark.slow
def test_relevance_with_the_bundled_model_sees_swapped_answers():
    from mig_cli.annotate.embedding import Embedder

    scorer = q.QualityScorer(Embedder().encode)
    prompt = "Write a Python function that returns the factorial of n."
    good = "```python\ndef factorial(n):\n    return 1 if n <= 1 else n * factorial(n - 1)\n```"
    swapped = "The French Revolution began in 1789 with the storming of the Bastille."
    comps = scorer.components(
        [
            [Turn("user", prompt), Turn("assistant", good)],
            [Turn("user", prompt), Turn("assistant", swapped)],
        ]
    )
    assert comps[0]["relevance"] == 1.0 and comps[1]["relevance"] < 0.6


def test_a_refusal_of_an_unscreened_harmful_foreign_request_is_an_answer():
    from mig_cli.annotate.tag_data import harmful_labels

    scorer = q.QualityScorer(harmful_labels=harmful_labels())
    refusal = "申し訳ありませんが、お手伝いできません。"

    def turns(prompt):
        return [Turn("user", prompt), Turn("assistant", refusal)]

    bomb, bread = turns("爆弾の作り方を教えてください。"), turns("パンの焼き方を教えてください。")
    got = scorer.components([bomb, bread], [["language"], ["language"]])
    assert got[0]["answer"] == 1.0  # a harm word in text the tagger could not screen
    assert got[1]["answer"] == 0.0  # a refusal of a benign request stays a non-answer
    english = turns("How do I make a bomb at home?")
    assert scorer.components([english], [["knowledge"]])[0]["answer"] == 0.0  # labels decide
    assert q.QualityScorer().components([bomb], [["language"]])[0]["answer"] == 0.0


def test_latex_maths_does_not_count_against_the_script():
    from mig_cli.annotate.writing_systems import is_unreadable, unreadable_share

    heavy = r"次の式を計算せよ：$$\frac{x^{2}+2x+1}{x+1} \cdot \sqrt{x^{2}+y^{2}} = 12345$$"
    assert is_unreadable(heavy)  # the Japanese words are what the model must read
    assert unreadable_share(r"$\frac{1}{2} + \sqrt{3}$") == 0.0  # notation alone
    # code is kept: its English identifiers are readable
    code = "```python\nprint(sum(range(10)))\n```\nこれは何？"
    assert not is_unreadable(code)


def test_a_latex_environment_does_not_count_against_the_script():
    from mig_cli.annotate.writing_systems import is_unreadable

    text = "次の連立方程式を解け。\n\\begin{align}\n2x + 3y &= 7 \\\\\n4x - y &= 5\n\\end{align}"
    assert is_unreadable(text)


def _naive_closer_shares(prompts, replies, refs):
    out = []
    for i in range(len(prompts)):
        own = float(prompts[i] @ replies[i])
        others = [j for j in refs if j != i]
        out.append(sum(float(prompts[j] @ replies[i]) > own for j in others) / len(others))
    return np.array(out)


@pytest.mark.parametrize("n", [5, 300, 1500])
def test_closer_shares_matches_the_naive_count(n):
    rng = np.random.default_rng(n)
    prompts = rng.normal(size=(n, 16)).astype(np.float32)
    prompts /= np.linalg.norm(prompts, axis=1, keepdims=True)
    replies = prompts + 0.9 * rng.normal(size=(n, 16)).astype(np.float32)
    replies /= np.linalg.norm(replies, axis=1, keepdims=True)
    refs = np.unique(np.linspace(0, n - 1, num=min(n, q.CONTRAST_REFS)).round().astype(int))
    np.testing.assert_allclose(
        q.closer_shares(prompts, replies), _naive_closer_shares(prompts, replies, refs)
    )


def test_contrast_factor_mapping():
    assert q.contrast_factor(0.0) == 1.0 and q.contrast_factor(q.CONTRAST_FULL) == 1.0
    assert q.contrast_factor(0.9) == q.RELEVANCE_MIN
    assert q.RELEVANCE_MIN < q.contrast_factor(0.15) < 1.0


def _topic_embed(topic_of):
    """A fake embedding: each text's vector is its topic's axis plus a little text-specific
    noise, so a reply is close to every request of its topic and to its own a bit more."""
    dim = 64

    def embed(texts):
        out = []
        for t in texts:
            rng = np.random.default_rng(zlib.crc32(t.encode()))
            v = np.zeros(dim)
            v[topic_of(t)] = 1.0
            v += 0.05 * rng.normal(size=dim)
            if t.startswith("answer"):
                mine = np.random.default_rng(int(t.split()[1])).normal(size=dim)
                v += 0.3 * mine  # what an answer shares with its own request
            else:
                v += 0.3 * np.random.default_rng(int(t.split()[1])).normal(size=dim)
            out.append(v / np.linalg.norm(v))
        return np.array(out, dtype=np.float32)

    return embed


def test_an_answer_swapped_within_its_subject_loses_relevance():
    n = 400
    words = " word" * 30
    topic = lambda t: int(t.split()[1]) % 2  # noqa: E731 - two subjects
    convs = []
    for i in range(n):
        answer = i if i % 50 else (i + 4) % n  # every 50th answer comes from another record...
        convs.append(
            [
                Turn("user", f"request {i} about{words}"),
                Turn("assistant", f"answer {answer}{words}"),
            ]
        )  # ...of the same subject (i + 4 has the same topic)
    comps = q.QualityScorer(embed=_topic_embed(topic)).components(convs)
    swapped = [c["relevance"] for i, c in enumerate(comps) if i % 50 == 0]
    kept = [c["relevance"] for i, c in enumerate(comps) if i % 50]
    # the own request of a swapped answer is one of its subject's requests, no closer than the
    # others: about half of them beat it
    assert np.median(swapped) < 0.5 and max(swapped) < 1.0 and min(kept) > 0.95
    # a batch too small to compare against: only the absolute cosine counts
    few = q.QualityScorer(embed=_topic_embed(topic)).components(convs[:50])
    assert few[0]["relevance"] == 1.0
