"""What an annotator reads from a record: its turns, the text chosen by `--text`, its answer."""

from __future__ import annotations

from ..records.chat import ChatShapeError, Turn, conversation
from ..records.chat_text import has_answer, select_text
from .engine import Skipped

NO_TEXT_HINT = "name the field with --text-field"
NO_ANSWER_HINT = "name the answer's field with --answer-field"


class TextSource:
    """Finds the text of each record; bad records become `Skipped`."""

    def __init__(
        self,
        text_mode: str,
        text_field: str | None,
        max_chars: int,
        answer_field: str | None = None,
    ) -> None:
        self.text_mode = text_mode
        self.text_field = text_field
        self.answer_field = answer_field
        self.max_chars = max_chars

    def turns(self, record: dict) -> list[Turn] | Skipped:
        try:
            turns = conversation(record, self.text_field, self.answer_field)
        except ChatShapeError as exc:
            return Skipped(str(exc))
        size = sum(len(t.content) for t in turns)
        if size > self.max_chars:
            return Skipped(f"text too long ({size:,} characters > --max-chars {self.max_chars:,})")
        return turns

    def answered_turns(self, record: dict) -> list[Turn] | Skipped:
        """The turns, when they hold an answer (a non-blank assistant turn); else `Skipped`."""
        turns = self.turns(record)
        if isinstance(turns, Skipped) or has_answer(turns):
            return turns
        if self.answer_field:
            where = f"'{self.answer_field}' is blank"
        elif any(t.role == "assistant" for t in turns):
            where = "the assistant turn is blank"
        else:
            where = "no assistant turn"
        return Skipped(f"no answer found ({where})")

    def text(self, record: dict) -> str | Skipped:
        turns = self.turns(record)
        if isinstance(turns, Skipped):
            return turns
        return self.text_of(turns)

    def text_of(self, turns: list[Turn]) -> str | Skipped:
        """The text `--text` chooses from turns `turns(record)` gave."""
        text = select_text(turns, self.text_mode)
        if not text.strip():
            return Skipped("empty text")
        return text

    def config(self) -> dict:
        out = {"text": self.text_mode, "text_field": self.text_field, "max_chars": self.max_chars}
        if self.answer_field is not None:
            out["answer_field"] = self.answer_field
        return out


def text_source(
    text_mode: str, text_field: str | None, max_chars: int, answer_field: str | None = None
) -> TextSource:
    return TextSource(text_mode, text_field, max_chars, answer_field)
