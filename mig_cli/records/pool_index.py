"""What selection needs of a pool, without its text: labels, scores, ids and where each row lives.

`index_pool` reads a pool once and keeps only the fields the sampler reads (validated as
`annotations` does) and, for JSONL, each line's byte offset, length and line number. Memory is
bounded by the labels, not by the text: a 1 KB chat record costs the same as an empty one. The
selected rows are then copied from the source in a second pass (`subset_pool`): JSONL lines byte
for byte (`os.pread` at the recorded offsets; a gzip file is streamed again), Parquet rows from
the columns already read when they are all the columns, else by streaming the file's batches.

Inputs are opened through `formats.open_input` (the one reader path): stdin, pipes and FIFOs
are spooled to a temporary file (removed at exit), gzip and Parquet are recognised by content.
Kinds of source:
- `jsonl` / `jsonl.gz`: JSONL, plain or compressed (offsets are in the uncompressed stream; a
  compressed file is decompressed again for the second pass);
- `parquet`: only the columns holding labels, score, id (and quota fields) are read, labels as
  dictionary codes;
- `pool`: anything else (`datasets` folders, Hub names, a file holding one JSON array) is read
  whole with `formats.read_pool`, as the other commands read it.

Lines are split as `formats` splits them: LF, CRLF or a lone CR end a line, blank lines are
skipped but counted, a UTF-8 byte order mark is skipped; a copied line ends as `formats.as_line`
makes it end.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..errors import DataError
from .annotations import (
    Annotations,
    LabelColumn,
    read_labels,
    read_scores,
    read_xsample_scores,
    resolve_fields,
)
from .fields import get_path
from .formats import (
    _GZIP_ERRORS,
    InputFile,
    as_line,
    gzip_error,
    open_bytes,
    open_input,
    parse_line,
    read_pool,
    starts_array,
)
from .matching import line_digest, record_digest
from .pool import MISSING, Pool, gc_paused
from .writers import output_format, write_pool_rows

BLOCK_ROWS = 65_536  # rows validated and packed at a time
READ_BYTES = 1 << 24  # bytes read from the file at a time
BOM = b"\xef\xbb\xbf"


@dataclass
class Wanted:
    """The fields to read: labels and/or score (None: not needed), and the id field.

    With `labels_optional`, labels are read and checked when records carry them, and a pool
    without any is not short of anything.
    """

    labels_field: str | None = "labels"
    score_field: str | None = "score"
    preset: str | None = None
    id_field: str = "id"
    labels_optional: bool = False
    extra_fields: list[str] = field(default_factory=list)  # kept as Python values (quotas)

    @classmethod
    def for_method(
        cls, method: str, labels_field: str | None, score_field: str | None, preset: str | None
    ) -> Wanted:
        """What `method` selects by: mig labels and scores, top-score scores (labels checked
        when present), random nothing."""
        _, lf, sf = resolve_fields(preset, labels_field, score_field)
        if method == "random":
            return cls(None, None, preset)
        return cls(lf, sf, preset, labels_optional=method != "mig")


class _Block:
    """A few rows' field values, shaped like the `Pool` that `annotations` validates."""

    def __init__(self, source: str, lines: np.ndarray, values: dict[str, list]) -> None:
        self.source = source
        self._lines = lines
        self._values = values

    def __len__(self) -> int:
        return len(self._lines)

    def line_of(self, row: int) -> int:
        return int(self._lines[row])

    def top_column(self, name: str) -> None:
        return None

    def values(self, path: str) -> list:
        return self._values[path]


def _line_chunks(fh) -> Iterator[list[bytes] | None]:
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


def _iter_lines(info: InputFile) -> Iterator[tuple[int, int, bytes]]:
    """(line number, byte offset, line) for every non-blank line of a text input."""
    number = 0
    offset = 0
    with open_bytes(info) as fh:
        try:
            for lines in _line_chunks(fh):
                if lines is None:
                    offset += len(BOM)
                    continue
                for line in lines:
                    number += 1
                    if not line.isspace():
                        yield number, offset, line
                    offset += len(line)
        except _GZIP_ERRORS as exc:
            raise gzip_error(info, exc) from None
        except OSError as exc:
            raise DataError(f"cannot read: {exc.strerror or exc}", source=info.source) from None


def _parse(line: bytes, source: str, number: int) -> dict:
    """A line as `formats.parse_line` reads it (exact values); a `DataError` naming the line."""
    record, error = parse_line(line)
    if error is not None:
        raise DataError(error, source=source, line=number)
    return record  # type: ignore[return-value]


