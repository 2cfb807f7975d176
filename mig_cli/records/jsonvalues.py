"""JSON values that pass through exactly: parsing one record, and writing one back.

`orjson` is fast but not exact on every input: it silently turns integers outside the 64-bit
range into floats (2**64 -> 1.8446744073709552e19), writes NaN as `null`, and rejects the `NaN` /
`Infinity` literals that Python's `json` writes. `load_record` uses orjson for the common line
and Python's `json` (exact integers of any size, the NaN literals) for the rest; `dump_record`
writes a record so that reading it back gives the same values, or raises `ValueError` naming the
field that cannot be written as JSON.

Refused on input (`ValueError` with a short reason): text that is not UTF-8, strings holding a
lone surrogate escape (such as "\\ud83d", which is no Unicode text), nesting deeper than the
parser allows, numbers with more than 4,300 digits (Python's limit).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import numpy as np
import orjson

# An integer of 19+ digits may lie outside the 64-bit range, which orjson reads as a float. An
# integer starts after one of `:,[-` or white space (a fraction's digits follow a `.`), so map
# digits to "0" and those to ":" and look for ":" and 19 zeros (10x faster than a regex).
_DIGITS_AS_ZERO = bytes(
    48 if 48 <= i <= 57 else 58 if chr(i) in ":,[- \t\r\n" else i for i in range(256)
)
_NINETEEN = b":" + b"0" * 19
_NON_STANDARD = re.compile(rb"NaN|Infinity")


def load_record(data: bytes) -> Any:
    """Parse one JSON document exactly. Raises ValueError with a short reason."""
    if _NINETEEN not in data.translate(_DIGITS_AS_ZERO):
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            reason = str(exc).split(":")[0]
            if not _NON_STANDARD.search(data):
                raise ValueError(_plain(reason)) from None
    return _python_loads(data)


def _plain(reason: str) -> str:
    if "surrogate" in reason:
        return "a string holds a lone surrogate escape (not Unicode text)"
    if "depth limit" in reason or "recursion" in reason:
        return "nested deeper than the parser allows"
    if "not valid UTF-8" in reason:
        return "not UTF-8 text"
    return reason


def _python_loads(data: bytes) -> Any:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("not UTF-8 text") from None
    try:
        value = json.loads(text)
    except RecursionError:
        raise ValueError("nested deeper than the parser allows") from None
    except json.JSONDecodeError as exc:
        raise ValueError(exc.msg) from None
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        raise ValueError(str(exc).split(";")[0]) from None
    _check_text(value)
    return value


def _check_text(value: Any, depth: int = 0) -> None:
    """Refuse strings with lone surrogates (Python's json accepts them)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise ValueError(
                    "a string holds a lone surrogate escape (not Unicode text)"
                ) from None
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (bytes, bytearray, memoryview)):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            raise TypeError("binary data that is not UTF-8 text") from None
    if hasattr(value, "isoformat"):  # dates and times from Parquet
        return value.isoformat()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if hasattr(value, "as_tuple"):  # decimal.Decimal: its exact digits
        raise TypeError("a decimal (write Parquet to keep it exact)")
    raise TypeError(f"a {type(value).__name__}")


def dump_record(record: Any) -> bytes:
    """One JSON line (with the newline) that reads back to the same values.

    NaN and infinities are written as the `NaN` / `Infinity` literals (as Python's `json`
    does; `mig` reads them back), never as `null`. Raises ValueError naming the first field
    that cannot be written (binary data that is not UTF-8, lone surrogates, other objects).
    """
    try:
        out = orjson.dumps(record, default=_default, option=orjson.OPT_SERIALIZE_NUMPY)
    except (orjson.JSONEncodeError, TypeError):
        out = None
    if out is not None and (b"null" not in out or not _has_non_finite(record)):
        return out + b"\n"
    try:
        text = json.dumps(
            record, default=_default, ensure_ascii=False, allow_nan=True, separators=(",", ":")
        )
        return text.encode("utf-8") + b"\n"
    except (TypeError, ValueError, UnicodeEncodeError, RecursionError) as exc:
        path, why = _first_bad(record)
        raise ValueError(f"field '{path}' cannot be written as JSON: {why or exc}") from None


def _has_non_finite(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, float):
            if not math.isfinite(item):
                return True
        elif isinstance(item, np.floating):
            if not np.isfinite(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, np.ndarray) and item.dtype.kind == "f":
            if not np.isfinite(item).all():
                return True
    return False


def _first_bad(value: Any, path: str = "") -> tuple[str, str]:
    """The dotted path of the first value that JSON cannot hold, and why."""
    if isinstance(value, dict):
        for key, item in value.items():
            found = _first_bad(item, f"{path}.{key}" if path else str(key))
            if found[1]:
                return found
        return path, ""
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            found = _first_bad(item, f"{path}.{i}" if path else str(i))
            if found[1]:
                return found
        return path, ""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return path, "a lone surrogate (not Unicode text)"
        return path, ""
    if value is None or isinstance(value, (bool, int, float)):
        return path, ""
    try:
        _default(value)
    except TypeError as exc:
        return path, str(exc)
    return path, ""
