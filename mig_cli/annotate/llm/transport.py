"""The HTTP transport under `client.OpenAIClient`: cancellation, a total deadline per attempt,
and a same-origin redirect policy, on top of `urllib.request`.

`cancel_requests()` (Ctrl-C) sets `CANCEL` and shuts down the socket of every attempt in flight
(each inside a `Watch`); the client then raises `RequestCancelled` (a `RemoteError`) in its
worker threads. A `Watch` also shuts its socket down at its deadline, so a reply trickled a
byte at a time cannot outlive the timeout; the `Watched*Handler`s hand it the socket. With
`SameOriginRedirects`, only 307/308 redirects to the same origin are followed; any other raises
`RedirectRefused`, so the API key is never sent to another host. Standard library only.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import threading
import time
import urllib.parse
import urllib.request

from ...errors import RemoteError


class RequestCancelled(RemoteError):
    """Requests were cancelled (Ctrl-C): raised in the worker threads, which stop at once."""


CANCEL = threading.Event()
_ACTIVE: set[Watch] = set()
_ACTIVE_LOCK = threading.Lock()
_CURRENT = threading.local()


def cancel_requests() -> None:
    """Stop every request in flight and every retry wait, in all clients, now (Ctrl-C)."""
    CANCEL.set()
    with _ACTIVE_LOCK:
        watches = list(_ACTIVE)
    for watch in watches:
        watch.stop()


def allow_requests() -> None:
    """Undo `cancel_requests` (a new run in the same process)."""
    CANCEL.clear()


class Watch:
    """One attempt's deadline: at the deadline (or on cancel) its socket is shut down, so a
    reply trickled a byte at a time cannot outlive the total per-request timeout."""

    def __init__(self, seconds: float) -> None:
        self.deadline = time.monotonic() + seconds
        self.sock: socket.socket | None = None
        self.expired = False
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> Watch:
        with _ACTIVE_LOCK:
            _ACTIVE.add(self)
        _CURRENT.watch = self
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()
        _CURRENT.watch = None
        with _ACTIVE_LOCK:
            _ACTIVE.discard(self)

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def _expire(self) -> None:
        self.expired = True
        self.stop()

    def stop(self) -> None:
        sock = self.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _Watched:
    """Mixin for an `http.client` connection: hands its socket to the thread's current watch."""

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        watch = getattr(_CURRENT, "watch", None)
        if watch is not None:
            watch.sock = self.sock  # type: ignore[attr-defined]


class WatchedHTTPConnection(_Watched, http.client.HTTPConnection):
    pass


class WatchedHTTPSConnection(_Watched, http.client.HTTPSConnection):
    pass


class WatchedHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req):  # noqa: ANN001 - urllib's signature
        return self.do_open(WatchedHTTPConnection, req)


class WatchedHTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req):  # noqa: ANN001 - urllib's signature
        return self.do_open(WatchedHTTPSConnection, req, context=self._context)


class RedirectRefused(Exception):
    def __init__(self, code: int, target: str, cross_origin: bool) -> None:
        super().__init__(target)
        self.code, self.target, self.cross_origin = code, target, cross_origin


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urllib.parse.urlsplit(url)
    default = {"http": 80, "https": 443}.get(parts.scheme)
    try:
        port = parts.port or default
    except ValueError:
        port = None
    return parts.scheme, (parts.hostname or "").lower(), port


class SameOriginRedirects(urllib.request.HTTPRedirectHandler):
    """Follow only 307/308 redirects to the same origin (same method, body and key); any
    other redirect is refused, so the key is never sent to another host."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001, PLR0913
        target = urllib.parse.urljoin(req.full_url, newurl)
        cross = _origin(target) != _origin(req.full_url)
        if cross or code not in (307, 308):
            raise RedirectRefused(code, target, cross)
        return urllib.request.Request(
            target, data=req.data, headers=dict(req.header_items()), method=req.get_method()
        )
