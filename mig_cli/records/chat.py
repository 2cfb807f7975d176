"""Find the chat text in a record, whatever shape the pool uses.

`SHAPES` is an ordered registry: the first shape whose key holds a non-null value reads the
record. Each says which field is the answer (the assistant turn that `mig score` measures):

- messages: `messages` / `conversations` / `conversation` / `dialogs` / `dialog` / `dialogue`,
  each message `{role, content}` (OpenAI), `{from, value}` (ShareGPT) or a bare string; a
  top-level `system` / `system_prompt`; a `chosen` reply after the prompt (preference data).
  Answer: the assistant turns (or `chosen`).
- preference: `chosen` (`rejected` is ignored), the prompt in `prompt` / `question` /
  `instruction` / `input`, or inside `chosen` when it is a message list, or a
  `Human: ... Assistant: ...` transcript in `chosen`. Answer: `chosen`.
- instruction: Alpaca `instruction` + `input`, Dolly `instruction` + `context`; `system`;
  `history` as `[[user, assistant], ...]` (earlier turns, kept in order). Answer: `output` or
  `response`.
- prompt: `prompt` (+ `system` / `system_prompt`). Answer: `response`, `completion`, `output`
  or `answer`.
- question: OpenOrca `system_prompt` + `question`. Answer: `response`, `answer` or `output`.
- query: `query`. Answer: `response`, `answer` or `output`.
- problem: `problem` (math sets). Answer: `solution` or `answer`.
- input/output: `input`. Answer: `output` or `target`.
- transcript: `text` holding `Human:` ... `Assistant:` turns (HH-RLHF, OpenAssistant
  Guanaco). Answer: the Assistant turns.

Message content may be a string or a list of parts (`{"type": "text", "text": ...}` or
`{"type": "text", "value": ...}`, or bare strings); text parts are joined by newlines, other
parts (images) are left out. A caller-named `text_field` (a dotted path such as `data.chat`,
where integer segments index lists) replaces the search: a string there is one user turn, a
list is read as messages. A caller-named `answer_field` replaces the answer: a string is the
assistant turn; a message list gives its trailing assistant turns.

Role names are folded: user / human / prompter -> "user"; assistant / gpt / bot / model /
chatgpt -> "assistant"; system -> "system"; tool / function / function_call / observation /
ipython -> "tool"; any other role is kept lowercased. Everything here is pure: no I/O. The text
a tagger, embedder or scorer reads of the turns is picked by `chat_text`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

MESSAGE_KEYS = ("messages", "conversations", "conversation", "dialogs", "dialog", "dialogue")
SYSTEM_KEYS = ("system", "system_prompt", "system_message")

_ROLES = {
    "user": "user",
    "human": "user",
    "prompter": "user",
    "assistant": "assistant",
    "gpt": "assistant",
    "bot": "assistant",
    "model": "assistant",
    "chatgpt": "assistant",
    "system": "system",
    "tool": "tool",
    "function": "tool",
    "function_call": "tool",
    "observation": "tool",
    "ipython": "tool",
}


class ChatShapeError(ValueError):
    """A record whose chat text cannot be found; the message says why in a few words."""


@dataclass(frozen=True)
class Turn:
    """One turn of a conversation with a normalised role."""

    role: str
    content: str


@dataclass(frozen=True)
class Shape:
    """One record shape: the key that marks it, how to read it, and where its answer is."""

    name: str
    key: str
    answer: str
    read: Callable[[dict], list[Turn]]
    when: Callable[[dict], bool] | None = None  # a further test once the key is there
    label: str = ""  # how error messages name it (`instruction/output`)

    def matches(self, record: dict) -> bool:
        keys = MESSAGE_KEYS if self.key == "messages" else (self.key,)
        if not any(record.get(k) is not None for k in keys):
            return False
        return self.when is None or self.when(record)


def normalize_role(role: Any) -> str:
    """Fold the usual role spellings onto user / assistant / system / tool."""
    name = str(role).strip().lower()
    return _ROLES.get(name, name)


def conversation(
    record: dict, text_field: str | None = None, answer_field: str | None = None
) -> list[Turn]:
    """The turns of `record`, found by `SHAPES` in order or read from `text_field`.

    With `answer_field`, the answer (final assistant turns) is read from that field instead.
    Raises ChatShapeError when nothing usable is found.
    """
    if not isinstance(record, dict):
        raise ChatShapeError(f"record is a {type(record).__name__}, not an object")
    if text_field is not None:
        turns = _from_field(record, text_field)
    else:
        shape = find_shape(record)
        if shape is None:
            raise ChatShapeError(f"no chat text found (looked for {_looked_for()})")
        turns = shape.read(record)
    if answer_field is not None:
        turns = _prompt_part(turns) + _answer_from_field(record, answer_field)
    return turns


def find_shape(record: dict) -> Shape | None:
    """The first shape of `SHAPES` that matches `record`, or None."""
    for shape in SHAPES:
        if shape.matches(record):
            return shape
    return None


def _looked_for() -> str:
    keys = [*MESSAGE_KEYS]
    keys += [s.label or s.key for s in SHAPES if s.key != "messages"]
    return ", ".join(dict.fromkeys(keys))


# ----------------------------------------------------------------------------- shapes
def _system_turns(record: dict) -> list[Turn]:
    for key in SYSTEM_KEYS:
        value = record.get(key)
        if isinstance(value, str) and value.strip():
            return [Turn("system", value)]
    return []


def _read_messages(record: dict) -> list[Turn]:
    key = next(k for k in MESSAGE_KEYS if record.get(k) is not None)
    turns = _messages(record[key], key)
    if not any(t.role == "system" for t in turns):
        turns = _system_turns(record) + turns
    if record.get("chosen") is not None and not _ends_with_answer(turns):
        turns = turns + _answer_turns(record["chosen"], "chosen")
    return turns


def _read_preference(record: dict) -> list[Turn]:
    chosen = record["chosen"]
    prompt = _prompt_turns(record, ("prompt", "question", "instruction", "input", "query"))
    if isinstance(chosen, list) and chosen and not all(isinstance(x, str) for x in chosen):
        turns = _messages(chosen, "chosen")
        if not any(t.role == "user" for t in turns):
            turns = prompt + turns
        elif not any(t.role == "system" for t in turns):
            turns = [t for t in prompt if t.role == "system"] + turns
        return turns
    if isinstance(chosen, str) and not any(t.role == "user" for t in prompt):
        parsed = transcript(chosen)
        if parsed:
            return _system_turns(record) + parsed
    return prompt + _answer_turns(chosen, "chosen")


def _prompt_turns(record: dict, keys: Sequence[str]) -> list[Turn]:
    system = _system_turns(record)
    for key in keys:
        value = record.get(key)
        if value is None:
            continue
        if isinstance(value, list) and value and isinstance(value[0], dict):
            turns = _messages(value, key)
            return (system if not any(t.role == "system" for t in turns) else []) + turns
        return [*system, Turn("user", _text(value, key))]
    return system


def _fields_shape(
    name: str, key: str, extra: Sequence[str], answers: Sequence[str], history: bool = False
) -> Shape:
    def read(record: dict) -> list[Turn]:
        user = _text(record[key], key)
        for more in extra:
            text = _text(record.get(more), more)
            if text.strip():
                user = f"{user}\n\n{text}" if user else text
                break
        turns = _system_turns(record)
        if history and record.get("history") is not None:
            turns += _history(record["history"])
        turns.append(Turn("user", user))
        answer = next((k for k in answers if record.get(k) is not None), None)
        if answer is not None:
            turns.append(Turn("assistant", _text(record[answer], answer)))
        return turns

    answer = " or ".join(f"`{a}`" for a in answers)
    return Shape(name, key, answer, read, label=f"{key}/{answers[0]}")


def _history(value: Any) -> list[Turn]:
    if not isinstance(value, list):
        raise ChatShapeError(f"'history' is a {type(value).__name__}, not a list of pairs")
    turns = []
    for i, pair in enumerate(value):
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise ChatShapeError(f"'history[{i}]' is not a [user, assistant] pair")
        turns.append(Turn("user", _text(pair[0], f"history[{i}][0]")))
        turns.append(Turn("assistant", _text(pair[1], f"history[{i}][1]")))
    return turns


_MARKER = re.compile(r"(?:(?:^|\n)[ \t]*|###[ \t]*)(Human|Assistant):[ \t]?")


def transcript(text: str) -> list[Turn]:
    """Turns of a `Human: ... Assistant: ...` transcript; [] when it holds not both roles."""
    found = list(_MARKER.finditer(text))
    roles = {m.group(1) for m in found}
    if roles != {"Human", "Assistant"}:
        return []
    turns = []
    for m, nxt in zip(found, [*found[1:], None]):
        content = text[m.end() : nxt.start() if nxt else len(text)].strip()
        turns.append(Turn("user" if m.group(1) == "Human" else "assistant", content))
    return turns


def _read_transcript(record: dict) -> list[Turn]:
    return _system_turns(record) + transcript(record["text"])


SHAPES: list[Shape] = [
    Shape("messages", "messages", "the assistant turns (or `chosen`)", _read_messages),
    Shape("preference", "chosen", "`chosen`", _read_preference, label="prompt/chosen"),
    _fields_shape("instruction", "instruction", ("input", "context"), ("output", "response"), True),
    _fields_shape("prompt", "prompt", (), ("response", "completion", "output", "answer")),
    _fields_shape("question", "question", ("context",), ("response", "answer", "output")),
    _fields_shape("query", "query", (), ("response", "answer", "output")),
    _fields_shape("problem", "problem", (), ("solution", "answer")),
    _fields_shape("input/output", "input", (), ("output", "target")),
    Shape(
        "transcript",
        "text",
        "the Assistant turns",
        _read_transcript,
        lambda r: isinstance(r["text"], str) and bool(transcript(r["text"])),
        "text (Human:/Assistant:)",
    ),
]


# ----------------------------------------------------------------------------- answers
def _ends_with_answer(turns: Sequence[Turn]) -> bool:
    return bool(turns) and turns[-1].role == "assistant"


def _prompt_part(turns: list[Turn]) -> list[Turn]:
    """The turns before the final assistant turns."""
    end = len(turns)
    while end and turns[end - 1].role == "assistant":
        end -= 1
    return turns[:end]


def _answer_turns(value: Any, where: str) -> list[Turn]:
    """An answer as assistant turns: a string, a message, or a list's trailing replies."""
    if isinstance(value, dict):
        content = value.get("content", value.get("value", value.get("text")))
        return [Turn("assistant", _text(content, where))]
    if isinstance(value, list) and value and not all(isinstance(x, str) for x in value):
        turns = _messages(value, where)
        last_user = max((i for i, t in enumerate(turns) if t.role == "user"), default=-1)
        replies = [t for t in turns[last_user + 1 :] if t.role == "assistant"]
        if not replies:
            raise ChatShapeError(f"'{where}' holds no assistant turn after the last user turn")
        return replies
    return [Turn("assistant", _text(value, where))]


