"""Indexing a JSONL pool in one pass: each line's byte offset, length, line number, id and the
wanted fields, with no text kept (`index_jsonl`, used by `pool_index.index_pool`).

Lines are split as `jsonl_text` splits them (`line_chunks`, `iter_lines`): LF, CRLF or a lone CR
end a line, blank lines are skipped but counted, a UTF-8 byte order mark is skipped. The file
is read `READ_BYTES` at a time; offsets are in the uncompressed stream of a gzip file. A line
that is not a JSON object, and an unreadable or corrupt file, raise `DataError` naming the
file (and line).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np
import orjson
import pyarrow as pa

from ..errors import DataError
from .fields import get_path
from .index_fields import FieldBlock, FieldReader, Wanted
from .input_files import GZIP_ERRORS, InputFile, gzip_error, open_bytes
from .jsonl_text import parse_line
from .pool import MISSING

if TYPE_CHECKING:
    from .pool_index import PoolIndex

READ_BYTES = 1 << 24  # bytes read from the file at a time
BOM = b"\xef\xbb\xbf"


def line_chunks(fh) -> Iterator[list[bytes] | None]:
    """Lines of a binary stream (with their endings), a few megabytes at a time.

    None first when the stream starts with a byte order mark (3 bytes that are not a line).
    """
    carry = b""
    first = True
    while True:
        chunk = fh.read(READ_BYTES)
        if first:
            first = False
            if chunk.startswith(BOM):
                chunk = chunk[len(BOM) :]
                yield None
        if not chunk:
            if carry:
                yield carry.splitlines(keepends=True)
            return
        lines = (carry + chunk).splitlines(keepends=True)
        # a last line without \n may go on in the next chunk (a \r may be half of \r\n)
        carry = b"" if lines[-1].endswith(b"\n") else lines.pop()
        if lines:
            yield lines


def iter_lines(info: InputFile) -> Iterator[tuple[int, int, bytes]]:
    """(line number, byte offset, line) for every non-blank line of a text input."""
    number = 0
    offset = 0
    with open_bytes(info) as fh:
        try:
            for lines in line_chunks(fh):
                if lines is None:
                    offset += len(BOM)
                    continue
                for line in lines:
                    number += 1
                    if not line.isspace():
                        yield number, offset, line
                    offset += len(line)
        except GZIP_ERRORS as exc:
            raise gzip_error(info, exc) from None
        except OSError as exc:
            raise DataError(f"cannot read: {exc.strerror or exc}", source=info.source) from None


def parse_record(line: bytes, source: str, number: int) -> dict:
    """A line as `jsonl_text.parse_line` reads it (exact values); a `DataError` naming the line."""
    record, error = parse_line(line)
    if error is not None:
        raise DataError(error, source=source, line=number)
    return record  # type: ignore[return-value]


def _get(record: dict, path: str):
    if "." not in path:
        return record.get(path, MISSING)
    return get_path(record, path, MISSING)


def index_jsonl(index: PoolIndex, wanted: Wanted) -> None:
    """One pass over the lines: parse each, keep the wanted fields, pack them per chunk."""
    assert index.path is not None
    reader = FieldReader(index, wanted)
    fields = [f for f in (wanted.labels_field, wanted.score_field) if f]
    extra = [f for f in wanted.extra_fields if f not in fields]
    fields += extra
    plain = all("." not in f for f in fields)
    extra_parts: dict[str, list] = {f: [] for f in extra}
    id_field = wanted.id_field
    source = index.source
    offsets, lengths, numbers, id_parts = [], [], [], []
    loads = orjson.loads
    number = 0  # lines so far
    offset = 0  # bytes so far
    with open_bytes(index.info) as fh:
        try:
            for lines in line_chunks(fh):
                if lines is None:
                    offset += len(BOM)
                    continue
                ids: list = []
                values: dict[str, list] = {f: [] for f in fields}
                columns = [(f, values[f].append) for f in fields]
                skipped: list[int] = []
                id_append = ids.append
                for i, line in enumerate(lines):
                    try:
                        record = loads(line)
                    except orjson.JSONDecodeError:
                        if line.isspace():
                            skipped.append(i)
                            continue
                        record = parse_record(line, source, number + i + 1)
                    if type(record) is not dict:
                        record = parse_record(line, source, number + i + 1)
                    get = record.get
                    rid = get(id_field)
                    if type(rid) is float:  # maybe an integer beyond 64 bits: read exactly
                        rid = parse_record(line, source, number + i + 1).get(id_field)
                    id_append(rid)
                    if plain:
                        for name, append in columns:
                            append(get(name, MISSING))
                    else:
                        for name, append in columns:
                            append(_get(record, name))
                sizes = np.fromiter(map(len, lines), dtype=np.int64, count=len(lines))
                starts = offset + np.cumsum(sizes) - sizes
                lines_no = np.arange(number + 1, number + len(lines) + 1, dtype=np.int64)
                number += len(lines)
                offset += int(sizes.sum())
                if skipped:
                    sizes = np.delete(sizes, skipped)
                    starts = np.delete(starts, skipped)
                    lines_no = np.delete(lines_no, skipped)
                if not len(lines_no):
                    continue
                offsets.append(starts)
                lengths.append(sizes)
                numbers.append(lines_no)
                id_parts.append(_id_array(ids))
                for f in extra:
                    extra_parts[f].extend(values.pop(f))
                absent = {f: values[f].count(MISSING) for f in values}
                reader.block(FieldBlock(source, lines_no, values), absent)
        except GZIP_ERRORS as exc:
            raise gzip_error(index.info, exc) from None
        except OSError as exc:
            raise DataError(f"cannot read: {exc.strerror or exc}", source=source) from None
    if not offsets:
        index.rows = 0
        return
    index.offsets = np.concatenate(offsets)
    index.lengths = np.concatenate(lengths)
    index.line_numbers = np.concatenate(numbers)
    index.rows = len(index.offsets)
    index._ids = pa.chunked_array(id_parts, type=pa.string()).combine_chunks()
    index._extra = extra_parts
    reader.finish()


def _id_array(ids: list) -> pa.Array:
    """Ids as strings (None where a record has none), like `Pool.ids`."""
    try:
        return pa.array(ids, type=pa.string())
    except (pa.ArrowException, TypeError, ValueError):
        return pa.array([None if v is None else str(v) for v in ids], type=pa.string())