@dataclass
class _FieldState:
    """One wanted field across blocks: parts read so far, and rows that lacked it."""

    name: str
    parts: list = field(default_factory=list)
    present: int = 0
    first_absent_line: int | None = None


class PoolIndex:
    """A pool's labels, scores, ids and row locations; the rows themselves stay in the source.

    Also a `matching.KeySource` (ids, line and record digests, streamed from the source).
    """

    def __init__(self, info: InputFile, kind: str) -> None:
        self.info = info
        self.source = info.source  # for messages
        # the file rows are copied from (a spool for stdin and pipes, removed at exit)
        self.path = str(info.path) if info.path is not None else None
        self.kind = kind
        self.rows = 0
        self.line_numbers: np.ndarray | None = None
        self.offsets: np.ndarray | None = None
        self.lengths: np.ndarray | None = None
        self.labels: LabelColumn | None = None
        self.scores: np.ndarray | None = None
        self.absent: list[str] = []  # wanted fields that no record has
        self.first_absent_line: dict[str, int] = {}
        self._ids: pa.Array | None = None
        self._table: pa.Table | None = None  # parquet: the columns read; pool: everything
        self._table_is_whole = False
        self._file_schema: pa.Schema | None = None  # Parquet: set when every column was read
        self._pool: Pool | None = None
        self._extra: dict[str, list] = {}
        self.id_field = "id"

    # ---------------------------------------------------------------- basics
    def __len__(self) -> int:
        return self.rows

    def __enter__(self) -> PoolIndex:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Nothing to free: spools of stdin and pipes are removed at exit (`formats`)."""

    @property
    def spooled(self) -> bool:
        return self.info.spooled

    @property
    def cheap_rows(self) -> bool:
        """Whether `subset_pool` of a few rows costs little: plain JSONL (lines read at their
        offsets) or every column in memory; else (gzip, Parquet columns not read) each call
        passes over the source."""
        if self.kind == "jsonl" or self._table_is_whole or self._file_schema is not None:
            return True
        return self._pool is not None and self._pool.table is None

    def line_of(self, row: int) -> int:
        if self.line_numbers is not None:
            return int(self.line_numbers[row])
        return row + 1

    def annotations(self) -> Annotations:
        """Labels (empty rows when not read) and scores (zeros when not read)."""
        labels = self.labels
        if labels is None:
            labels = LabelColumn(np.zeros(self.rows + 1, np.int64), pa.array([], pa.string()))
        scores = self.scores if self.scores is not None else np.zeros(self.rows)
        return Annotations(labels, scores)

    def values(self, path: str) -> list:
        """Values of a field read with `Wanted.extra_fields` (MISSING where a record lacks it)."""
        if path in self._extra:
            return self._extra[path]
        if self._pool is not None:
            return self._pool.values(path)
        raise KeyError(f"{path} was not read into the pool index")

    def top_column(self, name: str) -> pa.ChunkedArray | None:
        """The ids as an Arrow column (as strings), like `Pool.top_column` for Arrow pools."""
        if name == self.id_field and self._ids is not None:
            return pa.chunked_array([self._ids])
        return None

    def whole_pool(self) -> Pool:
        """The whole pool, text included, read as the other commands read it (for work that
        needs every record's text, such as counting tokens for a budget)."""
        if self._pool is not None and (self._pool.table is None or self._table_is_whole):
            return self._pool
        assert self.path is not None
        pool = read_pool(self.info)
        pool.source = self.source
        return pool

    def ids(self) -> list[str | None]:
        if self._ids is None:
            return [None] * self.rows
        return self._ids.to_pylist()

    # ---------------------------------------------------------------- KeySource
    def line_digests(self) -> Iterator[bytes] | None:
        if self.kind not in ("jsonl", "jsonl.gz"):
            return None
        assert self.path is not None
        return (line_digest(line) for _, _, line in _iter_lines(self.info))

    def record_digests(self) -> Iterator[bytes]:
        for record in self._records():
            yield record_digest(record)

    def records(self) -> Iterator[dict]:
        """Every record, streamed again from the source (e.g. for `mig sample --dedup`)."""
        return self._records()

    def _records(self) -> Iterator[dict]:
        if self.kind in ("jsonl", "jsonl.gz"):
            assert self.path is not None
            for number, _, line in _iter_lines(self.info):
                yield _parse(line, self.source, number)
            return
        if self._pool is not None and self._pool.table is None:
            yield from self._pool.rows()
            return
        if self._table_is_whole and self._table is not None:
            batches = self._table.to_batches(max_chunksize=BLOCK_ROWS)
        else:
            assert self.path is not None
            batches = pq.ParquetFile(self.path).iter_batches(batch_size=BLOCK_ROWS)
        for batch in batches:
            yield from batch.to_pylist()

    # ---------------------------------------------------------------- second pass
    def subset_pool(self, rows: Sequence[int], *, parse: bool = False) -> Pool:
        """The chosen rows, in the given order, as a small `Pool` for the writers.

        JSONL rows keep their lines byte for byte (`parse`: also parse them, for a Parquet
        output); Arrow rows come as a table.
        """
        rows = np.asarray(rows, dtype=np.int64)
        if self._pool is not None:
            pool = self._pool
            if pool.table is not None:
                return Pool(self.source, table=pool.table.take(pa.array(rows)))
            assert pool.records is not None and pool.lines is not None
            picked = rows.tolist()
            return Pool(
                self.source,
                records=[pool.records[r] for r in picked],
                lines=[pool.lines[r] for r in picked],
            )
        if self.kind in ("jsonl", "jsonl.gz"):
            lines = list(self._lines(rows))
            records = [_parse(x, self.source, 0) for x in lines] if parse else [{}] * len(lines)
            return Pool(self.source, records=records, lines=lines)
        return Pool(self.source, table=self._arrow_rows(rows))

    def _lines(self, rows: np.ndarray) -> Iterator[bytes]:
        assert self.path is not None and self.offsets is not None and self.lengths is not None
        if self.kind == "jsonl":
            fd = os.open(self.path, os.O_RDONLY)
            try:
                for r in rows.tolist():
                    yield as_line(os.pread(fd, int(self.lengths[r]), int(self.offsets[r])))
            finally:
                os.close(fd)
            return
        wanted = set(rows.tolist())
        found: dict[int, bytes] = {}
        for row, (_, _, line) in enumerate(_iter_lines(self.info)):
            if row in wanted:
                found[row] = as_line(line)
        for r in rows.tolist():
            yield found[r]

    def _arrow_rows(self, rows: np.ndarray) -> pa.Table:
        if self._table is not None and (self._table_is_whole or self._file_schema is not None):
            taken = _take_rows(self._table, rows)
            if self._table_is_whole:
                return taken
            # every column was read (labels as dictionary codes): take, then the file's types
            schema = self._file_schema
            assert schema is not None
            return taken.select(schema.names).cast(schema)
        assert self.path is not None
        order = np.unique(rows)
        pieces = []
        base = 0
        for batch in pq.ParquetFile(self.path).iter_batches(batch_size=BLOCK_ROWS):
            lo, hi = np.searchsorted(order, [base, base + batch.num_rows])
            if hi > lo:
                pieces.append(batch.take(pa.array(order[lo:hi] - base)))
            base += batch.num_rows
        table = pa.Table.from_batches(pieces) if pieces else None
        if table is None:
            raise DataError("no rows to copy", source=self.source)
        return table.take(pa.array(np.searchsorted(order, rows)))


def _take_rows(table: pa.Table, rows: np.ndarray) -> pa.Table:
    """`table.take(rows)`, batch by batch: on a table of many chunks, a take of a few rows
    costs ~100x less than `Table.take` (which concatenates the chunks first), and no copy of
    the table is made (lazy dedup takes a few rows at a time)."""
    batches = table.to_batches()
    if len(batches) <= 1:
        return table.take(pa.array(rows))
    starts = np.cumsum([0] + [b.num_rows for b in batches])
    order = np.argsort(rows, kind="stable")
    which = np.searchsorted(starts, rows[order], side="right") - 1
    pieces = []
    for i in np.unique(which).tolist():
        local = rows[order][which == i] - starts[i]
        pieces.append(batches[i].take(pa.array(local)))
    inverse = np.empty(len(rows), dtype=np.int64)
    inverse[order] = np.arange(len(rows))
    return pa.Table.from_batches(pieces, schema=table.schema).take(pa.array(inverse))


# -------------------------------------------------------------------- building an index
def _get(record: dict, path: str):
    if "." not in path:
        return record.get(path, MISSING)
    return get_path(record, path, MISSING)


def _missing_error(index: PoolIndex, state: _FieldState, what: str) -> DataError:
    line = state.first_absent_line
    return DataError(f"missing; expected {what}", source=index.source, line=line, field=state.name)


class _Reader:
    """Validates wanted fields block by block (as `annotations` does) and packs them."""

    def __init__(self, index: PoolIndex, wanted: Wanted) -> None:
        self.index = index
        self.wanted = wanted
        chosen, _, _ = resolve_fields(wanted.preset, None, None)
        self.xsample = chosen.name == "xsample" and wanted.score_field == chosen.score_field
        self.labels = _FieldState(wanted.labels_field) if wanted.labels_field else None
        self.score = _FieldState(wanted.score_field) if wanted.score_field else None

    def block(self, block: _Block, absent: dict[str, int]) -> None:
        """`absent`: per wanted field, how many of the block's rows lack it."""
        for state, what in ((self.labels, "labels"), (self.score, "score")):
            if state is None:
                continue
            missing = absent.get(state.name, 0)
            if missing == len(block):
                if state.first_absent_line is None:
                    state.first_absent_line = block.line_of(0)
                if state.present:  # records before had it: this one is missing it
                    self._fail_missing(state, what)
                continue
            if state.first_absent_line is not None:  # earlier rows had none
                self._fail_missing(state, what)
            state.present += len(block) - missing
            if what == "labels":
                column = _plain_labels(block.values(state.name))
                if column is None:  # not all lists of strings: the checks that name the row
                    column = read_labels(block, state.name)  # type: ignore[arg-type]
                if not pa.types.is_dictionary(column.values.type):
                    column = LabelColumn(column.offsets, column.values.dictionary_encode())
                state.parts.append(column)
            elif self.xsample:
                state.parts.append(read_xsample_scores(block, state.name))  # type: ignore[arg-type]
            else:
                state.parts.append(read_scores(block, state.name))  # type: ignore[arg-type]

    def _fail_missing(self, state: _FieldState, what: str) -> None:
        expected = "a list of strings" if what == "labels" else "a number >= 0"
        raise _missing_error(self.index, state, expected)

    def finish(self) -> None:
        index = self.index
        if self.labels is not None:
            if self.labels.present:
                index.labels = LabelColumn.concat(self.labels.parts)
            elif not self.wanted.labels_optional:
                index.absent.append(self.labels.name)
                index.first_absent_line[self.labels.name] = self.labels.first_absent_line or 1
        if self.score is not None:
            if self.score.present:
                index.scores = np.concatenate(self.score.parts)
            else:
                index.absent.append(self.score.name)
                index.first_absent_line[self.score.name] = self.score.first_absent_line or 1


def _plain_labels(values: list) -> LabelColumn | None:
    """The common case checked in bulk: every value a list, every label a string."""
    if not values or set(map(type, values)) != {list}:
        return None
    flat = list(itertools.chain.from_iterable(values))
    if flat and set(map(type, flat)) != {str}:
        return None
    offsets = np.zeros(len(values) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, values), dtype=np.int64, count=len(values)), out=offsets[1:])
    return LabelColumn(offsets, pc.dictionary_encode(pa.array(flat, type=pa.string())))


