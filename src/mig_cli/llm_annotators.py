"""Tag and score records with a language model behind an OpenAI-compatible server.

- `LLMTagger` asks for InsTag-style open intent tags and reads them with `parse_tags`.
- `LLMScorer` is a DEITA-style judge: the complexity of each instruction and the quality of each
  response on 1-6, read as an expected value over the log-probabilities of the first answer
  token (`expected_digit`), falling back to the digit in the reply text; a turn scores
  quality x complexity and a record the mean over its turns.

Both take the client as an argument (anything with `chat(messages, **params)` and, for the
completions endpoint, `complete(prompt, **params)` returning the decoded JSON reply), run up to
`concurrency` requests at once and return results in input order. A single unreadable reply
gives None for that record and is counted in `failures`; a `RemoteError` from the client (the
server stays down after its retries) propagates. No file I/O here.
"""

from __future__ import annotations

import ast
import json
import math
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from typing import Any, Protocol, TypeVar

from . import prompts

T = TypeVar("T")
R = TypeVar("R")

DIGITS = ("1", "2", "3", "4", "5", "6")
_TAG_KEYS = ("tag", "label", "name", "intent")
_WRAPPER_KEYS = ("tags", "labels", "intents", "items", "results")
_FENCE = re.compile(r"```[ \t]*[A-Za-z0-9_+-]*[ \t]*\r?\n?(.*?)```", re.S)
_THINK = re.compile(r"<think>.*?</think>", re.S | re.I)
_TRAILING_COMMA = re.compile(r",(\s*[\]}])")
_OPENING = re.compile(r"[\[{]")
_DIGIT_IN_TEXT = re.compile(r"(?<![0-9])[1-6](?![0-9])")
_LITERAL_LIMIT = 20_000


class ChatClient(Protocol):
    """What the annotators need from a client (`mig_cli.llm.OpenAIClient` fits)."""

    def chat(self, messages: list[dict[str, Any]], **params: Any) -> dict[str, Any]: ...

    def complete(self, prompt: str, **params: Any) -> dict[str, Any]: ...


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


# ---------------------------------------------------------------------------------------------
# Running many requests


def map_ordered(fn: Callable[[T], R], items: Sequence[T], concurrency: int) -> list[R]:
    """`[fn(x) for x in items]` on up to `concurrency` threads, in input order.

    The first exception stops work not yet started and is re-raised (the earliest item's
    exception when several failed).
    """
    if concurrency < 1:
        raise ValueError("concurrency must be >= 1")
    if concurrency == 1 or len(items) <= 1:
        return [fn(x) for x in items]
    stop = threading.Event()

    def guarded(item: T) -> R:
        if stop.is_set():
            raise _Cancelled
        return fn(item)

    with ThreadPoolExecutor(max_workers=min(concurrency, len(items))) as pool:
        futures: list[Future[R]] = [pool.submit(guarded, x) for x in items]
        try:
            wait(futures, return_when=FIRST_EXCEPTION)
        except BaseException:
            stop.set()
            raise
        failed = [f for f in futures if f.done() and not f.cancelled() and f.exception()]
        if failed:
            stop.set()
            for f in futures:
                f.cancel()
            errors = [f.exception() for f in failed]
            real = [e for e in errors if not isinstance(e, _Cancelled)]
            raise (real or errors)[0]  # type: ignore[misc]
        return [f.result() for f in futures]


class _Cancelled(Exception):
    """Raised in a worker that starts after another worker failed."""


def _truncate(text: str, max_chars: int | None) -> str:
    if max_chars is None or len(text) <= max_chars:
        return text
    return text[:max_chars]


# ---------------------------------------------------------------------------------------------
# Tagger


