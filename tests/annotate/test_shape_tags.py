"""Conversation-shape labels: each rule on its own, on both sides of its threshold."""

from __future__ import annotations

import pytest

from mig_cli.annotate import shape_tags as st
from mig_cli.annotate.shape_tags import SHAPE_TAGS, passage_of, shape_tags
from mig_cli.records.chat import Turn


def chat(*texts: str) -> list[Turn]:
    return [Turn("user" if i % 2 == 0 else "assistant", t) for i, t in enumerate(texts)]


PASSAGE = " ".join(["The river rises in the hills and flows east to the sea."] * 8)  # ~110 tok


def test_no_answered_turn_gets_nothing():
    assert shape_tags([]) == []
    assert shape_tags(chat("Hello?")) == []
    assert shape_tags([Turn("system", "be nice"), Turn("assistant", "hi")]) == []


def test_multi_turn_needs_two_answered_user_turns():
    assert "multi-turn conversation" in shape_tags(chat("Hi", "Hello!", "How are you?", "Fine."))
    assert "multi-turn conversation" not in shape_tags(chat("Hi", "Hello!", "How are you?"))


def test_answer_length_is_language_neutral():
    assert "short answer" in shape_tags(chat("Capital of France?", "Paris."))
    long_en = "word " * 4 * st.LONG_TOKENS  # 4 characters a token outside CJK
    assert "long-form answer" in shape_tags(chat("Explain.", long_en))
    long_ja = "あ" * st.LONG_TOKENS  # one token per kana
    assert "long-form answer" in shape_tags(chat("説明して", long_ja))
    mid = "x" * 4 * (st.SHORT_TOKENS + 5)
    assert not {"short answer", "long-form answer"} & set(shape_tags(chat("Tell me.", mid)))


def test_passage_answer_or_summary():
    request = f"Who is the river named after?\n\n{PASSAGE}"
    assert "answer from a passage" in shape_tags(chat(request, "A king."))
    summary = " ".join(["The river flows east from the hills."] * 6)  # > 25% of the passage
    assert "summary of a passage" in shape_tags(chat(request, summary))


def test_a_code_block_or_a_short_context_is_not_a_passage():
    code = "\n".join(["def f(x):", "    return {'a': [x, (x + 1)]}  # (x)"] * 20)
    assert passage_of(f"Fix this function.\n\n{code}") == ""
    tags = shape_tags(chat(f"Fix this function.\n\n{code}", "Done."))
    assert not {"answer from a passage", "summary of a passage"} & set(tags)
    assert "answer from a passage" not in shape_tags(chat("Q?\n\nA short note.", "Yes."))


def test_a_cited_article_is_still_a_passage():
    # encyclopaedia prose carries reference marks; they are not code punctuation
    cited = " ".join(
        f"The river rises in the hills{m} and flows east to the sea.{n}"
        for m, n in [("[1]", "[2]"), ("[a]", "[note 3]"), ("", "[citation needed]")] * 3
    )
    assert passage_of(f"Where does the river rise?\n\n{cited}") != ""
    # the same density of real brackets is code or data, not prose
    indexed = cited.replace("[1]", "[i+1]").replace("[a]", "[k]=0").replace("[2]", "(x);")
    indexed = indexed.replace("[note 3]", "{a}").replace("[citation needed]", "[x, y]")
    assert passage_of(f"Where does the river rise?\n\n{indexed}") == ""


def test_list_answer_counts_items():
    three = "Options:\n- tea\n- coffee\n- water"
    assert "list answer" in shape_tags(chat("Drinks?", three))
    assert "list answer" in shape_tags(chat("Steps?", "1. open\n2) stir\n3. close"))
    assert "list answer" not in shape_tags(chat("Drinks?", "- tea\n- coffee"))


@pytest.mark.parametrize(
    "answer",
    [
        "1.となりのサインフェルド\n2.オフィス\n3.マッシュ",  # no space after the number
        "1）フージーズ\n2）ロッキー\n3) ミラクル",
        "美味しいナッツは、1）ピスタチオ、2）ブラジルナッツ、3）ヘーゼルナッツです。",  # inline
        "Try 1) rice, 2) beans and 3) oats.",
        "ツイッター、フェイスブック、ティックトック、スナップチャット",  # one line of items
        "The nicknames are Sporty, Ginger, Scary, Baby and Posh.",
        "ナレンドラ・モディ、マンモハン・シン、デーヴ・ゴウダ、ラジブ・ガンジー",
    ],
)
def test_lists_without_bullets_are_lists(answer):
    assert "list answer" in shape_tags(chat("Which?", answer))


@pytest.mark.parametrize(
    "answer",
    [
        "1.5 litres of water\n2.5 cups of flour\n3.5 kg of sugar",  # decimals, not items
        "Paris is the capital of France. It has 2 million people.",
        "Yes, but, as always, it depends.",  # three commas, four parts, but prose
        # Japanese prose: clauses joined by 、 are longer than items
        "時折、落ち込むのはまったく普通のことです。人生は困難であり、時には無意味に思えることも"
        "あります。そんなときは、行ったことのない近所を散歩したり、しばらく話していなかった友人と"
        "遊んだり、休暇を取って新しい場所に旅行したりするとよいでしょう。",
        # an enumeration inside a long answer does not make it a list
        "There are many kinds of bicycle. The most popular are road, mountain, gravel and "
        "commuter bikes. Each is built for a different purpose, so think about where you will "
        "ride most, how far you will go, and how much you want to spend before you buy one.",
    ],
)
def test_prose_with_commas_is_not_a_list(answer):
    assert "list answer" not in shape_tags(chat("Which?", answer))