def write_rows(pool: Pool | PoolIndex, rows: Sequence[int], path: str) -> None:
    """`writers.write_pool_rows` for a `Pool` or a `PoolIndex` (rows copied from the source)."""
    if isinstance(pool, PoolIndex):
        subset = pool.subset_pool(rows, parse=output_format(path) == "parquet")
        write_pool_rows(subset, range(len(subset)), path)
    else:
        write_pool_rows(pool, rows, path)


def index_pool(path: str | InputFile, wanted: Wanted | None = None) -> PoolIndex:
    """Read what `wanted` names (and ids) from the pool at `path` ('-': stdin, spooled)."""
    wanted = wanted or Wanted()
    info = open_input(path)
    if info.kind == "text" and not _is_array(info):
        index = PoolIndex(info, "jsonl.gz" if info.compressed else "jsonl")
    elif info.kind == "parquet":
        index = PoolIndex(info, "parquet")
    else:
        index = PoolIndex(info, "pool")
    index.id_field = wanted.id_field
    with gc_paused():
        if index.kind in ("jsonl", "jsonl.gz"):
            _index_jsonl(index, wanted)
        elif index.kind == "parquet":
            _index_parquet(index, wanted)
        else:
            _index_pool(index, read_pool(info), wanted)
    return index


def _is_array(info: InputFile) -> bool:
    """A text input holding one JSON array (read whole, as `formats` reads it)."""
    with open_bytes(info) as fh:
        try:
            head = fh.read(4096)
        except (*_GZIP_ERRORS, OSError):
            return False  # reported by the line reader, with its message
    return starts_array(head.removeprefix(BOM))