class LLMTagger:
    """Open intent tagging in the InsTag way: one chat request per record.

    A reply whose tags cannot be read is re-asked once in the same conversation; if the second
    reply is unreadable too the record gets None and `failures` goes up by one. Blank texts get
    [] without a request. Texts longer than `max_chars` are cut to that length first.
    """

    def __init__(
        self,
        client: ChatClient,
        concurrency: int = 8,
        temperature: float = 0.0,
        max_tokens: int = 512,
        max_chars: int | None = 8000,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be >= 1")
        self.client = client
        self.concurrency = concurrency
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.max_chars = max_chars
        self.failures = 0
        self._lock = threading.Lock()

    def tag(self, text: str) -> list[str] | None:
        """Raw tags for one query (None when both replies were unreadable)."""
        if not text.strip():
            return []
        messages = prompts.tagging_messages(_truncate(text, self.max_chars))
        params = {"temperature": self.temperature, "max_tokens": self.max_tokens}
        answer = reply_text(self.client.chat(messages, **params))
        tags = parse_tags(answer)
        if tags is None:
            messages = messages + [
                {"role": "assistant", "content": answer or ""},
                {"role": "user", "content": prompts.TAG_REASK},
            ]
            tags = parse_tags(reply_text(self.client.chat(messages, **params)))
        if tags is None:
            with self._lock:
                self.failures += 1
        return tags

    def tag_batch(self, texts: Sequence[str]) -> list[list[str] | None]:
        """Raw tags for each text, in input order."""
        return map_ordered(self.tag, list(texts), self.concurrency)


# ---------------------------------------------------------------------------------------------
# Scorer


class LLMScorer:
    """A DEITA-style judge: score = mean over turns of quality x complexity, each in [1, 6].

    `endpoint` "chat" sends chat messages with `logprobs: true, top_logprobs: N`; "completions"
    sends a raw prompt with `logprobs: N`. With `top_logprobs=0` no log-probabilities are asked
    for and the digit in the reply text is used. A rating that cannot be read counts in
    `failures`; a turn missing either rating is left out of the mean; a record with no scored turn
    gets None. Identical requests within one batch are sent once.
    """

    def __init__(
        self,
        client: ChatClient,
        endpoint: str = "chat",
        concurrency: int = 8,
        top_logprobs: int = 20,
        max_tokens: int = 2,
        max_chars: int | None = 8000,
    ) -> None:
        if endpoint not in ("chat", "completions"):
            raise ValueError(f"endpoint must be 'chat' or 'completions', got {endpoint!r}")
        if concurrency < 1:
            raise ValueError("concurrency must be >= 1")
        if top_logprobs < 0:
            raise ValueError("top_logprobs must be >= 0")
        self.client = client
        self.endpoint = endpoint
        self.concurrency = concurrency
        self.top_logprobs = top_logprobs
        self.max_tokens = max_tokens
        self.max_chars = max_chars
        self.failures = 0
        self._lock = threading.Lock()

    def complexity(self, instruction: str) -> float | None:
        """Complexity of an instruction in [1, 6], or None when the reply has no rating."""
        instruction = _truncate(instruction, self.max_chars)
        if self.endpoint == "chat":
            return self._rate_chat(prompts.complexity_messages(instruction))
        return self._rate_completion(prompts.complexity_prompt(instruction))

    def quality(self, instruction: str, response: str) -> float | None:
        """Quality of a response to an instruction in [1, 6], or None."""
        instruction = _truncate(instruction, self.max_chars)
        response = _truncate(response, self.max_chars)
        if self.endpoint == "chat":
            return self._rate_chat(prompts.quality_messages(instruction, response))
        return self._rate_completion(prompts.quality_prompt(instruction, response))

    def score_batch(self, conversations: Sequence[Sequence[tuple[str, str]]]) -> list[float | None]:
        """Score each conversation (a list of (instruction, response) turns), in input order."""
        jobs: dict[tuple[str, ...], None] = {}
        for turns in conversations:
            for instruction, response in turns:
                jobs[("complexity", instruction)] = None
                jobs[("quality", instruction, response)] = None
        keys = list(jobs)
        values = map_ordered(self._run, keys, self.concurrency)
        rating = dict(zip(keys, values))
        scores: list[float | None] = []
        for turns in conversations:
            turn_scores = []
            for instruction, response in turns:
                c = rating[("complexity", instruction)]
                q = rating[("quality", instruction, response)]
                if c is not None and q is not None:
                    turn_scores.append(q * c)
            scores.append(sum(turn_scores) / len(turn_scores) if turn_scores else None)
        return scores

    def _run(self, key: tuple[str, ...]) -> float | None:
        if key[0] == "complexity":
            return self.complexity(key[1])
        return self.quality(key[1], key[2])

    def _rate_chat(self, messages: list[dict[str, str]]) -> float | None:
        params: dict[str, Any] = {"temperature": 0.0, "max_tokens": self.max_tokens}
        if self.top_logprobs:
            params.update(logprobs=True, top_logprobs=self.top_logprobs)
        return self._read(self.client.chat(messages, **params))

    def _rate_completion(self, prompt: str) -> float | None:
        params: dict[str, Any] = {"temperature": 0.0, "max_tokens": self.max_tokens}
        if self.top_logprobs:
            params["logprobs"] = self.top_logprobs
        return self._read(self.client.complete(prompt, **params))

    def _read(self, reply: Any) -> float | None:
        value = expected_digit(reply) if self.top_logprobs else None
        if value is None:
            value = digit_from_text(reply_text(reply))
        if value is None:
            with self._lock:
                self.failures += 1
        return value
