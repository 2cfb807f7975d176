"""Indexing a pool whose columns are read into memory: a Parquet file (only the columns
holding labels, score, id and quota fields, labels as dictionary codes; `index_parquet`), or any
pool read whole by `formats.read_pool` (`index_in_memory`). Both fill a `PoolIndex` (used by
`pool_index.index_pool`); the wanted fields are checked as `index_fields.FieldReader` checks
them. An unreadable Parquet file raises `DataError` naming the file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import DataError
from .annotations import read_labels, read_scores, read_xsample_scores
from .index_fields import FieldReader, Wanted
from .pool import MISSING, Pool

if TYPE_CHECKING:
    from .pool_index import PoolIndex


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


def index_parquet(index: PoolIndex, wanted: Wanted) -> None:
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
    index_in_memory(index, Pool(index.source, table=table), wanted)
    if not index._table_is_whole:
        index._pool = None


def index_in_memory(index: PoolIndex, pool: Pool, wanted: Wanted) -> None:
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
    reader = FieldReader(index, wanted)
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
