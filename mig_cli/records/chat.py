"""Find the chat text in a record, whatever shape the pool uses.

Shapes recognised, in this order (the first key present with a non-null value wins):

- a list of messages under `messages`, `conversations`, `conversation`, `dialogs`, `dialog` or
  `dialogue`; each message is `{role, content}` or `{from, value}` (ShareGPT), or a bare string
  (then turns alternate user / assistant, starting with the user);
- Alpaca: `instruction` (+ optional `input`, appended after a blank line) is the user turn,
  `output` the assistant turn;
- `prompt` / `response` (or `completion`), `question` / `answer`, `query` / `response`: the
  first is the user turn, the second (optional) the assistant turn.

A caller-named `text_field` (a dotted path such as `data.chat` where integer segments index
lists) replaces the search: a string there is one user turn, a list is read as messages.

Role names are folded: user / human / prompter -> "user"; assistant / gpt / bot / model /
chatgpt -> "assistant"; system -> "system"; tool / function / observation / ipython -> "tool";
any other role is kept lowercased. Content given as a list of parts (the OpenAI multimodal
form) keeps its text parts joined by newlines. Everything here is pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

MESSAGE_KEYS = ("messages", "conversations", "conversation", "dialogs", "dialog", "dialogue")
PAIR_KEYS = (
    ("prompt", ("response", "completion")),
    ("question", ("answer",)),
    ("query", ("response",)),
)
TEXT_MODES = ("first-user", "all-user", "all")

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
    "observation": "tool",
    "ipython": "tool",
}
_LOOKED_FOR = ", ".join(
    [*MESSAGE_KEYS, "instruction/output", *(f"{a}/{b[0]}" for a, b in PAIR_KEYS)]
)


class ChatShapeError(ValueError):
    """A record whose chat text cannot be found; the message says why in a few words."""


@dataclass(frozen=True)
class Turn:
    """One turn of a conversation with a normalised role."""

    role: str
    content: str


def normalize_role(role: Any) -> str:
    """Fold the usual role spellings onto user / assistant / system / tool."""
    name = str(role).strip().lower()
    return _ROLES.get(name, name)


def conversation(record: dict, text_field: str | None = None) -> list[Turn]:
    """The turns of `record`, searched in the usual shapes or read from `text_field`.

    Raises ChatShapeError when nothing usable is found.
    """
    if not isinstance(record, dict):
        raise ChatShapeError(f"record is a {type(record).__name__}, not an object")
    if text_field is not None:
        return _from_field(record, text_field)
    for key in MESSAGE_KEYS:
        value = record.get(key)
        if value is not None:
            return _messages(value, key)
    if record.get("instruction") is not None:
        user = _text(record["instruction"], "instruction")
        extra = _text(record.get("input"), "input")
        if extra.strip():
            user = f"{user}\n\n{extra}" if user else extra
        return _pair(user, record.get("output"), "output")
    for first, seconds in PAIR_KEYS:
        if record.get(first) is not None:
            second = next((k for k in seconds if record.get(k) is not None), seconds[0])
            return _pair(_text(record[first], first), record.get(second), second)
    raise ChatShapeError(f"no chat text found (looked for {_LOOKED_FOR})")


def select_text(turns: Sequence[Turn], mode: str = "first-user") -> str:
    """The text a tagger or embedder should see.

    - `first-user`: the first user turn (when there is none, the first non-system turn, then
      the first turn; "" for no turns);
    - `all-user`: every user turn, joined by blank lines;
    - `all`: every turn as a `role: content` line, joined by newlines.
    """
    if mode == "first-user":
        for wanted in (lambda t: t.role == "user", lambda t: t.role != "system", lambda t: True):
            for turn in turns:
                if wanted(turn):
                    return turn.content
        return ""
    if mode == "all-user":
        return "\n\n".join(t.content for t in turns if t.role == "user")
    if mode == "all":
        return "\n".join(f"{t.role}: {t.content}" for t in turns)
    raise ValueError(f"unknown text mode '{mode}' (choose from {', '.join(TEXT_MODES)})")


def turn_pairs(turns: Sequence[Turn]) -> list[tuple[str, str]]:
    """(instruction, reply) pairs: each user turn with the assistant reply that follows it.

    Consecutive user turns are merged into one instruction and consecutive assistant turns into
    one reply (joined by blank lines); system and tool turns are skipped; an assistant turn
    before any user turn and a final user turn without a reply are dropped.
    """
    pairs: list[tuple[str, str]] = []
    users: list[str] = []
    replies: list[str] = []
    for turn in turns:
        if turn.role == "user":
            if replies:
                pairs.append(("\n\n".join(users), "\n\n".join(replies)))
                users, replies = [], []
            users.append(turn.content)
        elif turn.role == "assistant" and users:
            replies.append(turn.content)
    if users and replies:
        pairs.append(("\n\n".join(users), "\n\n".join(replies)))
    return pairs


def assistant_text(turns: Iterable[Turn]) -> str:
    """Every assistant turn, joined by blank lines."""
    return "\n\n".join(t.content for t in turns if t.role == "assistant")


def _from_field(record: dict, path: str) -> list[Turn]:
    value: Any = record
    for part in path.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and _is_index(part, len(value)):
            value = value[int(part)]
        else:
            raise ChatShapeError(f"text field '{path}' not found (no '{part}')")
    if value is None:
        raise ChatShapeError(f"text field '{path}' is null")
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
        content = item.get("content", item.get("value"))
        turns.append(Turn(normalize_role(role), _text(content, f"{key}[{i}]")))
    return turns


def _pair(user: str, reply: Any, reply_key: str) -> list[Turn]:
    turns = [Turn("user", user)]
    if reply is not None:
        turns.append(Turn("assistant", _text(reply, reply_key)))
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
            elif isinstance(part, dict) and isinstance(part.get("text"), str):
                parts.append(part["text"])
        return "\n".join(parts)
    raise ChatShapeError(f"'{where}' is a {type(value).__name__}, not text")
