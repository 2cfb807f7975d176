"""A real, local HTTP server speaking enough of the OpenAI protocol to test `annotate.llm.client`.

    with FakeOpenAI() as server:
        client = OpenAIClient(server.base_url, "fake-model")
        server.schedule("429", "500")           # the next two requests fail, then normal replies
        server.when("BROKEN", "garbage")         # every request whose text holds "BROKEN"
        server.when("task-1", digits={"5": 0.5, "6": 0.5})  # rating distribution for a text

It serves POST /v1/chat/completions and /v1/completions on 127.0.0.1 (a free port) from a
daemon thread. Replies are deterministic, derived from the request text:

- a chat request that asks for no log-probabilities and allows more than 8 tokens is a tagging
  request: the reply is a JSON list of {"tag", "explanation"}, one per distinct word of 5+
  letters in the first user message (at most 4, in order of first appearance);
- any other request is a rating: a distribution over tokens is chosen (the first `when` rule
  with `digits=` whose text occurs in the request, else one derived from a hash of the text),
  the reply text is its most likely token, and log-probabilities are returned when asked for
  (`logprobs: true, top_logprobs: N` for chat; `logprobs: N` for completions), the top N only.

Faults (a string, or `Fault(...)` for options): "429" (with Retry-After), "500", "503", "400",
"401", "slow" (waits `delay` seconds before replying, longer than a short client timeout),
"malformed" (status 200 with a body that is not JSON), "drop" (closes the connection without a
reply), "garbage" (a valid reply whose text holds no tags and no digit), "nologprobs" (a
valid reply without log-probabilities), "redirect" (status `code` to `location`), "trickle"
(a valid reply sent one byte every `delay` seconds), "huge" (a 200 reply of `size` bytes),
"deep" (a 200 reply of JSON nested `size` deep) and "echo" (a 400 whose body is `pad`
characters and then the Authorization header, so a cut message would show part of it).
`schedule` queues faults for the next requests in
arrival order; `when` applies one to every request (or the first `times`) whose text holds a
string. Error bodies echo the request's Authorization header, so tests can check that a client
keeps its key out of its messages.

Every request is recorded in `requests`. The server is bounded: after `max_requests` it answers
503, slow replies end when the server stops, and it stops itself after `lifetime` seconds.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

FAULT_KINDS = {"429", "500", "503", "400", "401", "slow", "malformed", "drop", "garbage"}
FAULT_KINDS |= {"nologprobs", "redirect", "trickle", "huge", "deep", "echo"}
GARBAGE_TEXT = "Sorry, I am not able to help with that request today."


@dataclass(frozen=True)
class Fault:
    """One injected fault. `retry_after` is the header value sent with a 429 (None: no header);
    `delay` is how long a "slow" reply waits."""

    kind: str
    retry_after: str | None = "0"
    delay: float = 2.0
    location: str = ""  # redirect: where to (absolute, or a path on this server)
    code: int = 307  # redirect: the status
    size: int = 1 << 20  # huge: bytes sent; deep: nesting depth
    pad: int = 0  # echo / error bodies: characters before the echoed Authorization header

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {self.kind!r}")


@dataclass
class RecordedRequest:
    """What the server received, and which fault (if any) it answered with."""

    path: str
    headers: dict[str, str]  # lower-case names
    raw: bytes
    body: Any  # decoded JSON, or None when the body was not JSON
    text: str  # all message contents (chat) or the prompt (completions), joined
    fault: str | None


@dataclass
class _Rule:
    needle: str
    fault: Fault | None = None
    digits: dict[str, float] | None = None
    times: int | None = None  # None: no limit


@dataclass
class _State:
    lock: threading.Lock = field(default_factory=threading.Lock)
    queue: deque[Fault] = field(default_factory=deque)
    rules: list[_Rule] = field(default_factory=list)
    requests: list[RecordedRequest] = field(default_factory=list)


def hashed_digits(text: str) -> dict[str, float]:
    """The default rating distribution for a request text: 0.6 on one digit, 0.3 on the next
    and 0.1 on a token that is not a digit."""
    d = int(hashlib.sha256(text.encode("utf-8")).hexdigest(), 16) % 6 + 1
    return {str(d): 0.6, str(d % 6 + 1): 0.3, "The": 0.1}


def words_as_tags(query: str) -> list[str]:
    """The tags the fake gives a query: distinct lower-cased words of 5+ letters, at most 4."""
    seen: list[str] = []
    for word in re.findall(r"[a-z]{5,}", query.lower()):
        if word not in seen:
            seen.append(word)
    return seen[:4]


def _as_fault(value: str | Fault) -> Fault:
    return value if isinstance(value, Fault) else Fault(value)


class FakeOpenAI:
    """The server; use as a context manager (or call `start` and `stop`)."""

    def __init__(
        self,
        *,
        model: str = "fake-model",
        max_requests: int = 2000,
        lifetime: float = 120.0,
        jitter: float = 0.0,
        logprobs: bool = True,
    ) -> None:
        self.model = model
        self.max_requests = max_requests
        self.lifetime = lifetime
        self.jitter = jitter  # each reply waits a pseudo-random 0..jitter seconds
        self.logprobs = logprobs  # False: never return log-probabilities
        self._state = _State()
        self._stopped = threading.Event()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None
        self._timer: threading.Timer | None = None

    # -- control ---------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        assert self._httpd is not None, "server not started"
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._state.lock:
            return list(self._state.requests)

    def schedule(self, *faults: str | Fault) -> None:
        """Answer the next requests, in arrival order, with these faults."""
        with self._state.lock:
            self._state.queue.extend(_as_fault(f) for f in faults)

    def when(
        self,
        needle: str,
        fault: str | Fault | None = None,
        *,
        digits: dict[str, float] | None = None,
        times: int | None = None,
    ) -> None:
        """For requests whose text holds `needle` (all, or the first `times`): answer with
        `fault`, or rate with the token distribution `digits` (probabilities)."""
        if (fault is None) == (digits is None):
            raise ValueError("give exactly one of fault and digits")
        rule = _Rule(needle, _as_fault(fault) if fault is not None else None, digits, times)
        with self._state.lock:
            self._state.rules.append(rule)

    def start(self) -> FakeOpenAI:
        handler = type("Handler", (_Handler,), {"fake": self})
        httpd = _Server(("127.0.0.1", 0), handler)
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        self._timer = threading.Timer(self.lifetime, self.stop)
        self._timer.daemon = True
        self._timer.start()
        return self

    def stop(self) -> None:
        if self._stopped.is_set():
            return
        self._stopped.set()
        if self._timer is not None and threading.current_thread() is not self._timer:
            self._timer.cancel()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- request handling (called from handler threads) -------------------------------------

    def _pick(self, text: str) -> tuple[Fault | None, dict[str, float] | None, int]:
        """The fault for this request (queue first, then rules), its rating distribution and
        its 1-based request number."""
        state = self._state
        with state.lock:
            number = len(state.requests) + 1
            fault = state.queue.popleft() if state.queue else None
            digits = None
            for rule in state.rules:
                if rule.needle not in text or rule.times == 0:
                    continue
                if rule.fault is not None and fault is None:
                    fault = rule.fault
                elif rule.digits is not None and digits is None:
                    digits = rule.digits
                else:
                    continue
                if rule.times is not None:
                    rule.times -= 1
        return fault, digits, number

    def _record(self, request: RecordedRequest) -> None:
        with self._state.lock:
            self._state.requests.append(request)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128  # many concurrent clients connect at once


class _Handler(BaseHTTPRequestHandler):
    fake: FakeOpenAI  # set on the subclass made in FakeOpenAI.start

    def log_message(self, format: str, *args: Any) -> None:  # silence stderr logging
        pass

    def do_GET(self) -> None:
        if self.path.rstrip("/") == "/v1/models":
            self._json(200, {"object": "list", "data": [{"id": self.fake.model}]})
        else:
            self._json(404, {"error": {"message": f"no route {self.path}"}})

    def do_POST(self) -> None:
        fake = self.fake
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        route = self.path.split("?", 1)[0].rstrip("/")
        text = _request_text(route, body)
        fault, digits, number = fake._pick(text)
        if number > fake.max_requests:
            fault = Fault("503")
        headers = {k.lower(): v for k, v in self.headers.items()}
        fake._record(RecordedRequest(route, headers, raw, body, text, fault and fault.kind))

        if fake.jitter:
            h = int(hashlib.sha256(f"{number}:{text}".encode()).hexdigest(), 16)
            fake._stopped.wait(fake.jitter * (h % 1000) / 1000)
        kind = fault.kind if fault else None
        if kind == "slow":
            fake._stopped.wait(fault.delay)
            kind = None
        if kind == "drop":
            self.close_connection = True
            return
        if kind == "redirect":
            target = fault.location
            if target.startswith("/"):
                host, port = self.server.server_address[:2]
                target = f"http://{host}:{port}{target}"
            self._send(fault.code, b"", "text/plain", {"Location": target})
            return
        if kind == "trickle":
            data = json.dumps(_reply(fake, route, body or {}, text, digits, None)).encode()
            self._trickle(data, fault.delay)
            return
        if kind == "huge":
            self._stream(200, b" " * fault.size)
            return
        if kind == "deep":
            self._send(200, b"[" * fault.size + b"]" * fault.size, "application/json")
            return
        if kind == "echo":
            echo = self.headers.get("Authorization", "")
            self._send(400, ("x" * fault.pad + " " + echo).encode(), "text/plain")
            return
        if kind in ("429", "500", "503", "400", "401"):
            extra = {}
            if kind == "429" and fault.retry_after is not None:
                extra["Retry-After"] = fault.retry_after
            echo = self.headers.get("Authorization", "")
            message = f"injected {kind}; you sent Authorization: {echo}"
            self._json(int(kind), {"error": {"message": message, "type": "fake"}}, extra)
            return
        if kind == "malformed":
            self._send(200, b'{"choices": [{"message": ', "application/json")
            return
        if not isinstance(body, dict) or route not in ("/v1/chat/completions", "/v1/completions"):
            self._json(400 if route.startswith("/v1/") else 404, {"error": {"message": "bad"}})
            return
        self._json(200, _reply(fake, route, body, text, digits, kind))

    def _trickle(self, data: bytes, delay: float) -> None:
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            for i in range(len(data)):
                if self.fake._stopped.wait(delay):
                    return
                self.wfile.write(data[i : i + 1])
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, OSError):
            pass

    def _stream(self, status: int, data: bytes) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            for i in range(0, len(data), 1 << 16):
                self.wfile.write(data[i : i + (1 << 16)])
        except (BrokenPipeError, ConnectionResetError, OSError):
            pass

    def _json(self, status: int, obj: Any, extra: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(obj).encode("utf-8"), "application/json", extra)

    def _send(
        self, status: int, data: bytes, ctype: str, extra: dict[str, str] | None = None
    ) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            for name, value in (extra or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout) before the reply


def _request_text(route: str, body: Any) -> str:
    if not isinstance(body, dict):
        return ""
    if route.endswith("/chat/completions"):
        messages = body.get("messages") or []
        return "\n".join(str(m.get("content", "")) for m in messages if isinstance(m, dict))
    prompt = body.get("prompt", "")
    return prompt if isinstance(prompt, str) else json.dumps(prompt)


def _first_user(body: dict[str, Any]) -> str:
    for message in body.get("messages") or []:
        if isinstance(message, dict) and message.get("role") == "user":
            return str(message.get("content", ""))
    return ""


def _reply(
    fake: FakeOpenAI,
    route: str,
    body: dict[str, Any],
    text: str,
    digits: dict[str, float] | None,
    kind: str | None,
) -> dict[str, Any]:
    chat = route.endswith("/chat/completions")
    if chat:
        wants = int(body.get("top_logprobs") or 0) if body.get("logprobs") else 0
    else:
        wants = int(body.get("logprobs") or 0)
    if not fake.logprobs or kind == "nologprobs":
        wants = 0
    rating = not chat or bool(body.get("logprobs")) or int(body.get("max_tokens") or 999) <= 8

    top: list[tuple[str, float]] = []
    if kind == "garbage":
        content = GARBAGE_TEXT
    elif rating:
        dist = digits if digits is not None else hashed_digits(text)
        top = sorted(((t, math.log(p)) for t, p in dist.items() if p > 0), key=lambda x: -x[1])
        content = top[0][0]
    else:
        tags = words_as_tags(_first_user(body))
        content = json.dumps([{"tag": t, "explanation": f"The query mentions {t}."} for t in tags])

    base = {"id": "fake-1", "created": int(time.time()), "model": body.get("model", fake.model)}
    usage = {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
    token = content if top else None
    if chat:
        logprobs = None
        if wants and token is not None:
            logprobs = {
                "content": [
                    {
                        "token": token,
                        "logprob": top[0][1],
                        "bytes": list(token.encode()),
                        "top_logprobs": [
                            {"token": t, "logprob": lp, "bytes": list(t.encode())}
                            for t, lp in top[:wants]
                        ],
                    }
                ]
            }
        choice = {
            "index": 0,
            "message": {"role": "assistant", "content": content},
            "logprobs": logprobs,
            "finish_reason": "stop",
        }
        return {**base, "object": "chat.completion", "choices": [choice], "usage": usage}
    logprobs = None
    if wants and token is not None:
        logprobs = {
            "tokens": [token],
            "token_logprobs": [top[0][1]],
            "top_logprobs": [dict(top[:wants])],
            "text_offset": [0],
        }
    choice = {"index": 0, "text": content, "logprobs": logprobs, "finish_reason": "length"}
    return {**base, "object": "text_completion", "choices": [choice], "usage": usage}
