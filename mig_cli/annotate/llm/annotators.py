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

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from typing import Any, Protocol, TypeVar

from . import prompts
from .replies import (
    digit_from_text,
    expected_digit,
    parse_tags,
    reply_text,
)

T = TypeVar("T")
R = TypeVar("R")


class ChatClient(Protocol):
    """What the annotators need from a client (`mig_cli.annotate.llm.client.OpenAIClient` fits)."""

    def chat(self, messages: list[dict[str, Any]], **params: Any) -> dict[str, Any]: ...

    def complete(self, prompt: str, **params: Any) -> dict[str, Any]: ...


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
