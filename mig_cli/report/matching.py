"""Find a subset's records in its pool, and repeated records inside a subset.

A subset written by `mig sample` holds pool records in selection order. `pool_rows_of` maps each
subset record back to its pool row: by `id` when every pool record has a distinct one, else by
the raw JSONL line (subsets of JSONL pools are written byte for byte), else by the record's
content. A record found nowhere is a `DataError` naming the subset's file and line.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pyarrow as pa

from ..errors import DataError
from ..records.chat import ChatShapeError, conversation
from ..records.pool import Pool
from ..records.writers import record_line


def _unique_ids(pool: Pool) -> list[str] | None:
    ids = pool.ids()
    if not ids or any(x is None for x in ids) or len(set(ids)) != len(ids):
        return None
    return ids  # type: ignore[return-value]


def records_at(pool: Pool, rows: np.ndarray) -> list[dict]:
    """The records at `rows` (for Arrow pools, only those rows are turned into dicts)."""
    if pool.records is not None:
        return [pool.records[r] for r in np.asarray(rows).tolist()]
    assert pool.table is not None
    return pool.table.take(pa.array(np.asarray(rows, dtype=np.int64))).to_pylist()


def pool_rows_of(pool: Pool, subset: Pool) -> tuple[np.ndarray, str]:
    """Pool row of every subset record, in subset order, and how they were matched.

    Returns (rows int64, "id" | "line" | "content"). Repeated records of the pool are matched
    to their occurrences in row order.
    """
    ids = _unique_ids(pool)
    sub_ids = subset.ids() if ids is not None else []
    if ids is not None and all(x is not None for x in sub_ids):
        index = {x: i for i, x in enumerate(ids)}
        rows = np.empty(len(subset), dtype=np.int64)
        for j, x in enumerate(sub_ids):
            row = index.get(x)  # type: ignore[arg-type]
            if row is None:
                raise DataError(
                    f"record with id '{x}' is not in the pool {pool.source}",
                    source=subset.source,
                    line=subset.line_of(j),
                )
            rows[j] = row
        return rows, "id"
    if pool.lines is not None and subset.lines is not None:
        how = "line"
        pool_keys = [line.rstrip() for line in pool.lines]
        sub_keys = [line.rstrip() for line in subset.lines]
    else:
        how = "content"
        pool_keys = [record_line(r) for r in pool.rows()]
        sub_keys = [record_line(r) for r in subset.rows()]
    where: dict[bytes, list[int]] = defaultdict(list)
    for i, key in enumerate(pool_keys):
        where[key].append(i)
    used: dict[bytes, int] = defaultdict(int)
    rows = np.empty(len(subset), dtype=np.int64)
    for j, key in enumerate(sub_keys):
        found = where.get(key)
        if not found:
            raise DataError(
                f"record is not in the pool {pool.source} (no record with the same content)",
                source=subset.source,
                line=subset.line_of(j),
            )
        n = used[key]
        rows[j] = found[min(n, len(found) - 1)]
        used[key] = n + 1
    return rows, how


def repeated_records(pool: Pool, rows: np.ndarray) -> int:
    """How many of `rows` repeat the conversation (same roles and texts) of an earlier one."""
    seen: set[tuple] = set()
    repeats = 0
    for record in records_at(pool, rows):
        try:
            key = tuple((t.role, " ".join(t.content.split())) for t in conversation(record))
        except ChatShapeError:
            continue
        if key in seen:
            repeats += 1
        else:
            seen.add(key)
    return repeats
