"""The record shapes that SFT / preference tools publish: each is read with its answer."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mig_cli.records.chat import SHAPES, ChatShapeError, Turn, conversation, find_shape
from mig_cli.records.chat_text import has_answer

U, A, S = "user", "assistant", "system"
README = Path(__file__).resolve().parents[2] / "README.md"

DOLLY = {
    "instruction": "Name three primary colours.",
    "context": "",
    "response": "Red, yellow and blue.",
}
LLAMA_FACTORY_PARTS = {
    "messages": [
        {"role": "user", "content": [{"type": "text", "value": "Summarise this paragraph ..."}]},
        {"role": "assistant", "content": [{"type": "text", "value": "The paragraph says ..."}]},
    ]
}

CASES = [
    ("dolly", DOLLY, [Turn(U, DOLLY["instruction"]), Turn(A, "Red, yellow and blue.")]),
    (
        "dolly with context",
        {"instruction": "Who?", "context": "Ada wrote it.", "response": "Ada"},
        [Turn(U, "Who?\n\nAda wrote it."), Turn(A, "Ada")],
    ),
    (
        "llama-factory content parts with value",
        LLAMA_FACTORY_PARTS,
        [Turn(U, "Summarise this paragraph ..."), Turn(A, "The paragraph says ...")],
    ),
    (
        "openai content parts with text, images left out",
        {
            "messages": [
                {"role": "system", "content": "Be brief."},
                {
                    "role": "user",
                    "content": [
                        {"type": "image_url", "image_url": {"url": "x.png"}},
                        {"type": "text", "text": "What is this?"},
                    ],
                },
                {"role": "assistant", "content": "A cat."},
            ]
        },
        [Turn(S, "Be brief."), Turn(U, "What is this?"), Turn(A, "A cat.")],
    ),
    (
        "sharegpt with a top-level system",
        {
            "system": "You are a tutor.",
            "conversations": [{"from": "human", "value": "q"}, {"from": "gpt", "value": "a"}],
        },
        [Turn(S, "You are a tutor."), Turn(U, "q"), Turn(A, "a")],
    ),
    (
        "alpaca with system and history, in order",
        {
            "system": "You write Python.",
            "history": [["Write a loop.", "for i in range(3): pass"], ["Now in reverse.", "r"]],
            "instruction": "Add a docstring.",
            "input": "",
            "output": "def f():\n    '''doc'''",
        },
        [
            Turn(S, "You write Python."),
            Turn(U, "Write a loop."),
            Turn(A, "for i in range(3): pass"),
            Turn(U, "Now in reverse."),
            Turn(A, "r"),
            Turn(U, "Add a docstring."),
            Turn(A, "def f():\n    '''doc'''"),
        ],
    ),
    (
        "openorca system_prompt/question/response",
        {"id": "flan.1", "system_prompt": "Think.", "question": "2+2?", "response": "4"},
        [Turn(S, "Think."), Turn(U, "2+2?"), Turn(A, "4")],
    ),
    ("prompt/completion", {"prompt": "p", "completion": "c"}, [Turn(U, "p"), Turn(A, "c")]),
    ("prompt/output", {"prompt": "p", "output": "o"}, [Turn(U, "p"), Turn(A, "o")]),
    (
        "preference, strings",
        {"prompt": "p", "chosen": "good", "rejected": "bad"},
        [Turn(U, "p"), Turn(A, "good")],
    ),
    (
        "preference, message lists holding the prompt (UltraFeedback binarized)",
        {
            "prompt": "p",
            "chosen": [{"role": "user", "content": "p"}, {"role": "assistant", "content": "good"}],
            "rejected": [{"role": "user", "content": "p"}, {"role": "assistant", "content": "b"}],
        },
        [Turn(U, "p"), Turn(A, "good")],
    ),
    (
        "preference, chosen list without the prompt",
        {"prompt": "p", "chosen": [{"role": "assistant", "content": "good"}], "rejected": []},
        [Turn(U, "p"), Turn(A, "good")],
    ),
    (
        "preference, HH-RLHF transcript",
        {
            "chosen": "\n\nHuman: Hi there\n\nAssistant: Hello!\n\nHuman: Bye\n\nAssistant: Bye!",
            "rejected": "\n\nHuman: Hi there\n\nAssistant: Go away.",
        },
        [Turn(U, "Hi there"), Turn(A, "Hello!"), Turn(U, "Bye"), Turn(A, "Bye!")],
    ),
    (
        "preference, llama-factory sharegpt (chosen is one message)",
        {
            "conversations": [{"from": "human", "value": "q"}],
            "chosen": {"from": "gpt", "value": "good"},
            "rejected": {"from": "gpt", "value": "bad"},
        },
        [Turn(U, "q"), Turn(A, "good")],
    ),
    ("problem/solution", {"problem": "1+1", "solution": "2"}, [Turn(U, "1+1"), Turn(A, "2")]),
    ("input/output", {"input": "in", "output": "out"}, [Turn(U, "in"), Turn(A, "out")]),
    (
        "guanaco text transcript",
        {"text": "### Human: Tell a joke.### Assistant: No."},
        [Turn(U, "Tell a joke."), Turn(A, "No.")],
    ),
]


@pytest.mark.parametrize("name,record,turns", CASES, ids=[c[0] for c in CASES])
def test_shape_is_read_with_its_answer(name, record, turns):
    assert conversation(record) == turns
    assert has_answer(turns)


def test_answer_field_replaces_the_answer():
    record = {"q": "Why?", "best": {"text": "Because."}, "reply": [{"role": "bot", "content": "x"}]}
    assert conversation(record, "q", "best.text") == [Turn(U, "Why?"), Turn(A, "Because.")]
    assert conversation(record, "q", "reply") == [Turn(U, "Why?"), Turn(A, "x")]
    # the shape's own answer is replaced, earlier turns are kept
    assert conversation({"prompt": "p", "response": "r", "alt": "z"}, None, "alt") == [
        Turn(U, "p"),
        Turn(A, "z"),
    ]
    with pytest.raises(ChatShapeError, match="answer field 'nope' not found"):
        conversation({"prompt": "p"}, None, "nope")


def test_history_must_be_pairs():
    with pytest.raises(ChatShapeError, match=r"history\[0\]"):
        conversation({"instruction": "i", "history": [["only one"]], "output": "o"})


def test_a_bare_text_field_is_not_a_shape():
    assert find_shape({"text": "just prose"}) is None
    assert conversation({"text": "plain"}, "text") == [Turn(U, "plain")]


def test_readme_lists_every_shape():
    """The README table of recognised shapes names every shape of the registry."""
    text = README.read_text()
    table = text[text.index("| shape |") :].split("\n\n", 1)[0]
    names = re.findall(r"^\| ([^|]+?) \|", table, flags=re.M)[1:]
    assert names == [s.name for s in SHAPES]