def _index_jsonl(index: PoolIndex, wanted: Wanted) -> None:
    """One pass over the lines: parse each, keep the wanted fields, pack them per chunk."""
    assert index.path is not None
    reader = _Reader(index, wanted)
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
            for lines in _line_chunks(fh):
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
                        record = _parse(line, source, number + i + 1)
                    if type(record) is not dict:
                        record = _parse(line, source, number + i + 1)
                    get = record.get
                    rid = get(id_field)
                    if type(rid) is float:  # maybe an integer beyond 64 bits: read exactly
                        rid = _parse(line, source, number + i + 1).get(id_field)
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
                reader.block(_Block(source, lines_no, values), absent)
        except _GZIP_ERRORS as exc:
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


def _dictionary_path(schema: pq.ParquetSchema, column: str) -> str | None:
    """The Parquet leaf path of a list<string> column, to read its values as dictionary codes."""
    for i in range(len(schema)):
        leaf = schema.column(i)
        parts = leaf.path.split(".")
        if (
            parts[0] == column
            and len(parts) == 3
            and leaf.physical_type == "BYTE_ARRAY"
            and leaf.max_repetition_level == 1
        ):
            return leaf.path
    return None


def _index_parquet(index: PoolIndex, wanted: Wanted) -> None:
    assert index.path is not None
    try:
        pf = pq.ParquetFile(index.path)
        names = pf.schema_arrow.names
        wanted_fields = (wanted.labels_field, wanted.score_field, wanted.id_field)
        heads = [f.split(".")[0] for f in (*wanted_fields, *wanted.extra_fields) if f]
        columns = [c for c in dict.fromkeys(heads) if c in names]
        read_dictionary = None
        if wanted.labels_field and wanted.labels_field in names:
            leaf = _dictionary_path(pf.schema, wanted.labels_field)
            read_dictionary = [leaf] if leaf else None
        table = pq.read_table(index.path, columns=columns, read_dictionary=read_dictionary)
    except FileNotFoundError:
        raise DataError("no such file", source=index.path) from None
    except (pa.ArrowException, OSError) as exc:
        raise DataError(f"cannot read Parquet: {exc}", source=index.path) from None
    index._table = table
    index._table_is_whole = set(columns) == set(names) and read_dictionary is None
    if set(columns) == set(names) and not index._table_is_whole:
        index._file_schema = pf.schema_arrow
    _index_pool(index, Pool(index.source, table=table), wanted)
    if not index._table_is_whole:
        index._pool = None


