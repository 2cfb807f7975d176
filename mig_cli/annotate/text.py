"""What an annotator reads from a record: its turns, or the text chosen by `--text`."""

from __future__ import annotations

from ..records.chat import ChatShapeError, Turn, conversation, select_text
from .engine import Skipped


class TextSource:
    """Finds the text of each record; bad records become `Skipped`."""

    def __init__(self, text_mode: str, text_field: str | None, max_chars: int) -> None:
        self.text_mode = text_mode
        self.text_field = text_field
        self.max_chars = max_chars

    def turns(self, record: dict) -> list[Turn] | Skipped:
        try:
            turns = conversation(record, self.text_field)
        except ChatShapeError as exc:
            return Skipped(str(exc))
        size = sum(len(t.content) for t in turns)
        if size > self.max_chars:
            return Skipped(f"text too long ({size:,} characters > --max-chars {self.max_chars:,})")
        return turns

    def text(self, record: dict) -> str | Skipped:
        turns = self.turns(record)
        if isinstance(turns, Skipped):
            return turns
        text = select_text(turns, self.text_mode)
        if not text.strip():
            return Skipped("empty text")
        return text

    def config(self) -> dict:
        return {"text": self.text_mode, "text_field": self.text_field, "max_chars": self.max_chars}


def text_source(text_mode: str, text_field: str | None, max_chars: int) -> TextSource:
    return TextSource(text_mode, text_field, max_chars)
