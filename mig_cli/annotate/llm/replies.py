"""Reading model replies: InsTag-style tag lists and DEITA-style 1-6 ratings.

`parse_tags` reads a tag list from whatever shape a model answers in (JSON, fenced JSON, Python
literals, wrapper objects); `expected_digit` turns the first answer token's top log-probabilities
into an expected rating; `digit_from_text` is the fallback that reads the digit in the text.
"""

from __future__ import annotations

import ast
import json
import math
import re
from collections.abc import Iterable
from typing import Any

DIGITS = ("1", "2", "3", "4", "5", "6")
_TAG_KEYS = ("tag", "label", "name", "intent")
_WRAPPER_KEYS = ("tags", "labels", "intents", "items", "results")
_FENCE = re.compile(r"```[ \t]*[A-Za-z0-9_+-]*[ \t]*\r?\n?(.*?)```", re.S)
_THINK = re.compile(r"<think>.*?</think>", re.S | re.I)
_TRAILING_COMMA = re.compile(r",(\s*[\]}])")
_OPENING = re.compile(r"[\[{]")
_DIGIT_IN_TEXT = re.compile(r"(?<![0-9])[1-6](?![0-9])")
_LITERAL_LIMIT = 20_000


# ---------------------------------------------------------------------------------------------
# Reading replies


def reply_text(reply: Any) -> str | None:
    """The generated text of a chat or completions reply (first choice), or None."""
    try:
        choice = reply["choices"][0]
    except (KeyError, IndexError, TypeError):
        return None
    if not isinstance(choice, dict):
        return None
    message = choice.get("message")
    if isinstance(message, dict):
        content = message.get("content")
        if isinstance(content, list):  # content parts: [{"type": "text", "text": ...}, ...]
            parts = [p.get("text") for p in content if isinstance(p, dict)]
            return "".join(p for p in parts if isinstance(p, str))
        return content if isinstance(content, str) else None
    text = choice.get("text")
    return text if isinstance(text, str) else None


def parse_tags(reply_text: str | None) -> list[str] | None:
    """The tag strings in a tagging reply, as written (not normalised), or None if unusable.

    Accepts a JSON list of objects with a "tag" key (any casing; "label", "name" or "intent"
    also do), a plain list of strings, or an object wrapping such a list under "tags" (or
    "labels", "intents", "items", "results"); inside ``` fences or surrounded by prose; with
    trailing commas or Python-style quotes. A `<think>...</think>` section is ignored. An
    explicit empty list gives []; text with no readable list gives None.
    """
    if not isinstance(reply_text, str):
        return None
    text = _THINK.sub("", reply_text).strip()
    if not text:
        return None
    chunks = [m.group(1) for m in _FENCE.finditer(text)] + [text]
    for chunk in chunks:
        repaired = _TRAILING_COMMA.sub(r"\1", chunk)
        for variant in (repaired, chunk) if repaired != chunk else (chunk,):
            tags = _scan_json(variant)
            if tags is not None:
                return tags
        tags = _python_literal(repaired)
        if tags is not None:
            return tags
    return None


def _scan_json(text: str) -> list[str] | None:
    """Decode a JSON value at each '[' or '{' in turn; the first that holds tags wins.

    A lone {"tag": ...} object counts only where it is the first value in the text, so that one
    element of a list cut short is not taken for the whole answer.
    """
    decoder = json.JSONDecoder()
    for n, match in enumerate(_OPENING.finditer(text)):
        try:
            value, _ = decoder.raw_decode(text, match.start())
        except ValueError:
            continue
        tags = _tags_from_value(value, lone_object=n == 0)
        if tags is not None:
            return tags
    return None


def _python_literal(text: str) -> list[str] | None:
    """Tags from a Python-style literal such as [{'tag': 'x'}] (single quotes)."""
    start, end = text.find("["), text.rfind("]")
    if start < 0 or end <= start or end - start > _LITERAL_LIMIT:
        return None
    try:
        value = ast.literal_eval(text[start : end + 1])
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None
    return _tags_from_value(value)


def _lower_keys(obj: dict[Any, Any]) -> dict[str, Any]:
    return {k.strip().lower(): v for k, v in obj.items() if isinstance(k, str)}