def _index_pool(index: PoolIndex, pool: Pool, wanted: Wanted) -> None:
    """Fields of a pool held in memory (Arrow table or parsed records)."""
    index._pool = pool
    index.rows = len(pool)
    if pool.line_numbers is not None:
        index.line_numbers = pool.line_numbers
    if pool.table is not None:
        index._table = pool.table
        index._table_is_whole = index.kind == "pool" or index._table_is_whole
    index._ids = _pool_ids(pool, wanted.id_field)
    index._extra = {f: pool.values(f) for f in wanted.extra_fields}
    if not index.rows:
        return
    reader = _Reader(index, wanted)
    for state, what in ((reader.labels, "labels"), (reader.score, "score")):
        if state is None:
            continue
        if _absent(pool, state.name):
            state.first_absent_line = pool.line_of(0)
            continue
        state.present = index.rows
        if what == "labels":
            state.parts.append(read_labels(pool, state.name))
        elif reader.xsample:
            state.parts.append(read_xsample_scores(pool, state.name))
        else:
            state.parts.append(read_scores(pool, state.name))
    reader.finish()


def _pool_ids(pool: Pool, id_field: str) -> pa.Array:
    column = pool.top_column(id_field)
    if column is not None and (
        pa.types.is_string(column.type)
        or pa.types.is_large_string(column.type)
        or pa.types.is_integer(column.type)
    ):
        return column.cast(pa.string()).combine_chunks()
    values = pool.values(id_field)
    return pa.array([None if v is MISSING or v is None else str(v) for v in values], pa.string())


def _absent(pool: Pool, path: str) -> bool:
    """No record has the field (for Arrow pools: no top-level column of that name)."""
    head = path.split(".")[0]
    if pool.table is not None:
        return head not in pool.table.column_names
    return all(v is MISSING for v in pool.values(path))
