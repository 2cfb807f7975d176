"""A small client for OpenAI-compatible HTTP servers (vLLM, Ollama, llama.cpp, hosted APIs).

Standard library only. `OpenAIClient` posts JSON to `{base_url}/chat/completions` or
`{base_url}/completions` and returns the decoded reply. Transient failures (HTTP 429, any 5xx,
connection errors, timeouts, replies that are not a JSON object) are retried with exponential
backoff and jitter, honouring a `Retry-After` header; other 4xx replies fail at once. When it
gives up it raises `RemoteError`, whose message names the URL and the last status and never
contains the API key. One client may be shared by many threads.
"""

from __future__ import annotations

import email.utils
import http.client
import json
import math
import os
import random
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from ... import __version__
from ...errors import RemoteError

_LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
_SNIPPET_CHARS = 200


def safe_url(url: str) -> str:
    """`url` without credentials: `user:password@` and query values become `***`.

    Used wherever a base URL is printed or stored (messages, checkpoint headers).
    """
    try:
        parts = urllib.parse.urlsplit(url.strip())
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return "<unreadable URL>"
    if ":" in host:
        host = f"[{host}]"
    netloc = ("***@" if parts.username or parts.password else "") + host
    if port is not None:
        netloc += f":{port}"
    query = parts.query
    if query:
        pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
        query = "&".join(f"{k}=***" for k, _ in pairs) or "***"
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def api_key_from_env(name: str = "OPENAI_API_KEY") -> str | None:
    """The API key in environment variable `name`, or None when it is unset or blank."""
    value = os.environ.get(name, "").strip()
    return value or None


class OpenAIClient:
    """Posts requests to an OpenAI-compatible server, retrying transient failures.

    `max_retries` counts retries after the first attempt (so at most `max_retries + 1` requests
    per call). The wait before retry n (0-based) is `backoff * 2**n`, capped at `max_backoff`,
    times a random factor in [0.5, 1]; a `Retry-After` header (seconds or an HTTP date) replaces
    it, capped at `max_backoff`. `sleep` is injectable so tests need not wait.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None = None,
        timeout: float = 60.0,
        max_retries: int = 5,
        backoff: float = 0.5,
        max_backoff: float = 20.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        if timeout <= 0:
            raise ValueError("timeout must be > 0")
        parts = urllib.parse.urlsplit(base_url.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"base URL must start with http:// or https://, got {base_url!r}")
        self.base_url = base_url.strip().rstrip("/")
        self.model = model
        self._api_key = api_key or None
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self._sleep = sleep
        self._rng = random.Random()
        if (parts.hostname or "") in _LOOPBACK_HOSTS:
            # A local server is never reached through a proxy from the environment.
            self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        else:
            self._opener = urllib.request.build_opener()

    def __repr__(self) -> str:
        key = "set" if self._api_key else "none"
        return f"OpenAIClient(base_url={self.base_url!r}, model={self.model!r}, api_key={key})"

    def chat(self, messages: list[dict[str, Any]], **params: Any) -> dict[str, Any]:
        """POST a chat completion request; `params` (temperature, max_tokens, logprobs, ...)
        are added to the body as given. Returns the decoded JSON reply."""
        payload = {"model": self.model, "messages": messages, **params}
        return self.post("/chat/completions", payload)

    def complete(self, prompt: str, **params: Any) -> dict[str, Any]:
        """POST a (legacy) text completion request. Returns the decoded JSON reply."""
        payload = {"model": self.model, "prompt": prompt, **params}
        return self.post("/completions", payload)

    def post(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        """POST `payload` as JSON to `{base_url}{path}` with retries; the reply as a dict."""
        url = self.base_url + path
        data = json.dumps(payload).encode("utf-8")
        last = "no reply"
        attempts = self.max_retries + 1
        for attempt in range(attempts):
            retry_after: str | None = None
            try:
                request = urllib.request.Request(
                    url, data=data, headers=self._headers(), method="POST"
                )
                with self._opener.open(request, timeout=self.timeout) as response:
                    status = response.status
                    body = response.read()
            except urllib.error.HTTPError as exc:
                status = exc.code
                body = _read_error_body(exc)
                retry_after = exc.headers.get("Retry-After") if exc.headers else None
                exc.close()
                last = f"HTTP {status}{_snippet(body)}"
                if status != 429 and status < 500:
                    raise RemoteError(self._redact(f"{url}: {last} (not retried)")) from None
            except urllib.error.URLError as exc:
                last = f"connection error ({_describe(exc.reason)})"
            except (OSError, http.client.HTTPException) as exc:
                # Timed out while reading, reset, refused, dropped, bad status line, short read.
                last = f"connection error ({_describe(exc)})"
            else:
                try:
                    reply = json.loads(body)
                except ValueError:
                    last = f"HTTP {status}: reply is not valid JSON{_snippet(body)}"
                else:
                    if isinstance(reply, dict):
                        return reply
                    last = f"HTTP {status}: reply is not a JSON object"
            if attempt + 1 < attempts:
                self._sleep(self._delay(attempt, retry_after))
        raise RemoteError(
            self._redact(f"{url}: gave up after {attempts} attempt(s); last status: {last}")
        )

    def _headers(self) -> dict[str, str]:
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": f"mig-cli/{__version__}",
        }
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        return headers

    def _delay(self, attempt: int, retry_after: str | None) -> float:
        """Seconds to wait before retry number `attempt` (0-based)."""
        hinted = _parse_retry_after(retry_after)
        if hinted is not None:
            return min(hinted, self.max_backoff)
        base = min(self.backoff * (2.0**attempt), self.max_backoff)
        return base * (0.5 + 0.5 * self._rng.random())

    def _redact(self, message: str) -> str:
        if self._api_key:
            message = message.replace(self._api_key, "***")
        return message


def _parse_retry_after(value: str | None) -> float | None:
    """A `Retry-After` header as seconds (>= 0), or None when absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = (when - datetime.now(timezone.utc)).total_seconds()
    if math.isnan(seconds):
        return None
    return max(0.0, seconds)


def _read_error_body(exc: urllib.error.HTTPError) -> bytes:
    try:
        return exc.read() or b""
    except (OSError, http.client.HTTPException):  # the body of an error reply is best effort
        return b""


def _snippet(body: bytes) -> str:
    """The start of a reply body on one line, for error messages ('' when empty)."""
    text = body.decode("utf-8", errors="replace").strip()
    if not text:
        return ""
    text = " ".join(text.split())
    if len(text) > _SNIPPET_CHARS:
        text = text[:_SNIPPET_CHARS] + "..."
    return f": {text}"


def _describe(reason: object) -> str:
    """An exception (or a URLError reason, which may be a plain string) in a few words."""
    text = str(reason).strip()
    if not isinstance(reason, BaseException):
        return text or "unknown"
    name = type(reason).__name__
    return f"{name}: {text}" if text else name
