"""What selection needs of a pool, without its text: labels, scores, ids and where each row lives.

`index_pool` reads a pool once and keeps only the fields the sampler reads (validated as
`annotations` does) and, for JSONL, each line's byte offset, length and line number. Memory is
bounded by the labels, not by the text: a 1 KB chat record costs the same as an empty one. The
selected rows are then copied from the source in a second pass (`subset_pool`): JSONL lines byte
for byte (`os.pread` at the recorded offsets; a gzip file is streamed again), Parquet rows from
the columns already read when they are all the columns, else by streaming the file's batches.

Inputs are opened through `input_files.open_input` (the one reader path): stdin, pipes and FIFOs
are spooled to a temporary file (removed at exit), gzip and Parquet are recognised by content.
Kinds of source:
- `jsonl` / `jsonl.gz`: JSONL, plain or compressed (offsets are in the uncompressed stream; a
  compressed file is decompressed again for the second pass);
- `parquet`: only the columns holding labels, score, id (and quota fields) are read, labels as
  dictionary codes;
- `pool`: anything else (`datasets` folders, Hub names, a file holding one JSON array) is read
  whole with `formats.read_pool`, as the other commands read it.

The first pass is done by `jsonl_index` (JSONL; lines are split as `formats` splits them) or
`parquet_index` (Parquet and pools read whole); the wanted fields are checked by `index_fields`.
A copied line ends as `jsonl_text.as_line` makes it end.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import DataError
from .annotations import Annotations, LabelColumn
from .formats import read_pool
from .index_fields import Wanted
from .input_files import GZIP_ERRORS, InputFile, open_bytes, open_input
from .jsonl_index import BOM, index_jsonl, iter_lines, parse_record
from .jsonl_text import as_line, starts_array
from .matching import line_digest, record_digest
from .parquet_index import index_in_memory, index_parquet
from .pool import Pool, gc_paused
from .writers import output_format, write_pool_rows

BLOCK_ROWS = 65_536  # rows validated and packed at a time


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
        """Nothing to free: spools of stdin and pipes are removed at exit (`input_files`)."""

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
        return (line_digest(line) for _, _, line in iter_lines(self.info))

    def record_digests(self) -> Iterator[bytes]:
        for record in self._records():
            yield record_digest(record)

    def records(self) -> Iterator[dict]:
        """Every record, streamed again from the source (e.g. for `mig sample --dedup`)."""
        return self._records()

    def _records(self) -> Iterator[dict]:
        if self.kind in ("jsonl", "jsonl.gz"):
            assert self.path is not None
            for number, _, line in iter_lines(self.info):
                yield parse_record(line, self.source, number)
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
            records = (
                [parse_record(x, self.source, 0) for x in lines] if parse else [{}] * len(lines)
            )
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
        for row, (_, _, line) in enumerate(iter_lines(self.info)):
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
            index_jsonl(index, wanted)
        elif index.kind == "parquet":
            index_parquet(index, wanted)
        else:
            index_in_memory(index, read_pool(info), wanted)
    return index


def _is_array(info: InputFile) -> bool:
    """A text input holding one JSON array (read whole, as `formats` reads it)."""
    with open_bytes(info) as fh:
        try:
            head = fh.read(4096)
        except (*GZIP_ERRORS, OSError):
            return False  # reported by the line reader, with its message
    return starts_array(head.removeprefix(BOM))
