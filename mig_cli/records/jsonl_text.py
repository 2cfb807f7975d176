"""JSONL and JSON-array text: splitting lines and parsing records exactly.

Lines end in LF, CRLF or CR alone (`iter_lines`, `as_line`); a UTF-8 byte-order mark is
skipped. `parse_jsonl` reads a whole text input into a `Pool`, keeping each JSONL line byte for
byte (a JSON array's items are dumped one a line); values are parsed exactly (see
`jsonvalues`): integers of any size, NaN literals. A line that is not a JSON object, a broken
array, or one object spread over several lines raises a `DataError` naming the file and line.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import IO

import numpy as np
import orjson

from ..errors import DataError
from .input_files import BOM, CHUNK, InputFile, read_all
from .jsonvalues import _DIGITS_AS_ZERO, _NINETEEN, dump_record, load_record
from .pool import Pool, gc_paused


def iter_lines(fh: IO[bytes]) -> Iterator[bytes]:
    """Lines of a byte stream, ending in LF, CRLF or CR alone (kept); the BOM removed."""
    carry = b""
    first = True
    while True:
        chunk = fh.read(CHUNK)
        if not chunk:
            break
        if first:
            first = False
            if chunk.startswith(BOM):
                chunk = chunk[len(BOM) :]
        parts = (carry + chunk).splitlines(keepends=True)
        # the last piece may be cut (or be a CR whose LF comes in the next chunk)
        carry = parts.pop() if parts and not parts[-1].endswith(b"\n") else b""
        yield from parts
    if carry:
        yield carry


def as_line(line: bytes) -> bytes:
    """A kept line ending in a single LF (CRLF kept as is; a lone CR becomes LF)."""
    if line.endswith(b"\n"):
        return line
    return line.rstrip(b"\r") + b"\n"


def parse_line(line: bytes) -> tuple[dict | None, str | None]:
    """One JSONL line as (record, None) or (None, why it cannot be read)."""
    try:
        record = load_record(line)
    except ValueError as exc:
        return None, f"not valid JSON ({exc})"
    if not isinstance(record, dict):
        return None, f"expected a JSON object, got {_json_type(record)}"
    return record, None


def _json_type(value: object) -> str:
    return {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number"
    )


def starts_array(data: bytes) -> bool:
    head = data.lstrip()
    return head.startswith(b"[")


def parse_array(data: bytes, source: str) -> list | None:
    """The records of a JSON array document; None when the text is JSONL after all."""
    try:
        value = load_record(data)
    except ValueError as exc:
        first = data.lstrip().split(b"\n", 1)[0]
        if _whole(first):
            return None  # the first line is a document on its own: this is JSONL
        raise DataError(f"not a valid JSON array ({_position(data, exc)})", source=source) from None
    if not isinstance(value, list):
        return None
    return value


def _whole(line: bytes) -> bool:
    try:
        load_record(line)
    except ValueError:
        return False
    return True


def _position(data: bytes, exc: ValueError) -> str:
    try:
        orjson.loads(data)
    except orjson.JSONDecodeError as err:
        return str(err)
    except Exception:  # noqa: BLE001 - only used to word the message
        pass
    return str(exc)


_SINGLE_OBJECT = (
    "holds one JSON object spread over several lines, not one record per line (JSONL) "
    "or a JSON array of records"
)


def check_single_object(info: InputFile) -> None:
    """DataError when a text input whose first line is broken is one multi-line object."""
    assert info.path is not None
    if info.path.stat().st_size > 256 * 1024 * 1024:
        return
    data = read_all(info)
    with contextlib.suppress(ValueError):
        if isinstance(load_record(data), dict) and b"\n" in data.strip():
            raise DataError(_SINGLE_OBJECT, source=info.source)


def parse_jsonl(data: bytes, source: str) -> Pool:
    """Split JSONL bytes (or a JSON array) into records; JSONL lines are kept byte for byte."""
    if data.startswith(BOM):
        data = data[len(BOM) :]
    with gc_paused():
        if starts_array(data):
            items = parse_array(data, source)
            if items is not None:
                return _array_pool(items, source)
        return _parse_jsonl(data, source)


def _array_pool(items: list, source: str) -> Pool:
    records: list[dict] = []
    lines: list[bytes] = []
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise DataError(
                f"expected a JSON object, got {_json_type(item)} (array item {number})",
                source=source,
                line=number,
            )
        records.append(item)
        try:
            lines.append(dump_record(item))
        except ValueError as exc:
            raise DataError(str(exc), source=source, line=number) from None
    numbers = np.arange(1, len(records) + 1, dtype=np.int64)
    return Pool(source, records=records, lines=lines, line_numbers=numbers)


def _parse_jsonl(data: bytes, source: str) -> Pool:
    kept: list[bytes] = []
    records: list[dict] = []
    numbers: list[int] = []
    loads, digits, nineteen = orjson.loads, _DIGITS_AS_ZERO, _NINETEEN
    careful = nineteen in data.translate(digits)  # some line may hold a 64-bit+ integer
    for number, line in enumerate(data.splitlines(keepends=True), start=1):
        if not line or line.isspace():
            continue
        record = None
        if not careful or nineteen not in line.translate(digits):  # orjson is exact here
            try:
                record = loads(line)
            except orjson.JSONDecodeError:
                pass
        if type(record) is not dict:
            record, error = parse_line(line)
            if error is not None:
                if not records and line.lstrip().startswith(b"{"):
                    with contextlib.suppress(ValueError):
                        if isinstance(load_record(data), dict):
                            raise DataError(_SINGLE_OBJECT, source=source) from None
                raise DataError(error, source=source, line=number)
        kept.append(line if line.endswith(b"\n") else as_line(line))
        records.append(record)  # type: ignore[arg-type]
        numbers.append(number)
    return Pool(source, records=records, lines=kept, line_numbers=np.array(numbers, dtype=np.int64))
