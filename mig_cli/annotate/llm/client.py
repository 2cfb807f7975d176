"""A small client for OpenAI-compatible HTTP servers (vLLM, Ollama, llama.cpp, hosted APIs).

Standard library only. `OpenAIClient` posts JSON to `{base_url}/chat/completions` or
`{base_url}/completions` and returns the decoded reply. Transient failures (HTTP 429, any 5xx,
connection errors, timeouts, replies that are not a JSON object) are retried with exponential
backoff and jitter, honouring a `Retry-After` header; other 4xx replies fail at once. When it
gives up it raises `RemoteError`, whose message names the URL and the last status and never
contains the API key. One client may be shared by many threads. Cancellation, the deadline per
attempt and the redirect policy are in `transport`; the key and URL credentials in `credentials`.
"""

from __future__ import annotations

import base64
import email.utils
import http.client
import json
import math
import random
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from ... import __version__
from ...errors import RemoteError
from .credentials import redact, safe_url, secrets_of
from .transport import (
    CANCEL,
    RedirectRefused,
    RequestCancelled,
    SameOriginRedirects,
    Watch,
    WatchedHTTPHandler,
    WatchedHTTPSHandler,
)

_LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
_SNIPPET_CHARS = 200


class _TooLarge(Exception):
    pass


class OpenAIClient:
    """Posts requests to an OpenAI-compatible server, retrying transient failures.

    `max_retries` counts retries after the first attempt (so at most `max_retries + 1` requests
    per call). The wait before retry n (0-based) is `backoff * 2**n`, capped at `max_backoff`,
    times a random factor in [0.5, 1]; a `Retry-After` header (seconds or an HTTP date) replaces
    it, capped at `max_backoff`. `sleep` is injectable so tests need not wait.

    Safety: `timeout` is a total deadline per attempt (connect, wait and the whole reply; a
    reply trickled slowly is cut at the deadline), replies over `max_reply_bytes` are refused,
    replies nested too deep for the JSON parser are unusable (not a RecursionError), redirects
    are followed only to the same origin (307/308) so the key never goes to another host, and
    `cancel_requests()` (Ctrl-C) stops requests and retry waits at once. Credentials in the base
    URL (`user:password@`, query values) are sent but never printed: `display_url` and every
    message are redacted before they are cut.
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
        sleep: Callable[[float], None] | None = None,
        max_reply_bytes: int = 16 * 1024 * 1024,
    ) -> None:
        if max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        if timeout <= 0:
            raise ValueError("timeout must be > 0")
        if api_key is not None and any(ord(c) < 32 or ord(c) == 127 for c in api_key):
            raise ValueError(
                "the API key holds a line break or another control character; "
                "check the environment variable (the key is not shown)"
            )
        try:
            parts = urllib.parse.urlsplit(base_url.strip())
            parts.port  # noqa: B018 - raises ValueError on a bad port
        except ValueError:
            raise ValueError(f"base URL is not a valid URL: {safe_url(base_url)}") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(
                f"base URL must start with http:// or https://, got {safe_url(base_url)!r}"
            )
        self._secrets = secrets_of(api_key, parts)
        user, password = parts.username, parts.password
        netloc = parts.netloc.rpartition("@")[2]
        self.base_url = urllib.parse.urlunsplit(
            (parts.scheme, netloc, parts.path.rstrip("/"), parts.query, "")
        )
        self.display_url = safe_url(self.base_url)
        self.model = model
        self._api_key = api_key or None
        self._basic = None
        if user is not None and not self._api_key:
            raw = f"{urllib.parse.unquote(user)}:{urllib.parse.unquote(password or '')}"
            self._basic = base64.b64encode(raw.encode()).decode()
            self._secrets.append(self._basic)
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_reply_bytes = max_reply_bytes
        self._sleep = sleep
        self._rng = random.Random()
        handlers: list[Any] = [
            WatchedHTTPHandler(),
            WatchedHTTPSHandler(),
            SameOriginRedirects(),
        ]
        if (parts.hostname or "") in _LOOPBACK_HOSTS:
            # A local server is never reached through a proxy from the environment.
            handlers.append(urllib.request.ProxyHandler({}))
        self._opener = urllib.request.build_opener(*handlers)

    def __repr__(self) -> str:
        key = "set" if self._api_key else "none"
        return f"OpenAIClient(base_url={self.display_url!r}, model={self.model!r}, api_key={key})"

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
        url = self._url(path)
        shown = safe_url(url)
        data = json.dumps(payload).encode("utf-8")
        last = "no reply"
        attempts = self.max_retries + 1
        for attempt in range(attempts):
            self._check_cancelled()
            retry_after: str | None = None
            try:
                status, body, retry_after = self._attempt(url, data)
            except RedirectRefused as exc:
                where = "another origin" if exc.cross_origin else "another address"
                raise RemoteError(
                    self._redact(
                        f"{shown}: the server redirected (HTTP {exc.code}) to {where}, "
                        f"{safe_url(exc.target)}; not followed, so the API key is not sent "
                        "there (set --base-url to the final address)"
                    )
                ) from None
            except _TooLarge:
                raise RemoteError(
                    f"{shown}: reply larger than {self.max_reply_bytes:,} bytes; refused"
                ) from None
            except _Expired:
                last = f"no complete reply within the {self.timeout:g}s timeout"
            except urllib.error.URLError as exc:
                last = f"connection error ({_describe(exc.reason)})"
            except (OSError, http.client.HTTPException) as exc:
                # Timed out while reading, reset, refused, dropped, bad status line, short read.
                last = f"connection error ({_describe(exc)})"
            else:
                if status >= 400:
                    last = f"HTTP {status}{self._snippet(body)}"
                    if status != 429 and status < 500:
                        raise RemoteError(self._redact(f"{shown}: {last} (not retried)"))
                else:
                    reply, why = _decode(body)
                    if isinstance(reply, dict):
                        return reply
                    last = f"HTTP {status}: {why}{self._snippet(body) if why else ''}"
            if attempt + 1 < attempts:
                self._wait(self._delay(attempt, retry_after))
        raise RemoteError(
            self._redact(f"{shown}: gave up after {attempts} attempt(s); last status: {last}")
        )

    def _attempt(self, url: str, data: bytes) -> tuple[int, bytes, str | None]:
        """One request within the total deadline: (status, body, Retry-After)."""
        request = urllib.request.Request(url, data=data, headers=self._headers(), method="POST")
        with Watch(self.timeout) as watch:
            try:
                try:
                    response = self._opener.open(request, timeout=self.timeout)
                except urllib.error.HTTPError as exc:
                    retry_after = exc.headers.get("Retry-After") if exc.headers else None
                    try:
                        body = self._read(exc, watch)
                    except (OSError, http.client.HTTPException, _Expired):
                        body = b""  # the body of an error reply is best effort
                    finally:
                        exc.close()
                    return exc.code, body, retry_after
                with response:
                    return response.status, self._read(response, watch), None
            except (OSError, http.client.HTTPException, urllib.error.URLError):
                if CANCEL.is_set():
                    raise RequestCancelled("requests cancelled") from None
                if watch.expired:
                    raise _Expired from None
                raise

    def _read(self, response: Any, watch: Watch) -> bytes:
        chunks: list[bytes] = []
        size = 0
        read = getattr(response, "read1", None) or response.read
        while True:
            if watch.remaining() <= 0:
                raise _Expired
            chunk = read(65536)
            if not chunk:
                break
            size += len(chunk)
            if size > self.max_reply_bytes:
                raise _TooLarge
            chunks.append(chunk)
        if watch.expired:
            raise _Expired
        return b"".join(chunks)

    def _url(self, path: str) -> str:
        parts = urllib.parse.urlsplit(self.base_url)
        return urllib.parse.urlunsplit(
            (parts.scheme, parts.netloc, parts.path + path, parts.query, "")
        )

    def _check_cancelled(self) -> None:
        if CANCEL.is_set():
            raise RequestCancelled("requests cancelled")

    def _wait(self, seconds: float) -> None:
        if self._sleep is not None:
            self._sleep(seconds)
            self._check_cancelled()
            return
        if CANCEL.wait(seconds):
            raise RequestCancelled("requests cancelled")

    def _headers(self) -> dict[str, str]:
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": f"mig-cli/{__version__}",
        }
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        elif self._basic:
            headers["Authorization"] = f"Basic {self._basic}"
        return headers

    def _delay(self, attempt: int, retry_after: str | None) -> float:
        """Seconds to wait before retry number `attempt` (0-based)."""
        hinted = _parse_retry_after(retry_after)
        if hinted is not None:
            return min(hinted, self.max_backoff)
        base = min(self.backoff * (2.0**attempt), self.max_backoff)
        return base * (0.5 + 0.5 * self._rng.random())

    def _redact(self, message: str) -> str:
        return redact(message, self._secrets)

    def _snippet(self, body: bytes) -> str:
        """The start of a reply body on one line, redacted first and then cut ('' if empty)."""
        text = self._redact(body[: _SNIPPET_CHARS * 64].decode("utf-8", errors="replace"))
        text = " ".join(text.split())
        if not text:
            return ""
        if len(text) > _SNIPPET_CHARS:
            text = text[:_SNIPPET_CHARS] + "..."
        return f": {text}"


class _Expired(Exception):
    pass


def _decode(body: bytes) -> tuple[Any, str]:
    """The reply as JSON, or (None, why it is unusable)."""
    try:
        reply = json.loads(body)
    except RecursionError:
        return None, "reply is nested too deep to read"
    except ValueError:
        return None, "reply is not valid JSON"
    if not isinstance(reply, dict):
        return None, "reply is not a JSON object"
    return reply, ""


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


def _describe(reason: object) -> str:
    """An exception (or a URLError reason, which may be a plain string) in a few words."""
    text = str(reason).strip()
    if not isinstance(reason, BaseException):
        return text or "unknown"
    name = type(reason).__name__
    return f"{name}: {text}" if text else name