def _tag_of(item: Any) -> str | None:
    if isinstance(item, str):
        return item.strip() or None
    if isinstance(item, dict):
        keys = _lower_keys(item)
        for key in _TAG_KEYS:
            value = keys.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
    return None


def _tags_from_value(value: Any, lone_object: bool = True) -> list[str] | None:
    if isinstance(value, list):
        if not value:
            return []
        tags = [t for t in map(_tag_of, value) if t is not None]
        return tags or None
    if isinstance(value, dict):
        keys = _lower_keys(value)
        for key in _WRAPPER_KEYS:
            if isinstance(keys.get(key), list):
                return _tags_from_value(keys[key])
        tag = _tag_of(value) if lone_object else None
        return [tag] if tag is not None else None
    return None


def first_token_top_logprobs(reply: Any) -> list[Any] | dict[str, Any] | None:
    """The top log-probabilities at the first generated token of a reply, in the server's shape.

    Chat: `choices[0].logprobs.content[i].top_logprobs` (a list of {token, logprob}).
    Completions: `choices[0].logprobs.top_logprobs[i]` (a dict token -> logprob). Position i is
    the first whose chosen token is not whitespace only (0 when all are). None when the reply
    carries no log-probabilities.
    """
    try:
        logprobs = reply["choices"][0]["logprobs"]
    except (KeyError, IndexError, TypeError):
        return None
    if not isinstance(logprobs, dict):
        return None
    content = logprobs.get("content")
    if isinstance(content, list):
        positions = [p for p in content if isinstance(p, dict)]
        chosen = [p.get("token") for p in positions]
        tops = [p.get("top_logprobs") for p in positions]
    elif isinstance(logprobs.get("top_logprobs"), list):
        tops = logprobs["top_logprobs"]
        tokens = logprobs.get("tokens")
        chosen = tokens if isinstance(tokens, list) else [None] * len(tops)
    else:
        return None
    if not tops:
        return None
    index = 0
    for i, token in enumerate(chosen[: len(tops)]):
        if not (isinstance(token, str) and not token.strip()):
            index = i
            break
    top = tops[index]
    return top if isinstance(top, (list, dict)) else None


def _entries(top_logprobs: Any) -> Iterable[tuple[Any, Any]]:
    if isinstance(top_logprobs, dict) and "choices" in top_logprobs:
        top_logprobs = first_token_top_logprobs(top_logprobs)
    if isinstance(top_logprobs, dict):
        return top_logprobs.items()
    if isinstance(top_logprobs, list):
        return [(e.get("token"), e.get("logprob")) for e in top_logprobs if isinstance(e, dict)]
    return []


def expected_digit(top_logprobs: Any) -> float | None:
    """Expected rating over the digits "1".."6" among a token's top log-probabilities.

    `top_logprobs` is the chat shape (a list of {"token", "logprob"}), the completions shape (a
    dict token -> logprob), or a whole reply (its first generated token is used). Tokens are
    stripped of whitespace; those that are a digit 1-6 are kept (two spellings of one digit, such
    as "5" and " 5", add up), their probabilities renormalised over those digits only, and the
    mean digit returned. None when no digit is among them.
    """
    grouped: dict[str, list[float]] = {}
    for token, logprob in _entries(top_logprobs):
        if not isinstance(token, str) or token.strip() not in DIGITS:
            continue
        try:
            value = float(logprob)
        except (TypeError, ValueError):
            continue
        if math.isnan(value) or value == math.inf:
            continue
        grouped.setdefault(token.strip(), []).append(value)
    if not grouped:
        return None
    top = max(v for values in grouped.values() for v in values)
    if top == -math.inf:
        return None
    weights = {d: sum(math.exp(v - top) for v in values) for d, values in grouped.items()}
    total = sum(weights.values())
    return sum(int(d) * w for d, w in weights.items()) / total


def digit_from_text(text: str | None) -> float | None:
    """The first stand-alone digit 1-6 in `text` ("Rating: 5" -> 5.0; "10" -> None)."""
    if not isinstance(text, str):
        return None
    match = _DIGIT_IN_TEXT.search(text)
    return float(match.group()) if match else None