def _answer_from_field(record: dict, path: str) -> list[Turn]:
    value = _at_path(record, path, "answer")
    return _answer_turns(value, path)


# ----------------------------------------------------------------------------- helpers
def _at_path(record: dict, path: str, what: str) -> Any:
    value: Any = record
    for part in path.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and _is_index(part, len(value)):
            value = value[int(part)]
        else:
            raise ChatShapeError(f"{what} field '{path}' not found (no '{part}')")
    if value is None:
        raise ChatShapeError(f"{what} field '{path}' is null")
    return value


def _from_field(record: dict, path: str) -> list[Turn]:
    value = _at_path(record, path, "text")
    if isinstance(value, str):
        return [Turn("user", value)]
    if isinstance(value, list):
        return _messages(value, path)
    raise ChatShapeError(
        f"text field '{path}' holds a {type(value).__name__}, not a string or a message list"
    )


def _is_index(part: str, size: int) -> bool:
    return part.lstrip("-").isdigit() and -size <= int(part) < size


def _messages(value: Any, key: str) -> list[Turn]:
    if not isinstance(value, list):
        raise ChatShapeError(f"'{key}' is a {type(value).__name__}, not a list of messages")
    if not value:
        raise ChatShapeError(f"'{key}' is an empty list")
    turns = []
    for i, item in enumerate(value):
        if isinstance(item, str):
            turns.append(Turn("user" if i % 2 == 0 else "assistant", item))
            continue
        if not isinstance(item, dict):
            raise ChatShapeError(f"'{key}[{i}]' is a {type(item).__name__}, not a message")
        role = item.get("role", item.get("from"))
        if role is None:
            raise ChatShapeError(f"'{key}[{i}]' has no 'role' or 'from'")
        content = next((item[k] for k in ("content", "value", "text") if k in item), None)
        turns.append(Turn(normalize_role(role), _text(content, f"{key}[{i}]")))
    return turns


def _text(value: Any, where: str) -> str:
    """Message content as a string: None -> "", text parts of a list joined by newlines."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, list):
        parts = []
        for part in value:
            if isinstance(part, str):
                parts.append(part)
            elif isinstance(part, dict):
                text = next(
                    (part[k] for k in ("text", "value", "content") if isinstance(part.get(k), str)),
                    None,
                )
                if text is not None and part.get("type", "text") == "text":
                    parts.append(text)
        return "\n".join(parts)
    raise ChatShapeError(f"'{where}' is a {type(value).__name__}, not text")
