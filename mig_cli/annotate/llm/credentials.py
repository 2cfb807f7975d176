"""Credentials of an OpenAI-compatible server: where the key comes from, and keeping it out of
every message.

`api_key_from_env` reads the key from an environment variable; `safe_url` prints a URL without
its credentials (`user:password@`, query values); `secrets_of` lists every string that must
never be printed (the key, its pieces, URL credentials) and `redact` replaces them with `***`.
Standard library only.
"""

from __future__ import annotations

import os
import urllib.parse


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


def secrets_of(api_key: str | None, parts: urllib.parse.SplitResult) -> list[str]:
    """Every string that must never be printed: the key (and its pieces), URL credentials."""
    found: list[str] = []
    if api_key:
        found.append(api_key)
        found.extend(piece for piece in api_key.split() if len(piece) >= 6)
    for value in (parts.username, parts.password):
        if value:
            found.extend([value, urllib.parse.unquote(value)])
    if parts.username is not None:
        found.append(parts.netloc.rpartition("@")[0])
    for _, value in urllib.parse.parse_qsl(parts.query, keep_blank_values=False):
        if len(value) >= 4:
            found.extend([value, urllib.parse.quote(value, safe="")])
    return sorted({s for s in found if s}, key=len, reverse=True)


def redact(message: str, secrets: list[str]) -> str:
    """`message` with every secret replaced by `***` (longest first), before any cutting."""
    for secret in secrets:
        message = message.replace(secret, "***")
    return message
