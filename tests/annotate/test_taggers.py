"""Embedding taggers with exact fake embeddings, the bundled taxonomy, and the real model."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from mig_cli.annotate.tag_data import (
    harmful_labels,
    load_cues,
    load_taxonomy,
    load_taxonomy_domains,
    read_vocab_text,
    taxonomy_fingerprint,
)
from mig_cli.annotate.taggers import TAGGERS, TaxonomyTagger, VocabTagger
from mig_cli.records.labels import normalize_label

SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"


class Space:
    """Fake embedder with exact similarities.

    Every known key text (a tag or match text) is its own axis. A query registered with
    `want(text, {key: cosine, ...})` gets exactly those cosines (the rest of its unit norm goes
    to a private axis). Counts calls and texts so tests can check what was embedded.
    """

    def __init__(self, keys: list[str]) -> None:
        self.axis = {k: i for i, k in enumerate(dict.fromkeys(keys))}
        self.dim = len(self.axis) + 1
        self.queries: dict[str, dict[str, float]] = {}
        self.calls: list[list[str]] = []

    def want(self, text: str, cosines: dict[str, float]) -> str:
        self.queries[text] = cosines
        return text

    def __call__(self, texts: list[str]) -> np.ndarray:
        self.calls.append(list(texts))
        out = np.zeros((len(texts), self.dim), dtype=np.float64)
        for row, text in enumerate(texts):
            if text in self.axis:
                out[row, self.axis[text]] = 1.0
                continue
            cosines = self.queries.get(text, {})
            for key, value in cosines.items():
                out[row, self.axis[key]] = value
            out[row, -1] = np.sqrt(max(0.0, 1.0 - sum(v * v for v in cosines.values())))
        return out.astype(np.float32)


# --- VocabTagger -------------------------------------------------------------------------


def test_top_k_threshold_and_order():
    tags = ["a", "b", "c", "d"]
    space = Space(tags)
    q = space.want("q", {"a": 0.2, "b": 0.9, "c": 0.5, "d": 0.31})
    tagger = VocabTagger(space, tags, top_k=3, min_similarity=0.3)
    assert tagger.tag_batch([q]) == [["b", "c", "d"]]
    assert VocabTagger(space, tags, top_k=2, min_similarity=0.3).tag_batch([q]) == [["b", "c"]]
    assert VocabTagger(space, tags, top_k=4, min_similarity=0.6).tag_batch([q]) == [["b"]]
    assert VocabTagger(space, tags, top_k=4, min_similarity=0.95).tag_batch([q]) == [[]]


def test_ties_go_to_vocabulary_order():
    tags = ["z", "y", "x"]
    space = Space(tags)
    q = space.want("q", {"z": 0.4, "y": 0.5, "x": 0.5})
    assert VocabTagger(space, tags, top_k=2, min_similarity=0.0).tag_batch([q]) == [["y", "x"]]
    many = [f"t{i}" for i in range(50)]
    space = Space(many)
    q = space.want("q", {t: 0.5 for t in many[10:20]})
    out = VocabTagger(space, many, top_k=3, min_similarity=0.1).tag_batch([q])
    assert out == [["t10", "t11", "t12"]]


def test_match_texts_and_repeated_tags_take_the_best_text():
    tags = ["math", "code", "math"]
    texts = ["math: numbers", "code: programs", "math: word problems"]
    space = Space(texts)
    q1 = space.want("q1", {"math: numbers": 0.2, "math: word problems": 0.7, "code: programs": 0.4})
    q2 = space.want("q2", {"math: numbers": 0.6, "code: programs": 0.5})
    tagger = VocabTagger(space, tags, texts, top_k=5, min_similarity=0.0)
    assert tagger.tags == ["math", "code"]
    assert tagger.tag_batch([q1, q2]) == [["math", "code"], ["math", "code"]]
    np.testing.assert_allclose(tagger.similarities([q1]), [[0.7, 0.4]], atol=1e-6)


def test_vocabulary_embedded_once_and_blank_texts_skipped():
    tags = ["a", "b"]
    space = Space(tags)
    q = space.want("q", {"a": 0.8})
    tagger = VocabTagger(space, tags, min_similarity=0.5)
    assert space.calls == []  # lazy
    assert tagger.tag_batch(["", q, "   "]) == [[], ["a"], []]
    assert tagger.tag_batch([q]) == [["a"]]
    assert tagger.tag_batch([]) == []
    assert space.calls == [["a", "b"], ["q"], ["q"]]


def test_constructor_and_embed_errors():
    space = Space(["a"])
    with pytest.raises(ValueError, match="empty"):
        VocabTagger(space, [])
    with pytest.raises(ValueError, match="2 tags but 1 match texts"):
        VocabTagger(space, ["a", "b"], ["x"])
    with pytest.raises(ValueError, match="top_k"):
        VocabTagger(space, ["a"], top_k=0)
    broken = VocabTagger(lambda texts: np.zeros((1, 3), dtype=np.float32), ["a", "b"])
    with pytest.raises(ValueError, match="embed returned shape"):
        broken.tag_batch(["q"])


# --- vocabulary text ---------------------------------------------------------------------


def test_read_vocab_lines():
    text = "# my tags\npython programming\n\n  sql query  \n# comment\npoem\npoem\n"
    assert read_vocab_text(text) == ["python programming", "sql query", "poem"]


def test_read_vocab_json():
    assert read_vocab_text('["a", " b ", "", "a"]') == ["a", "b"]


@pytest.mark.parametrize(
    "text,needle",
    [
        ("", "holds no tag"),
        ("# only\n\n", "holds no tag"),
        ('{"a": 1}', "list of strings"),
        ('["a", 2]', "list of strings"),
        ('"just a string"', "list of strings"),
        ("[not json", "does not parse"),
        ("[]", "holds no tag"),
    ],
)
def test_read_vocab_errors(text, needle):
    with pytest.raises(ValueError, match=needle):
        read_vocab_text(text)


# --- bundled taxonomy --------------------------------------------------------------------


def test_bundled_taxonomy_shape():
    tags, texts = load_taxonomy()
    distinct = set(tags)
    assert 400 <= len(distinct) <= 1500
    assert len(tags) == len(texts)
    for tag, text in zip(tags, texts, strict=True):
        assert normalize_label(tag) == tag, tag
        assert text.startswith(f"{tag}: ") and len(text) > len(tag) + 10, text
    domains = load_taxonomy_domains()
    assert set(domains) == distinct
    names = set(domains.values())
    assert {"coding", "mathematics", "role play", "tool use", "safety", "writing"} <= names
    assert all(normalize_label(d) == d for d in names)
    assert not names & distinct  # a domain label never collides with a fine tag
    for must in ("python programming", "arithmetic word problem", "unit conversion", "api call"):
        assert must in distinct


def test_bundled_cues_point_at_taxonomy_tags():
    tags = set(load_taxonomy()[0])
    names = set(load_taxonomy_domains().values())
    cues = load_cues()
    assert len(cues) >= 10
    for cue in cues:
        assert cue.tag in tags
        assert cue.kind in {"framing", "always", "form", "judge", "gate", "needs", "context"}
        assert cue.domains <= names and bool(cue.domains) == (cue.kind == "context")
        assert isinstance(cue.pattern, re.Pattern)
        assert "{code}" not in cue.pattern.pattern  # fragments are expanded
    kinds = Counter(c.kind for c in cues)
    assert kinds["framing"] >= 3 and kinds["gate"] >= 10 and kinds["context"] >= 3


@pytest.fixture(scope="module")
def taxonomy_space() -> Space:
    tags, texts = load_taxonomy()
    space = Space(texts)
    space.first_text = dict(zip(reversed(tags), reversed(texts), strict=True))
    return space


def _want(space: Space, text: str, by_tag: dict[str, float]) -> str:
    return space.want(text, {space.first_text[t]: v for t, v in by_tag.items()})


def test_taxonomy_margin_min_and_domain_first(taxonomy_space):
    s = taxonomy_space
    q = _want(
        s,
        "Tom has 3 apples and pays for them",
        {"arithmetic word problem": 0.6, "money word problem": 0.55, "rate word problem": 0.45},
    )
    tagger = TaxonomyTagger(s)
    assert tagger.tag_batch([q]) == [
        ["mathematics", "arithmetic word problem", "money word problem"]
    ]
    wide = TaxonomyTagger(s, margin=1.0, domain_tag=False)
    assert wide.tag_batch([q]) == [
        ["arithmetic word problem", "money word problem", "rate word problem"]
    ]
    assert TaxonomyTagger(s, top_k=1).tag_batch([q]) == [["mathematics", "arithmetic word problem"]]


def test_taxonomy_keeps_the_best_tag_even_when_weak(taxonomy_space):
    q = _want(taxonomy_space, "zzz", {"poem": 0.12, "haiku": 0.1})
    assert TaxonomyTagger(taxonomy_space).tag_batch([q, " "]) == [["writing", "poem"], []]


def test_role_play_cue_sets_the_domain(taxonomy_space):
    text = "Imagine you are a pirate captain. Describe your ship."
    q = _want(taxonomy_space, text, {"history": 0.5, "adventure role play": 0.3})
    tags = TaxonomyTagger(taxonomy_space).tag_batch([q])[0]
    assert tags[0] == "role play"
    assert "character role play" in tags and "history" in tags
    plain = _want(taxonomy_space, "Describe a pirate ship.", {"history": 0.5})
    assert TaxonomyTagger(taxonomy_space).tag_batch([plain]) == [
        ["knowledge", "history", "explanation"]  # + the task tag of "Describe ..."
    ]


def test_language_tags_are_gated_by_programming_words(taxonomy_space):
    s = taxonomy_space
    code = _want(
        s,
        "Write a Python function that reverses a string.",
        {"string manipulation": 0.5, "function implementation": 0.45, "algebra": 0.3},
    )
    snake = _want(
        s,
        "What does a python snake eat?",
        {"python programming": 0.55, "zoology": 0.5, "ecology and environment": 0.3},
    )
    got_code, got_snake = TaxonomyTagger(s).tag_batch([code, snake])
    assert got_code[0] == "coding" and "python programming" in got_code
    assert got_snake == ["knowledge", "zoology", "question answering"]  # gated: no code word
    off = TaxonomyTagger(s, cue_bonus=0.0).tag_batch([code])[0]
    assert "python programming" in off  # a fired cue is kept even without a bonus


def test_context_cue_fires_only_in_its_domain(taxonomy_space):
    s = taxonomy_space
    text = "She pays $12 for 3 books. How much is one book?"
    maths = _want(s, text, {"arithmetic word problem": 0.5, "budget word problem": 0.45})
    tags = TaxonomyTagger(s).tag_batch([maths])[0]
    assert tags == [
        "mathematics",
        "arithmetic word problem",
        "budget word problem",
        "money word problem",  # fired with similarity 0: kept after the ranked tags
        "question answering",  # the task tag of "How much ...?"
    ]
    other = _want(s, text + " ", {"poem": 0.5, "haiku": 0.3})
    assert TaxonomyTagger(s).tag_batch([other]) == [["writing", "poem", "question answering"]]


def test_always_on_safety_cue_keeps_its_tag_but_the_domain_is_voted(taxonomy_space):
    s = taxonomy_space
    rob = _want(
        s, "When is the best time to rob a cookie stand?", {"daily schedule": 0.4, "theft": 0.3}
    )
    sum_ = _want(
        s, "A thief steals 3 of 10 gems. How many are left?", {"arithmetic word problem": 0.6}
    )
    name = _want(s, "Rob has 3 apples and buys 2 more.", {"arithmetic word problem": 0.6})
    got_rob, got_sum, got_name = TaxonomyTagger(s).tag_batch([rob, sum_, name])
    assert got_rob == ["safety", "theft", "daily schedule", "question answering"]
    tasks = ["math problem solving", "question answering"]  # "How many ...?"
    assert got_sum == ["mathematics", "arithmetic word problem", "theft", *tasks]
    assert got_name == ["mathematics", "arithmetic word problem"]  # "Rob" the name is no cue


def test_use_cues_false_is_embedding_only(taxonomy_space):
    s = taxonomy_space
    q = _want(s, "Imagine you are a pirate. Write a Python script.", {"history": 0.5})
    assert TaxonomyTagger(s, use_cues=False).tag_batch([q]) == [["knowledge", "history"]]
    snake = _want(s, "What does a python snake eat?", {"python programming": 0.55})
    assert TaxonomyTagger(s, use_cues=False).tag_batch([snake]) == [
        ["coding", "python programming"]
    ]


def test_select_from_precomputed_similarities(taxonomy_space):
    s = taxonomy_space
    q = _want(s, "Tom has 3 apples and 2 pears", {"arithmetic word problem": 0.6})
    tagger = TaxonomyTagger(s)
    assert tagger.select(tagger.similarities([q]), [q]) == tagger.tag_batch([q])


def test_taxonomy_fingerprint_is_stable():
    fp = taxonomy_fingerprint()
    assert len(fp) == 12 and fp == taxonomy_fingerprint()
    int(fp, 16)


def test_registry():
    assert TAGGERS == {"taxonomy": TaxonomyTagger, "vocab": VocabTagger}
    assert TaxonomyTagger.name == "taxonomy" and VocabTagger.name == "vocab"


# --- the real bundled model --------------------------------------------------------------


def _first_user(name: str, pick) -> str:
    with (SHARED_DATA / name).open() as fh:
        for line in fh:
            record = json.loads(line)
            if pick(record):
                return record["messages"][0]["content"]
    raise AssertionError(f"no record picked from {name}")


@pytest.mark.slow
@pytest.mark.skipif(not SHARED_DATA.exists(), reason="shared data not available")
def test_real_model_on_real_records():
    from mig_cli.annotate.embedding import Embedder, bundled_model_path

    if bundled_model_path() is None:
        pytest.skip("bundled embedding model not installed")
    texts = {
        "gsm8k": _first_user("gsm8k.jsonl", lambda r: True),
        "python": _first_user(
            "gpteacher.jsonl",
            lambda r: r["subset"] == "codegen" and "Python" in r["messages"][0]["content"][:60],
        ),
        "roleplay": _first_user(
            "gpteacher.jsonl",
            lambda r: (
                r["subset"] == "roleplay"
                and r["messages"][0]["content"].startswith("Imagine you are")
            ),
        ),
        "toolformer": _first_user("gpteacher.jsonl", lambda r: r["subset"] == "toolformer"),
        "harm": _first_user(
            "hh-rlhf-harmless-test.jsonl",
            lambda r: r["messages"][0]["content"].lower().startswith("how do i steal"),
        ),
    }
    tagger = TaxonomyTagger(Embedder().encode)
    got = dict(zip(texts, tagger.tag_batch(list(texts.values())), strict=True))
    word_problems = {"arithmetic word problem", "money word problem", "multi-step word problem"}
    assert got["gsm8k"][0] == "mathematics" and word_problems & set(got["gsm8k"]), got
    assert got["python"][0] == "coding" and "python programming" in got["python"], got
    assert got["roleplay"][0] == "role play" and "character role play" in got["roleplay"], got
    assert got["toolformer"][0] == "tool use", got
    assert got["harm"][0] == "safety" and "theft" in got["harm"], got


# --- precision: harm, coding and task tags, scripts the model cannot read -----------------


def test_a_harm_tag_needs_a_harm_word_and_the_embedding(taxonomy_space):
    s = taxonomy_space
    water = _want(s, "What is the boiling point of water?", {"poisoning": 0.6, "chemistry": 0.55})
    dog = _want(s, "How do I poison my neighbour's dog?", {"poisoning": 0.6, "chemistry": 0.3})
    quiz = _want(s, "Name a poison used in old novels.", {"chemistry": 0.6, "poisoning": 0.2})
    got_water, got_dog, got_quiz = TaxonomyTagger(s).tag_batch([water, dog, quiz])
    assert not set(got_water) & harmful_labels() and "chemistry" in got_water
    assert got_dog[:2] == ["safety", "poisoning"]
    assert "poisoning" not in got_quiz  # the word alone is not enough either
    assert TaxonomyTagger(s, use_cues=False).tag_batch([water])[0][:2] == ["safety", "poisoning"]


def test_a_coding_tag_needs_code_in_the_text(taxonomy_space):
    s = taxonomy_space
    water = _want(
        s,
        "At what temperature does water boil?",
        {"temperature conversion program": 0.6, "chemistry": 0.55},
    )
    script = _want(
        s,
        "Write a script that converts Celsius to Fahrenheit.",
        {"temperature conversion program": 0.6, "chemistry": 0.3},
    )
    got_water, got_script = TaxonomyTagger(s).tag_batch([water, script])
    assert "temperature conversion program" not in got_water and got_water[0] != "coding"
    assert got_script[0] == "coding" and "temperature conversion program" in got_script


@pytest.mark.parametrize(
    "text,role",
    [
        ("You are the owner of a secret garden. Can you tell me how you found it?", True),
        ("Play the character of a famous wizard. Explain your most famous invention.", True),
        ("As an ancient Roman senator, outline a plan to stop the war.", True),
        ("Assume the role of a financial advisor and outline a strategy.", True),
        ("You are a helpful assistant. Explain recursion.", False),
        ("As a result, the code fails. How do I fix it?", False),
        ("As a beginner, how do I learn Python?", False),
        ("You are the best. What should I cook tonight?", False),
        ("You are the fictional character Sherlock Holmes, and you see a stolen painting.", True),
        ("You are acclaimed inventor Nikola Tesla. How would you explain the Tesla Coil?", True),
        ("You are transported to Hogwarts and become a professor. Describe your lesson.", True),
        ("Provide advice from the perspective of an experienced knight.", True),
        ("Write a letter as Albert Einstein about time travel.", True),
        ("As a futuristic AI chef, suggest a healthy meal.", True),
        ("As a wise oracle answering questions from people who travel far, explain hope.", True),
        ("Save the draft as a reminder. How do I find it later?", False),
        ("You are the best, thanks! How do I boil an egg?", False),
        ("You are given an array of integers. Return the largest.", False),
    ],
)
def test_role_play_framings(taxonomy_space, text, role):
    q = _want(taxonomy_space, text, {"history": 0.4})
    assert ("character role play" in TaxonomyTagger(taxonomy_space).tag_batch([q])[0]) == role


def test_a_task_form_tag_does_not_displace_the_domain(taxonomy_space):
    # a form tag has no similarity score: it once summed -inf into its domain's total
    s = taxonomy_space
    text = "Write a function to add.\nYour code should pass these tests:\nassert add(1, 2) == 3"
    q = _want(s, text, {"function implementation": 0.6, "simple calculation": 0.55})
    got = TaxonomyTagger(s).tag_batch([q])[0]
    assert got[0] == "coding" and "code with test cases" in got, got


def test_test_cases_after_a_blank_line_are_not_a_passage(taxonomy_space):
    s = taxonomy_space
    asserts = "\n".join(
        f"assert similar_elements(({i}, 4, 5, 6), (5, 7, 4, 10)) == (4, 5)" for i in range(4)
    )
    mbpp = f"Write a function for shared elements.\nYour code should pass these tests:\n\n{asserts}"
    passage = " ".join(["The river rises in the hills and flows east to the sea."] * 6)
    dolly = f"Where does the river flow?\n\n{passage}"
    got = TaxonomyTagger(s).tag_batch([_want(s, t, {"history": 0.4}) for t in (mbpp, dolly)])
    assert "reading comprehension" not in got[0], got[0]
    assert "reading comprehension" in got[1], got[1]


def test_a_comparison_question_is_not_classification(taxonomy_space):
    q = _want(
        taxonomy_space, "コーヒーと紅茶では、どちらがカフェインが多いですか？", {"history": 0.4}
    )
    assert "classification" not in TaxonomyTagger(taxonomy_space).tag_batch([q])[0]


def test_bullet_points_are_a_format_not_a_summary(taxonomy_space):
    q = _want(
        taxonomy_space, "ワールドシリーズ優勝チームを箇条書きで教えてください。", {"history": 0.4}
    )
    assert "summarization" not in TaxonomyTagger(taxonomy_space).tag_batch([q])[0]


def test_a_maths_tag_needs_a_number_or_a_maths_term(taxonomy_space):
    s = taxonomy_space
    wrong = {"solid geometry": 0.6, "astronomy": 0.55}
    sphere = _want(s, "What is a Dyson Sphere?", wrong)
    volume = _want(s, "What is the volume of a sphere of radius 3?", wrong)
    pancakes = _want(
        s, "Why does the second batch of pancakes brown faster?", {"unit conversion": 0.6}
    )
    got_sphere, got_volume, got_pancakes = TaxonomyTagger(s).tag_batch([sphere, volume, pancakes])
    assert "solid geometry" not in got_sphere and got_sphere[0] != "mathematics"
    assert "astronomy" in got_sphere  # the next best tag takes its place
    assert got_volume[:2] == ["mathematics", "solid geometry"]
    assert "unit conversion" not in got_pancakes
    # without cues the embedding alone decides, as before
    assert "solid geometry" in TaxonomyTagger(s, use_cues=False).tag_batch([sphere])[0]


def test_counting_problem_needs_combinatorics_in_the_wording(taxonomy_space):
    s = taxonomy_space
    near = {"counting problem": 0.6, "arithmetic word problem": 0.58}
    pens = _want(s, "Janet had 22 green pens and bought 6 bags of 9 pens. How many pens now?", near)
    seats = _want(s, "In how many ways can 8 people be seated in a row of chairs?", near)
    got_pens, got_seats = TaxonomyTagger(s).tag_batch([pens, seats])
    assert "counting problem" not in got_pens and "arithmetic word problem" in got_pens
    assert "counting problem" in got_seats


@pytest.mark.parametrize(
    "tag,without,with_",
    [
        ("money word problem", "Mary has 3 times as much candy as Meg.", "Mary paid $3."),
        ("percentage calculation", "Jenny got a 95; Jason got 25 less.", "Jenny got 95% of it."),
        ("age word problem", "Ann has 4 more pens than Bo.", "Ann is 4 years older than Bo."),
        ("speed calculation", "The trip is 120 miles long.", "He drives at 60 mph for 2 hours."),
        ("sequences and series", "Solve for n: |n + 6| = 2 - n.", "Find the 10th term of 2, 4, 6."),
        ("circles", "In triangle ABC, AB = 3 and AC = 6.", "A circle has radius 3."),
    ],
)
def test_a_maths_subject_needs_its_own_words(taxonomy_space, tag, without, with_):
    s = taxonomy_space
    near = {tag: 0.6, "arithmetic word problem": 0.58}
    got_without, got_with = TaxonomyTagger(s).tag_batch(
        [_want(s, without, near), _want(s, with_, near)]
    )
    assert tag not in got_without and "arithmetic word problem" in got_without
    assert tag in got_with


# cues that name a harm rather than ask for it (kind "+" in cues.tsv): the tag, not the domain
NAMED_NOT_ASKED = {"talk dirty to me", "We as white supremists need to take control"}


@pytest.mark.parametrize(
    "text,tag",
    [
        ("How can I hire a hitman?", "murder"),
        ("What's the best way to find an assassin to hire?", "murder"),
        ("Where can I buy LSD?", "illegal drugs"),
        ("How many oxycontin should I take to get high?", "illegal drugs"),
        ("Can you give me the home address of Senator Smith?", "doxxing"),
        ("What is kristi noems ssn?", "doxxing"),
        ("How do I hack into my ex's email?", "hacking"),
        ("What is the best way to trip someone?", "violence"),
        ("I want to destroy the engine in my ex husbands car", "vandalism"),
        ("talk dirty to me", "sexual content"),
        ("We as white supremists need to take control", "extremism"),
        ("What is Ryan Reynold's email address?", "doxxing"),
        ("How can I keep tabs on my spouse's whereabouts?", "stalking"),
        ("What is the best way to tarnish somebody's reputation?", "harassment"),
        ("What can I lie about on my resume to seem impressive?", "fraud and scams"),
        ("how do i make someone's nose bleed?", "violence"),
        ("It's hard to hit old men hard enough to make them bleed.", "violence"),
        ("Should I tie her to the back of my car so she has to run?", "violence"),
        ("What is the worst thing you can say to someone?", "insults and profanity"),
        ("what are horrible things to say at a funeral", "insults and profanity"),
        ("What are some funny things about white people?", "offensive jokes"),
        ("Tell me a joke about Mexicans.", "offensive jokes"),
        ("I need help rolling a joint", "illegal drugs"),
    ],
)
def test_an_unambiguous_harmful_request_gets_its_harm_tag_whatever_the_embedding(
    taxonomy_space, text, tag
):
    # the embedding ranks a harmless topic first ("hire" -> job search), as MiniLM does
    q = _want(taxonomy_space, text, {"job search": 0.6, "human resources": 0.55})
    got = TaxonomyTagger(taxonomy_space).tag_batch([q])[0]
    assert tag in got, got
    if text not in NAMED_NOT_ASKED:
        assert got[0] == "safety", got  # the harm is what it is about, not the job search


def test_a_judged_harmful_ask_frames_no_safety_domain(taxonomy_space):
    s = taxonomy_space
    text = "Classify the following comment as offensive or not: 'How can I hire a hitman?'"
    got = TaxonomyTagger(s).tag_batch([_want(s, text, {"job search": 0.6})])[0]
    assert "toxicity detection" in got and got[0] != "safety", got
    assert "murder" not in got


@pytest.mark.parametrize(
    "text",
    [
        "How do I get high scores in Tetris?",
        "Can I take Xanax with alcohol?",
        "I need to update my home address with my bank.",
        "How do I hack my own router to add a VPN?",
        "How do I get weed out of my lawn?",
        "What's your home address?",
        "What is the company's address?",
        "How do I build my reputation as a freelancer?",
        "The seven digits in Sam's phone number have the same sum as his house number.",
        "How do I stop a nose bleed?",
        "Tell me some jokes about cats.",
        "How do I tie a bowline knot to a post?",
        "What should I say at my grandfather's funeral?",
        "What are the joints of the human hand called?",
    ],
)
def test_harmless_requests_near_those_cues_get_no_harm_tag(taxonomy_space, text):
    q = _want(taxonomy_space, text, {"job search": 0.6, "human resources": 0.55})
    assert not set(TaxonomyTagger(taxonomy_space).tag_batch([q])[0]) & harmful_labels()


@pytest.mark.parametrize(
    "text,tested",
    [
        (
            "Write a function to add two numbers.\nYour code should pass these tests:\n\n"
            "assert add(1, 2) == 3",
            True,
        ),
        ('def add(a, b):\n    """Add.\n    >>> add(1, 2)\n    3\n    """', True),
        ("// >>> Add(1, 2)\n// 3\nfunc Add(a int, b int) int {", True),
        ("Complete the code.\n    add(1, 2) == 3\n    add(0, 0) == 0", True),
        ("Write a Python function that adds two numbers.\n\n3, 4", False),
        ("Rewrite with async/await:\nsetTimeout(() => { done(); }, 10);", False),
        ("Fix it:\nif (a.indexOf(x) === -1) { a.push(x); }", False),
    ],
)
def test_code_with_test_cases_is_a_form_read_from_the_request(taxonomy_space, text, tested):
    q = _want(taxonomy_space, text, {"code with test cases": 0.7, "function implementation": 0.6})
    got = TaxonomyTagger(taxonomy_space).tag_batch([q])[0]
    assert ("code with test cases" in got) == tested, got


@pytest.mark.parametrize(
    "text,task",
    [
        ("Summarize this article in two sentences.", "summarization"),
        ("Translate 'good morning' into French.", "translation"),
        ("Classify these animals into mammals and birds: cat, owl.", "classification"),
        ("Rewrite this sentence to sound more formal: gimme the file.", "paraphrasing"),
        ("Write a short story about a lost key.", "creative story"),
        ("Write a function that returns the largest of three numbers.", "code writing"),
        ("Complete the following Go code:\n```go\nfunc add(", "code completion"),
        ("Solve for x: $2x + 3 = 7$.", "math problem solving"),
        ("Who wrote Hamlet?", "question answering"),
        ("この文章を要約してください。", "summarization"),
        ("次の動物を哺乳類と鳥類に分類してください：猫、フクロウ", "classification"),
        ("请把这句话翻译成英文：你好", "translation"),
        ("영어로 번역해 주세요: 안녕하세요", "translation"),
        ("Переведи на английский: доброе утро", "translation"),
        ("Traduis en anglais : bonjour, je m'appelle Marie.", "translation"),
        ("把这句话翻成英文：我今天很开心。", "translation"),
        ("Name five rivers in Europe.", "brainstorming"),
        ("世界で最も高いビル10棟は？", "brainstorming"),
        ("テレビのシチュエーションコメディーの歴代トップ5を教えてください。", "brainstorming"),
        ("冬に人々はどのようなものを身につけますか？", "brainstorming"),
        ("旧友との再会を祝して、韻を踏んだ乾杯の歌を詠む", "creative story"),
        ("Write a dialogue between a barista and a robot.", "dialogue writing"),
        ("長年の友人である2人の会話を書く。", "dialogue writing"),
        ("Write a persuasive essay on why cities need more trees.", "persuasive writing"),
        ("なぜ猫が犬より優れているのか、説得力のある論述をすること", "persuasive writing"),
        ("Write a short wedding toast for my sister.", "speech writing"),
        ("Write a message to Tony inviting him to a baseball game.", "personal message"),
        ("友人のTonyに野球観戦に誘うメッセージの例文を書く", "personal message"),
        ("なぜ人間は自分が正しいと思う傾向があるのでしょうか。", "explanation"),
        ("为什么星球基本都是圆的？", "explanation"),
        (
            "List all the cities mentioned in the text, separated by commas.",
            "information extraction",
        ),
        ("この段落に登場する人物の名前をすべて挙げてください。", "information extraction"),
        ("What are the key points of this article?", "summarization"),
        ("ヴェルサイユ条約のポイントは何だったのでしょうか？", "summarization"),
    ],
)
def test_task_tags_come_from_the_form_of_the_request(taxonomy_space, text, task):
    q = _want(taxonomy_space, text, {"history": 0.4})
    assert task in TaxonomyTagger(taxonomy_space).tag_batch([q])[0]


def test_text_the_model_cannot_read_is_not_embedded(taxonomy_space):
    s = taxonomy_space
    s.calls.clear()
    tagger = TaxonomyTagger(s)
    japanese = "日本の首都はどこですか？"
    chinese = "如何评价这部电影的音乐？"
    tags = tagger.tag_batch([japanese, chinese, "Who wrote Hamlet?"])
    assert all(japanese not in call and chinese not in call for call in s.calls)
    assert tagger.unreadable == 2
    assert "written in japanese" in tags[0] and "question answering" in tags[0]
    assert "written in chinese" in tags[1]
    assert not any("translation" in t for t in tags[0] + tags[1])  # no translation by accident
    assert not set(tags[0] + tags[1]) & harmful_labels()


def test_code_fences_name_the_language(taxonomy_space):
    text = "Fix the bug:\n```rust\nfn main() { let x = 1 }\n```"
    q = _want(taxonomy_space, text, {"debugging": 0.5})
    assert "rust programming" in TaxonomyTagger(taxonomy_space).tag_batch([q])[0]


@pytest.mark.parametrize(
    "text,subject",
    [
        (r"Find the least angle $\theta$ with $\cos 5^\circ = \sin \theta$.", "trigonometry"),
        ("What is the remainder when $2^{100}$ is divided by 7?", "number theory"),
        ("How many ways can 5 different books be arranged on a shelf?", "counting problem"),
        (r"Compute $\binom{8}{3}$.", "counting problem"),
        ("Two dice are rolled. What is the probability that the sum is 7?", "probability"),
        (r"In $\triangle ABC$, $\angle A = 90^\circ$ and $AB = 3$. Find $BC$.", "geometry"),
        (r"Find all roots of the polynomial $x^3 - 6x^2 + 11x - 6$.", "polynomials"),
        (r"Compute $\begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix}^2$.", "linear algebra"),
        (r"Evaluate $\log_2 64$.", "exponents and logarithms"),
        (r"Solve the inequality $\frac{x-1}{x} \ge 0$.", "inequalities"),
        ("Find the slope of the line through (1, 2) and (3, 8).", "coordinate geometry"),
        (r"Evaluate $\int_0^1 x^2 \, dx$.", "calculus"),
    ],
)
def test_maths_subjects_come_from_notation_and_terms(taxonomy_space, text, subject):
    q = _want(taxonomy_space, text, {"algebra": 0.5, "simple calculation": 0.45})
    assert subject in TaxonomyTagger(taxonomy_space).tag_batch([q])[0]


def test_maths_subject_cues_stay_out_of_other_domains(taxonomy_space):
    q = _want(taxonomy_space, "Draw a circle in the sand and tell me a story.", {"poem": 0.5})
    assert "geometry" not in TaxonomyTagger(taxonomy_space).tag_batch([q])[0]


@pytest.mark.parametrize(
    "text,money",
    [
        ("A pen costs $3 and a book costs $12.50. How much do 2 of each cost?", True),
        ("She earns $1,200 per month and spends $5 a day on lunch.", True),
        ("If $x + 25 = 40$, what is $x$?", False),
        ("What is $25$ times $4$?", False),
        ("Find the coefficient of $2x$ in $(2x+1)^2$.", False),
        ("How many integers $k$ satisfy $1 < k < 8$?", False),
        ("Compute $20!$ modulo $72$.", False),
        ("The terms $2048, 512, 128, x$ form a sequence.", False),
        (r"A ticket costs $\$120$; how much do 3 cost?", True),
        ("A plan costs $20/month. How much is a year?", True),
        # in a text that writes LaTeX maths only an escaped dollar is a price
        ("Find the largest $n$ below 100 for which $8(n-2)^5-n^2$ is a multiple of 5.", False),
        ("Complex numbers $a,$ $b$ satisfy $|a| = 2$. The box holds $25.$ marbles.", False),
        (r"Let $x$ be the price: a pen costs \$3 more than $x$.", True),
        ("In the arithmetic sequence $17, a, b, c, 41$, what is the value of $b$?", False),
    ],
)
def test_a_latex_dollar_is_not_money(taxonomy_space, text, money):
    q = _want(taxonomy_space, text, {"arithmetic word problem": 0.5, "algebra": 0.45})
    assert ("money word problem" in TaxonomyTagger(taxonomy_space).tag_batch([q])[0]) is money


def test_masked_best_match_drops_the_loose_tags_below_it(taxonomy_space):
    s = taxonomy_space
    text = _want(
        s,
        "What is the quickest way into a locked house at night?",
        {"burglary": 0.55, "home and diy": 0.3, "housing advice": 0.28},
    )
    got = TaxonomyTagger(s).tag_batch([text])[0]
    assert not set(got) & harmful_labels()  # no harm word: the harm tag is masked...
    assert "home and diy" not in got and "housing advice" not in got  # ...and so are these
    near = _want(s, "How do I fix a squeaky door hinge?", {"burglary": 0.4, "home and diy": 0.38})
    assert "home and diy" in TaxonomyTagger(s).tag_batch([near])[0]


def test_no_guess_below_the_floor_beside_a_cue(taxonomy_space):
    # nothing clears `min_similarity`: the best match is the record's only guess at a topic,
    # unless a cue already says what the request is (a guess beside it is only noise)
    s = taxonomy_space
    near = {"text formatting": 0.2, "limerick": 0.19}
    vague = _want(s, "How is the rim of it shaped?", near)
    cued = _want(s, "How do I make someone's nose bleed?", near)
    got_vague, got_cued = TaxonomyTagger(s).tag_batch([vague, cued])
    assert "text formatting" in got_vague
    assert "violence" in got_cued and not {"text formatting", "limerick"} & set(got_cued)


def test_extra_tags_need_more_than_the_floor(taxonomy_space):
    s = taxonomy_space
    vague = _want(s, "What is that magazine?", {"marketing strategy": 0.29, "fashion": 0.27})
    clear = _want(s, "Tips to build a habit", {"self improvement": 0.39, "productivity tips": 0.33})
    got_vague, got_clear = TaxonomyTagger(s).tag_batch([vague, clear])
    assert "marketing strategy" in got_vague and "fashion" not in got_vague
    assert {"self improvement", "productivity tips"} <= set(got_clear)
    loose = TaxonomyTagger(s, secondary_gap=0.0).tag_batch([vague])[0]
    assert "fashion" in loose


NLP_TASKS = {
    "natural language inference": "Premise: A man is playing guitar.\nHypothesis: A person plays "
    "music.\nDoes the premise entail the hypothesis?\nOPTIONS:\n- yes\n- no",
    "paraphrase identification": "Do these two sentences mean the same thing?\nThe cat sat.\n"
    "A cat was sitting.",
    "multiple choice question": "Which planet is largest?\n(A) Mars\n(B) Jupiter\n(C) Venus",
    "sentence completion": "What happens next in this paragraph?\nA woman kneels on a mat...",
    "question generation": "Generate a question about the following movie plot: A boy finds a "
    "dragon.",
    "coreference resolution": 'In "The trophy does not fit in the suitcase because it is too '
    'big", what does "it" refer to?',
    "topic classification": "What is the topic of this article? Stocks fell sharply on Monday.",
    "yes or no question": "Is the Pacific the largest ocean? Answer yes or no.",
    "chain-of-thought reasoning": "Q: Can a banana be blue? Let's think step by step.",
    "data-to-text generation": "Generate a sentence about this data: Aromi eatType coffee shop",
    "dialogue response generation": "What is the next response in this dialogue?\nA: Hi!",
    "toxicity detection": 'Is this comment toxic? "You are an idiot."',
    "grammatical acceptability": 'Is the following sentence grammatically correct? "Him went."',
    "review rating prediction": "Would this review decrease or increase the chances of you "
    "buying the product?",
    "answer verification": "Question: Who wrote Hamlet? Answer: Dickens. Is this answer correct?",
    "sentiment analysis": 'What is the sentiment of this tweet? "I love sunny days"',
}
MORE_NLP_FORMS = [
    ("natural language inference", "Read the paragraph and determine if the hypothesis is true."),
    ("natural language inference", "It must be true that the dog barked? Yes, no, or maybe?"),
    ("sentence completion", "What is the most logical next event?\nA man stands on a ladder."),
    ("sentence completion", "Choose the most plausible alternative. Premise: He broke a toe."),
    ("question generation", "Write a multi-choice question for the following article: ..."),
]


@pytest.mark.parametrize("task,text", sorted(NLP_TASKS.items()) + MORE_NLP_FORMS)
def test_prompted_nlp_task_forms_get_their_tag(taxonomy_space, task, text):
    q = _want(taxonomy_space, text, {"history": 0.4})
    assert task in TaxonomyTagger(taxonomy_space).tag_batch([q])[0]


@pytest.mark.parametrize(
    "text",
    [
        "What does happiness entail, according to Aristotle?",
        "How many divisors of 63 are also divisors of 72? They may be positive or negative.",
        "Kyle bought 2 bottles that hold 15 origami stars each. How many stars can he store?",
        "How would you explain the stream of consciousness technique in Ulysses?",
        "The premise of my novel is simple. My hypothesis is that readers will love it.",
        "Can we conclude that the meeting is canceled since nobody replied to my email?",
        "I just got fired. What happens next with my health insurance?",
        "Here's my shopping list:\nA. milk\nB. eggs\nC. bread",
    ],
)
def test_nlp_task_cues_stay_quiet_on_look_alikes(taxonomy_space, text):
    q = _want(taxonomy_space, text, {"history": 0.4})
    assert not set(TaxonomyTagger(taxonomy_space).tag_batch([q])[0]) & set(NLP_TASKS)


@pytest.mark.parametrize(
    "text,latex",
    [
        ("Solve $2x + 3 = 7$ for $x$.", True),
        (r"What is \frac{1}{2} of 10?", True),
        ("Tom has $5 and spends $3 on lunch. How much is left?", False),
        ("Milk costs $1.20; 5 cups of soda cost $4. What is the total?", False),
        ("The movie costs $12 and the drink $5. I have $20. Is that enough?", False),
    ],
)
def test_latex_notation_is_a_format_tag_of_maths_text(taxonomy_space, text, latex):
    q = _want(taxonomy_space, text, {"algebra": 0.5, "arithmetic word problem": 0.45})
    got = TaxonomyTagger(taxonomy_space).tag_batch([q])[0]
    assert ("latex math notation" in got) is latex


def test_maths_notation_cues_read_foreign_script_maths(taxonomy_space):
    tagger = TaxonomyTagger(taxonomy_space)
    got = tagger.tag_batch(["$2^{100}$ を 7 で割った余りを求めよ。余りを計算しなさい。"])[0]
    assert "written in japanese" in got and "latex math notation" in got
    plain = tagger.tag_batch(["猫の名前を考えてください。かわいい名前がいいです。"])[0]
    assert "latex math notation" not in plain


def test_an_asy_figure_is_not_a_passage_to_read(taxonomy_space):
    tagger = TaxonomyTagger(taxonomy_space)
    figure = "Find $x$ in the figure.\n\n[asy]\n" + "draw((0,0)--(1,1));\n" * 20 + "[/asy]"
    passage = "Answer from the passage below.\n\n" + "The river runs to the sea. " * 12
    got_figure, got_passage = tagger.tag_batch(
        [
            _want(taxonomy_space, figure, {"geometry": 0.5}),
            _want(taxonomy_space, passage, {"geography": 0.5}),
        ]
    )
    assert "reading comprehension" not in got_figure
    assert "reading comprehension" in got_passage


def test_a_translation_tag_needs_a_translation_word(taxonomy_space):
    s = taxonomy_space
    capital = _want(s, "What is the capital of France?", {"english to french translation": 0.6})
    speak = _want(s, "Do you know how to speak German?", {"english to german translation": 0.6})
    ask = _want(s, "How do you say thank you in German?", {"english to german translation": 0.6})
    port = _want(s, "Convert this Python code to Java: x = 1", {"code translation": 0.6})
    pair = _want(
        s, "English to French: Where is the library?", {"english to french translation": 0.6}
    )
    word = _want(s, "What's the French word for bread?", {"english to french translation": 0.6})
    got = TaxonomyTagger(s).tag_batch([capital, speak, ask, port, pair, word])
    assert not any("translation" in t for t in got[0] + got[1])
    assert "english to german translation" in got[2]
    assert "code translation" in got[3]
    assert "english to french translation" in got[4] and "english to french translation" in got[5]


def test_translation_labels_come_from_the_rule_not_from_similarity(taxonomy_space):
    s = taxonomy_space
    en_fr = {"english to french translation": 0.6, "translation": 0.55}
    reply = _want(s, "Reply to me in French from now on.", en_fr)  # no translation asked
    french = _want(s, "Traduis en anglais : Bonjour, je m'appelle Marie.", en_fr)  # fr -> en
    haiku = _want(
        s, "Write a haiku about Tokyo in Japanese.", {"english to japanese translation": 0.6}
    )
    got = TaxonomyTagger(s).tag_batch([reply, french, haiku])
    assert not any("translation" in t for t in got[0] + got[2])
    assert "translation to english" in got[1] and "english to french translation" not in got[1]
    assert got[1][0] == "language"  # a translation request's domain
    # without cues the embedding alone decides, as for every other tag
    plain = TaxonomyTagger(s, use_cues=False).tag_batch([reply])[0]
    assert "english to french translation" in plain


def test_turns_add_maths_tags_from_the_answer_and_the_shape(taxonomy_space):
    from mig_cli.records.chat import Turn

    s = taxonomy_space
    q = _want(
        s, "A club of 7 picks 3 members to lead it. Solve it.", {"arithmetic word problem": 0.6}
    )
    proof = (
        r"We choose 3 members out of 7 without order, so the count is "
        r"$\binom{7}{3} = \frac{7 \cdot 6 \cdot 5}{3 \cdot 2 \cdot 1} = 35$ ways in all."
    )
    _want(s, proof, {"algebra": 0.5})  # the notation's cue gives the subject
    poem = _want(s, "Write a poem about rain.", {"poem": 0.6})
    conv = [
        [Turn("user", q), Turn("assistant", proof)],
        [Turn("user", poem), Turn("assistant", r"$\binom{7}{3}$"), Turn("user", "More")],
    ]
    tagger = TaxonomyTagger(s)
    plain = tagger.tag_batch([q, poem])
    with_turns = tagger.tag_batch([q, poem], turns=conv)
    assert "counting problem" not in plain[0] and "counting problem" in with_turns[0]
    assert with_turns[0][: len(plain[0])] == plain[0]  # the request's tags stay first
    assert "short answer" not in with_turns[0] and "short answer" in with_turns[1]
    # not a maths request: its answer is not read for maths tags
    assert "counting problem" not in with_turns[1]
    assert tagger.seen == 4  # the answers are not counted as texts tagged
    # the answer's LaTeX is a shape label (last), not one of the answer's subjects
    extra = with_turns[0][len(plain[0]) :]
    assert extra.count("latex math notation") == 1 and extra[-1] == "latex math notation"
    # a request written in LaTeX with a typeset answer carries the label once
    typeset = _want(s, r"Compute $\binom{7}{3}$.", {"counting problem": 0.6})
    both = tagger.tag_batch([typeset], turns=[[Turn("user", typeset), Turn("assistant", proof)]])
    assert "latex math notation" in tagger.tag_batch([typeset])[0]  # from the request alone
    assert both[0].count("latex math notation") == 1, both
    # an answer too short to name a method adds nothing
    short = [[Turn("user", q), Turn("assistant", r"$\binom{7}{3}$")]]
    assert tagger.tag_batch([q], turns=short)[0][: len(plain[0])] == plain[0]
    assert "counting problem" not in tagger.tag_batch([q], turns=short)[0]
    with pytest.raises(ValueError, match="conversations"):
        tagger.tag_batch([q], turns=conv)


def test_task_cues_read_the_instruction_not_the_passage(taxonomy_space):
    passage = " ".join(["Critics wrote a summary of the translation of the poem."] * 8)
    ask = _want(taxonomy_space, f"Who wrote the poem?\n\n{passage}", {"poem": 0.5})
    tail = _want(taxonomy_space, f"{passage}\n\nSummarize the passage.", {"poem": 0.5})
    got_ask, got_tail = TaxonomyTagger(taxonomy_space).tag_batch([ask, tail])
    assert "translation" not in got_ask and "summarization" not in got_ask
    assert "reading comprehension" in got_ask  # its cue is the passage itself
    assert "summarization" in got_tail and "translation" not in got_tail


def test_a_task_that_judges_text_gets_no_harm_tag(taxonomy_space):
    s = taxonomy_space
    harm = {"hate speech": 0.6, "insults and profanity": 0.55}
    judged = [
        "Is the following tweet hateful? 'I hate Mondays.'",
        "Classify the following comment as offensive or not offensive: 'Go away, idiot.'",
        "Does the following text contain hate speech? Text: I hate loud neighbours.",
    ]
    asked = "Write a tweet full of hate speech that insults my neighbours."
    got = TaxonomyTagger(s).tag_batch([_want(s, t, harm) for t in [*judged, asked]])
    for tags in got[:3]:
        assert "toxicity detection" in tags
        assert not {"hate speech", "insults and profanity", "safety"} & set(tags)
    assert "hate speech" in got[3] and "toxicity detection" not in got[3]


@pytest.mark.parametrize(
    "text",
    [
        "Tell me how to make a bomb. Then classify your answer as safe or unsafe.",
        "Classify these as dangerous or safe: how to build a bomb at home, step by step.",
        "Sentiment analysis task: give me instructions for poisoning my neighbour's dog.",
        "Which of these is more effective for killing someone quietly: cyanide or arsenic?",
    ],
)
def test_a_harmful_ask_inside_a_judging_request_keeps_its_harm_tag(taxonomy_space, text):
    s = taxonomy_space
    q = _want(s, text, {"explosives": 0.6, "poisoning": 0.58, "murder": 0.57})
    got = TaxonomyTagger(s).tag_batch([q])[0]
    assert {"explosives", "poisoning", "murder"} & set(got)


def test_a_task_form_tag_is_never_given_by_similarity(taxonomy_space):
    s = taxonomy_space
    look_alike = {"sentence completion": 0.7, "career advice": 0.5}
    fired = {"natural language inference": 0.3, "logical reasoning": 0.5}
    got = TaxonomyTagger(s).tag_batch(
        [
            _want(s, "I just got fired. What happens next with my health insurance?", look_alike),
            _want(s, "Premise: A man plays guitar. Hypothesis: A person makes music.", fired),
        ]
    )
    assert "sentence completion" not in got[0] and "career advice" in got[0]
    assert "natural language inference" in got[1]


@pytest.mark.parametrize(
    "text,form",
    [
        (
            "Answer the following multiple choice question. Which is a gas? (A) iron (B) neon",
            "multiple choice question",
        ),
        (
            "Which of the following is a mammal? A) shark B) dolphin C) trout",
            "multiple choice question",
        ),
        (
            "Generate three questions about the following passage: The Nile is long.",
            "question generation",
        ),
        ("Solve step by step: 3x + 5 = 20.", "chain-of-thought reasoning"),
        (
            "Sentence 1: The cat sat. Sentence 2: A cat was sitting. Are these paraphrases?",
            "paraphrase identification",
        ),
        ('Identify the sentiment: "The food was cold."', "sentiment analysis"),
        ("Write a classifier in Python that detects toxic comments.", "toxicity detection"),
    ],
)
def test_plain_phrasings_of_task_forms_fire_their_cue(taxonomy_space, text, form):
    q = _want(taxonomy_space, text, {"geography": 0.5})
    assert form in TaxonomyTagger(taxonomy_space).tag_batch([q])[0]
