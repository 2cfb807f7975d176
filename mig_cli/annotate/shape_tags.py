"""Labels for the shape of a conversation: how many turns, what the request gives, what the
answer is like.

A topic tagger reads the request alone, so records that ask alike but are answered in
different ways (a one-line fact against an essay, a span copied from a passage against a
summary of it, one exchange against a long chat) get the same labels. `shape_tags` adds what
the turns show, with fixed, language-neutral rules (lengths in `quality.approx_tokens`: one
per CJK character, one per four other characters):

- "multi-turn conversation": at least two user turns answered;
- "summary of a passage" / "answer from a passage": the first user turn holds, after its first
  paragraph, a prose passage of at least `PASSAGE_TOKENS` (little code punctuation, citation
  marks such as "[1]" not counted); the
  answer summarises it when it is at least `SUMMARY_SHARE` of the passage or
  `SUMMARY_TOKENS` long, else it answers from it (closed-book QA, extraction);
- "short answer" (at most `SHORT_TOKENS`) or "long-form answer" (at least `LONG_TOKENS`): the
  first answer's length;
- "list answer": the first answer has at least `LIST_ITEMS` list-item lines;
- "markdown formatting": the first answer has a Markdown heading (with a word in it), bold text
  or a table;
- "latex math notation": the first answer typesets maths in LaTeX: a maths command (`\\frac`,
  `\\sqrt`, `\\cdot`, `\\boxed`, ...), an environment (`\\begin{`), or `\\( \\)` / `\\[ \\]`
  around "^", "_" or a command. A "$" alone is not enough (prices, shell and PHP variables), nor
  is a "\\(" of Swift or sed. A subset that holds only plain-text maths answers, or only
  typeset ones, teaches one output format: this label lets MIG cover both. It is the
  taxonomy's tag for a request written in LaTeX, on purpose: one label for LaTeX maths in the
  conversation, so that a record typeset on both sides does not carry two labels for one
  property (MIG credits a record once per label, and label-rich records would win for it).
Code (fenced or inline) is left out of the last three and is never a passage; a blank answer
gets no answer label.

These are common labels (each on a sizeable share of a pool), so under MIG they add a little
information for covering each shape once; they do not make a record rare. Pure: turns in,
labels out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..records.chat import Turn
from ..records.chat_text import turn_pairs
from .quality import approx_tokens

PASSAGE_TOKENS = 60
SUMMARY_SHARE = 0.25
SUMMARY_TOKENS = 120
SHORT_TOKENS = 20
LONG_TOKENS = 150
LIST_ITEMS = 3
DELIMITED_ITEMS = 4  # "a, b, c, d": a one-line list needs this many items
ITEM_TOKENS = 10  # ... the inner ones at most this long (a clause is not an item)
DELIMITED_SHARE = 0.6  # ... making up this share of the answer
CODE_PUNCTUATION = 0.03  # a passage with more of {}[]();=<>_#$\|` than this is code or maths
SHAPE_TAGS = (
    "multi-turn conversation",
    "summary of a passage",
    "answer from a passage",
    "short answer",
    "long-form answer",
    "list answer",
    "markdown formatting",
    "latex math notation",
)
VERSION = 6  # recorded with tagged output: bump when a rule changes

_PARAGRAPH = re.compile(r"\n[ \t]*\n")
# list items: a bullet and a space, "1." / "1)" / "1）" (not "1.5"), "１．", "一、", or "・"
_LIST_ITEM = re.compile(
    r"^[ \t]*(?:[-*+•][ \t]+|[0-9]{1,3}[.)）](?![0-9])[ \t]*|[０-９]{1,3}[．）][ \t]*"
    r"|[一二三四五六七八九十]{1,3}[、.．]|・)\S",
    re.MULTILINE,
)
# items numbered inside one line: "1) pistachio, 2) brazil nut, 3) hazelnut", "1）…、2）…"
_INLINE_ITEM = re.compile(r"(?:^|[\s、，,;；:：])([0-9]{1,2})[)）]")
_SENTENCE = re.compile(r"\n|(?<=[。！？!?])|(?<=\.)\s")
# an inner part that starts like a clause ("..., but, as always, ...") is not an item
_CLAUSE_START = re.compile(
    r"(but|as|so|if|when|because|which|who|that|though|although|however|then|yes|no|well)\b",
    re.IGNORECASE,
)
_DELIMITER = re.compile(r"\s*(?:[、，;；]|,)\s*(?:(?:and|or)\s+)?")
# a heading with a word in it (not GSM8K's "#### 72"), bold text, or a table's header rule
_MARKDOWN = re.compile(
    r"^#{1,6}[ \t]+[^\n]*?[^\W\d_]|(?:^|\s)\*\*\S[^*\n]*\*\*|^\|.*\|[ \t]*\n\|[ \t]*:?-{3,}",
    re.MULTILINE,
)
# LaTeX maths: a maths command (not followed by a letter: "\in" is not "\int"), an
# environment, or "\( ... \)" / "\[ ... \]" holding "^", "_" or a command (Swift's "\(year)"
# and sed's "\([0-9]*\)" hold none)
_LATEX = re.compile(
    r"\\(?:frac|dfrac|tfrac|boxed|sqrt|cdot|times|div|pm|leq?|geq?|neq|approx|equiv|pmod"
    r"|pi|theta|alpha|angle|circ|binom|sum|prod|int|lim|log|ln|sin|cos|tan|infty|mathrm"
    r"|mathbf|text)(?![a-zA-Z])|\\begin\{"
    r"|\\[(\[](?=[^\n]{0,200}?(?:[\^_]|\\[a-zA-Z]{2,})[^\n]{0,200}?\\[)\]])"
)
_CODE = re.compile(r"```.*?(?:```|\Z)|`[^`\n]+`", re.DOTALL)  # fenced or inline code
_CODE_CHARS = frozenset("{}[]();=<>_#$\\|`")
# a reference mark of encyclopaedia prose ("[1]", "[a]", "[note 3]", "[citation needed]") is
# not code punctuation: a cited article is still prose
_CITATION = re.compile(r"\[(?:[0-9]{1,3}|[a-z]|note [0-9]{1,3}|citation needed)\]", re.IGNORECASE)


def _is_prose(text: str) -> bool:
    chars = [c for c in _CITATION.sub("", text) if not c.isspace()]
    if not chars:
        return False
    return sum(1 for c in chars if c in _CODE_CHARS) / len(chars) < CODE_PUNCTUATION


def without_code(text: str) -> str:
    """`text` with fenced and inline code blanked out (a `# comment` is not a heading)."""
    return _CODE.sub(" ", text)


def passage_of(request: str) -> str:
    """The prose after the request's first paragraph ("" when there is none, or it is code:
    a fenced block is never a passage, whatever prose its comments hold)."""
    parts = [p for p in _PARAGRAPH.split(without_code(request)) if p.strip()]
    if len(parts) < 2:
        return ""
    passage = "\n\n".join(parts[1:])
    return passage if _is_prose(passage) else ""


def with_prose_passage(request: str) -> str:
    """The whole request when it carries a prose passage (`passage_of`), else its first
    paragraph: test cases or code after a blank line are not a passage to read."""
    return request if passage_of(request) else _PARAGRAPH.split(request, 1)[0]


def instruction_of(request: str) -> str:
    """The request without its passages: the paragraphs that are not prose of at least
    `PASSAGE_TOKENS` tokens (the whole request when every paragraph is one, or there is one)."""
    parts = [p for p in _PARAGRAPH.split(request) if p.strip()]
    if len(parts) < 2:
        return request
    kept = [p for p in parts if approx_tokens(p) < PASSAGE_TOKENS or not _is_prose(p)]
    return "\n\n".join(kept) if kept else request


def is_list(text: str) -> bool:
    """True when `text` is a list: `LIST_ITEMS` item lines (bullets, "1." / "1)" / "１．" /
    "一、" / "・" markers), items numbered 1, 2, 3 inside a line, or an answer that is mostly
    one run of at least `DELIMITED_ITEMS` short items joined by commas or "、"
    ("Twitter, Facebook, TikTok, Snapchat").
    """
    if len(_LIST_ITEM.findall(text)) >= LIST_ITEMS:
        return True
    numbers = [int(n) for n in _INLINE_ITEM.findall(text)]
    if any(
        numbers[i : i + LIST_ITEMS] == list(range(1, LIST_ITEMS + 1)) for i in range(len(numbers))
    ):
        return True
    return _delimited_list(text)


def _delimited_list(text: str) -> bool:
    """Most of `text` (`DELIMITED_SHARE` of its non-space characters) is sentences that
    enumerate: at least `DELIMITED_ITEMS` parts between commas or "、", the inner ones at most
    `ITEM_TOKENS` tokens each (a lead-in and a tail may be longer: "The nicknames are Sporty,
    Ginger, Scary, Baby and Posh."). Clauses of prose are longer than items, so a sentence of
    clauses joined by commas is not a list."""
    total = sum(1 for c in text if not c.isspace())
    if not total:
        return False
    listed = 0
    for sentence in _SENTENCE.split(text):
        items = [i for i in _DELIMITER.split(sentence.strip()) if i]
        inner = items[1:-1]
        if len(items) >= DELIMITED_ITEMS and all(
            approx_tokens(i) <= ITEM_TOKENS and not _CLAUSE_START.match(i) for i in inner
        ):
            if approx_tokens(items[0]) <= 3 * ITEM_TOKENS >= approx_tokens(items[-1]):
                listed += sum(1 for c in sentence if not c.isspace())
    return listed >= DELIMITED_SHARE * total


def shape_tags(turns: Sequence[Turn], *, asks_summary: bool = False) -> list[str]:
    """The shape labels of a conversation (a subset of `SHAPE_TAGS`, in that order).

    `turns` as `records.chat.conversation` gives them. A conversation without an answered
    user turn gets []; a blank first answer gets no answer label. `asks_summary` (the request
    asks for a summary, e.g. the tagger gave it `summarization`) makes any answer from a
    passage a summary of it, however short.
    """
    pairs = turn_pairs(turns)
    if not pairs:
        return []
    request, answer = pairs[0]
    tags: list[str] = []
    if len(pairs) >= 2:
        tags.append("multi-turn conversation")
    if not answer.strip():
        return tags
    answer_tokens = approx_tokens(answer)
    passage = passage_of(request)
    passage_tokens = approx_tokens(passage) if passage else 0
    if passage_tokens >= PASSAGE_TOKENS:
        summary = (
            asks_summary
            or answer_tokens >= SUMMARY_SHARE * passage_tokens
            or answer_tokens >= SUMMARY_TOKENS
        )
        tags.append("summary of a passage" if summary else "answer from a passage")
    if answer_tokens <= SHORT_TOKENS:
        tags.append("short answer")
    elif answer_tokens >= LONG_TOKENS:
        tags.append("long-form answer")
    prose = without_code(answer)  # code lines are neither list items nor headings
    if is_list(prose):
        tags.append("list answer")
    if _MARKDOWN.search(prose):
        tags.append("markdown formatting")
    if _LATEX.search(prose):
        tags.append("latex math notation")
    return tags
