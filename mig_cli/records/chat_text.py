"""Text out of a conversation: what a tagger, an embedder or a scorer reads of its turns.

`select_text` picks the text a tagger or embedder sees (`TEXT_MODES`: first user turn, every
user turn, or every turn); `turn_pairs` gives (instruction, reply) pairs for scoring;
`assistant_text` and `has_answer` read the assistant turns. The turns come from
`chat.conversation`. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .chat import Turn

TEXT_MODES = ("first-user", "all-user", "all")


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


def has_answer(turns: Sequence[Turn]) -> bool:
    """Some assistant turn holds non-blank text."""
    return any(t.role == "assistant" and t.content.strip() for t in turns)