@pytest.mark.parametrize(
    "answer,markdown",
    [
        ("## Setup\nRun it.", True),
        ("Use **two** spaces.", True),
        ("| a | b |\n|---|---|\n| 1 | 2 |", True),
        ("Use two spaces. #hashtag and 2*3*4.", False),
        ("def f(**kwargs): pass", False),
        ("merge(**a, **b)", False),
    ],
)
def test_markdown_formatting(answer, markdown):
    assert ("markdown formatting" in shape_tags(chat("How?", answer))) == markdown


@pytest.mark.parametrize(
    "answer,latex",
    [
        (r"So $x = \frac{3}{4}$, and the answer is $\boxed{3}$.", True),
        (r"The length is \( \sqrt{x^2 + y^2} \).", True),
        (r"\[ a_n = 2^n \]", True),
        ("\\begin{align*} a &= b \\\\ c &= d \\end{align*}", True),
        ("She needs 2 at $2.25 each so 2*2.25 = $<<2*2.25=4.50>>4.50\n#### 4.5", False),
        ("function f($email) { return preg_match('/^[a-z_]+$/', $email); }", False),
        ('print("Year \\(year) is\\(status ? "" : " not") a leap year")', False),
        ("sed 's/.*, *\\([0-9.]*\\)%* id.*/\\1/'", False),
        ("Typeset it as:\n```latex\n\\frac{a}{b}\n```", False),  # code is left out
    ],
)
def test_latex_formatting(answer, latex):
    assert ("latex math notation" in shape_tags(chat("Solve it.", answer))) == latex


@pytest.mark.parametrize(
    "turns",
    [
        chat("Hi", "Hello!", "Q?", "A."),
        chat("Solve.", r"We get $\frac{1}{2}$." + "\n- a\n- **b**\n- c"),
        chat(f"Q?\n\n{PASSAGE}", "x " * 400 + "\n- a\n- **b**\n- c"),
    ],
)
def test_tags_come_in_the_documented_order_and_vocabulary(turns):
    tags = shape_tags(turns)
    assert tags and set(tags) <= set(SHAPE_TAGS)
    assert tags == sorted(tags, key=SHAPE_TAGS.index)


def test_instruction_leaves_the_passages_out():
    from mig_cli.annotate.shape_tags import instruction_of

    assert instruction_of(f"Who built it?\n\n{PASSAGE}") == "Who built it?"
    assert instruction_of(f"{PASSAGE}\n\nSummarize this article.") == "Summarize this article."
    assert instruction_of(PASSAGE) == PASSAGE  # one paragraph: it is the instruction
    assert instruction_of(f"{PASSAGE}\n\n{PASSAGE}") == f"{PASSAGE}\n\n{PASSAGE}"
    code = "\n".join(["def f(x):", "    return {'a': [x, (x + 1)]}  # (x)"] * 20)
    assert instruction_of(f"Fix it.\n\n{code}") == f"Fix it.\n\n{code}"  # code is kept


@pytest.mark.parametrize(
    "answer,listed,markdown",
    [
        ("Natalia sold 48/2 = 24 clips in May.\n#### 72", False, False),  # GSM8K's final line
        ("```python\n# read the file\n# print it\nprint(open('f').read())\n```", False, False),
        ("```diff\n- x = 1\n- y = 2\n- z = 3\n+ x = 2\n```", False, False),
        ("```java\n/**\n * @param a\n * @param b\n * @return c\n */\n```", False, False),
        (">>> f(2)\n\t5.2\n\t6.2\n\t7.2", False, False),  # numbers, not items
        ("Use `{**a, **b}` or merge(**a, **b).", False, False),
        ("季節:\n・春\n・夏\n・秋", True, False),
        ("１．富士山\n２．北岳\n３．奥穂高岳", True, False),
        ("# Install\n1. download\n2. unpack\n3. run", True, True),
    ],
)
def test_code_and_numbers_are_not_lists_or_markdown(answer, listed, markdown):
    tags = shape_tags(chat("How?", answer))
    assert ("list answer" in tags) == listed
    assert ("markdown formatting" in tags) == markdown


def test_a_blank_answer_gets_no_answer_label():
    assert shape_tags(chat("Capital of Peru?", "   ")) == []
    assert shape_tags(chat("Hi", "", "Q?", "A.")) == ["multi-turn conversation"]


def test_a_summary_asked_for_is_a_summary_however_short():
    request = f"Summarize this in one sentence.\n\n{PASSAGE}"
    assert "answer from a passage" in shape_tags(chat(request, "A river flows east."))
    tags = shape_tags(chat(request, "A river flows east."), asks_summary=True)
    assert "summary of a passage" in tags and "answer from a passage" not in tags


def test_fenced_code_is_never_a_passage():
    doc = '"""' + " ".join(["Return the sum of the list of numbers given."] * 10) + '"""'
    request = f"Complete the code.\n\n```python\ndef total(xs):\n    {doc}\n```"
    assert passage_of(request) == ""


def test_a_blank_answer_is_named_as_such_when_scoring():
    from mig_cli.annotate.engine import Skipped
    from mig_cli.annotate.text import text_source

    source = text_source("first-user", None, 100_000)
    blank = {"messages": [{"role": "user", "content": "Hi?"}, {"role": "assistant", "content": ""}]}
    none = {"messages": [{"role": "user", "content": "Hi?"}]}
    got_blank, got_none = source.answered_turns(blank), source.answered_turns(none)
    assert isinstance(got_blank, Skipped) and "the assistant turn is blank" in got_blank.reason
    assert isinstance(got_none, Skipped) and "no assistant turn" in got_none.reason
