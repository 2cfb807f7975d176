"""Chat text in the usual record shapes: roles, Alpaca, prompt/response, dotted fields."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mig_cli.records.chat import ChatShapeError, Turn, conversation
from mig_cli.records.chat_text import assistant_text, select_text, turn_pairs

SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"

U, A, S = "user", "assistant", "system"


def test_messages_role_content_and_role_folding():
    record = {
        "messages": [
            {"role": "System", "content": "be nice"},
            {"role": "human", "content": "hi"},
            {"role": "GPT", "content": "hello"},
            {"role": "prompter", "content": "more"},
            {"role": "bot", "content": "sure"},
            {"role": "model", "content": "again"},
            {"role": "function", "content": "{}"},
            {"role": "narrator", "content": "odd"},
        ]
    }
    assert conversation(record) == [
        Turn(S, "be nice"),
        Turn(U, "hi"),
        Turn(A, "hello"),
        Turn(U, "more"),
        Turn(A, "sure"),
        Turn(A, "again"),
        Turn("tool", "{}"),
        Turn("narrator", "odd"),
    ]


def test_sharegpt_from_value_and_dialogs():
    sharegpt = {"conversations": [{"from": "human", "value": "q"}, {"from": "gpt", "value": "a"}]}
    assert conversation(sharegpt) == [Turn(U, "q"), Turn(A, "a")]
    dialogs = {"dialogs": [{"role": "user", "content": "x"}, {"role": "assistant", "content": "y"}]}
    assert conversation(dialogs) == [Turn(U, "x"), Turn(A, "y")]


def test_bare_string_messages_alternate_from_user():
    assert conversation({"dialogs": ["a", "b", "c"]}) == [Turn(U, "a"), Turn(A, "b"), Turn(U, "c")]


def test_content_parts_and_null_content():
    record = {
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "look"}, {"type": "image"}, "x"]},
            {"role": "assistant", "content": None},
        ]
    }
    assert conversation(record) == [Turn(U, "look\nx"), Turn(A, "")]


def test_alpaca_with_and_without_input():
    rec = {"instruction": "Sum these.", "input": "1, 2", "output": "3"}
    assert conversation(rec) == [Turn(U, "Sum these.\n\n1, 2"), Turn(A, "3")]
    rec = {"instruction": "Say hi.", "input": "  ", "output": "hi"}
    assert conversation(rec) == [Turn(U, "Say hi."), Turn(A, "hi")]
    assert conversation({"instruction": "Only a question"}) == [Turn(U, "Only a question")]


@pytest.mark.parametrize(
    "record",
    [
        {"prompt": "q", "response": "a"},
        {"prompt": "q", "completion": "a"},
        {"question": "q", "answer": "a"},
        {"query": "q", "response": "a"},
    ],
)
def test_pair_shapes(record):
    assert conversation(record) == [Turn(U, "q"), Turn(A, "a")]


def test_messages_take_precedence_and_nulls_are_skipped():
    record = {"messages": None, "conversations": [["not a message"]], "instruction": "i"}
    with pytest.raises(ChatShapeError, match=r"conversations\[0\]"):
        conversation(record)
    record = {"messages": [{"role": "user", "content": "m"}], "instruction": "i", "output": "o"}
    assert conversation(record) == [Turn(U, "m")]
    assert conversation({"messages": None, "prompt": "p"}) == [Turn(U, "p")]


def test_text_field_dotted_path_string_and_list():
    record = {"data": {"chat": [{"from": "user", "value": "deep"}], "title": "T"}, "rows": ["r0"]}
    assert conversation(record, "data.chat") == [Turn(U, "deep")]
    assert conversation(record, "data.title") == [Turn(U, "T")]
    assert conversation(record, "rows.0") == [Turn(U, "r0")]
    assert conversation(record, "data.chat.0.value") == [Turn(U, "deep")]


def test_text_field_errors():
    with pytest.raises(ChatShapeError, match="text field 'data.nope' not found"):
        conversation({"data": {}}, "data.nope")
    with pytest.raises(ChatShapeError, match="is null"):
        conversation({"t": None}, "t")
    with pytest.raises(ChatShapeError, match="holds a int"):
        conversation({"t": 3}, "t")


def test_no_chat_text_names_what_was_looked_for():
    with pytest.raises(ChatShapeError) as err:
        conversation({"text": "hello", "id": 1})
    assert str(err.value).startswith("no chat text found (looked for messages, conversations")
    assert "instruction/output" in str(err.value) and "prompt/response" in str(err.value)
    assert isinstance(err.value, ValueError)


@pytest.mark.parametrize(
    "record,needle",
    [
        ({"messages": []}, "empty list"),
        ({"messages": "hi"}, "not a list of messages"),
        ({"messages": [{"content": "x"}]}, "no 'role' or 'from'"),
        ({"messages": [{"role": "user", "content": {"a": 1}}]}, "not text"),
        ("not a dict", "not an object"),
    ],
)
def test_bad_shapes(record, needle):
    with pytest.raises(ChatShapeError, match=needle):
        conversation(record)


TURNS = [
    Turn(S, "sys"),
    Turn(U, "first"),
    Turn(A, "one"),
    Turn(U, "second"),
    Turn(A, "two"),
]


def test_select_text_modes():
    assert select_text(TURNS, "first-user") == "first"
    assert select_text(TURNS) == "first"
    assert select_text(TURNS, "all-user") == "first\n\nsecond"
    assert (
        select_text(TURNS, "all")
        == "system: sys\nuser: first\nassistant: one\nuser: second\nassistant: two"
    )
    with pytest.raises(ValueError, match="unknown text mode 'last'"):
        select_text(TURNS, "last")


def test_first_user_falls_back_when_there_is_no_user_turn():
    assert select_text([Turn(S, "s"), Turn(A, "a")], "first-user") == "a"
    assert select_text([Turn(S, "s")], "first-user") == "s"
    assert select_text([], "first-user") == ""
    assert select_text([Turn(A, "a")], "all-user") == ""


def test_turn_pairs():
    assert turn_pairs(TURNS) == [("first", "one"), ("second", "two")]
    merged = [
        Turn(A, "orphan"),
        Turn(U, "a"),
        Turn(U, "b"),
        Turn(A, "x"),
        Turn(A, "y"),
        Turn(U, "c"),
    ]
    assert turn_pairs(merged) == [("a\n\nb", "x\n\ny")]
    assert turn_pairs([Turn(U, "q")]) == []
    assert turn_pairs([Turn(U, "q"), Turn("tool", "t"), Turn(A, "a")]) == [("q", "a")]


def test_assistant_text():
    assert assistant_text(TURNS) == "one\n\ntwo"
    assert assistant_text([Turn(U, "q")]) == ""


@pytest.mark.skipif(not SHARED_DATA.exists(), reason="shared data not available")
def test_real_records_of_every_shared_file():
    for name in ("gpteacher.jsonl", "gsm8k.jsonl", "hh-rlhf-harmless-test.jsonl"):
        with (SHARED_DATA / name).open() as fh:
            for _, line in zip(range(50), fh):
                record = json.loads(line)
                turns = conversation(record)
                assert turns[0].role == "user" and turns[0].content
                assert select_text(turns) == record["messages"][0]["content"]
                assert len(turn_pairs(turns)) == sum(t.role == "user" for t in turns)
