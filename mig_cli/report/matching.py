"""Find a subset's records in its pool, and repeated records inside a subset.

A subset written by `mig sample` holds pool records in selection order. `pool_rows_of` maps each
subset record back to its pool row with `records.matching.match_rows`, the rule `mig sample
--given` uses: by the raw JSONL line, else by content, else by an id unique on both sides;
repeated records pair in row order. A record found nowhere is a `DataError` naming the subset's
file and line. The pool's digests are computed once and reused for every subset.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pyarrow as pa

from ..errors import DataError
from ..records.chat import ChatShapeError, conversation
from ..records.matching import Match, RecordsKeys, match_rows, record_digest
from ..records.pool import Pool


class PoolKeys:
    """A `records.matching.KeySource` over a pool that keeps its digests between matches."""

    def __init__(self, pool: Pool) -> None:
        self._keys = RecordsKeys(pool.rows(), pool.lines)
        self._ids: list[str | None] | None = None
        self._lines: list[bytes] | None = None
        self._records: list[bytes] | None = None

    def __len__(self) -> int:
        return len(self._keys)

    def ids(self) -> Sequence[str | None]:
        if self._ids is None:
            self._ids = self._keys.ids()
        return self._ids

    def line_digests(self) -> Iterable[bytes] | None:
        if self._lines is None:
            found = self._keys.line_digests()
            if found is None:
                return None
            self._lines = list(found)
        return self._lines

    def record_digests(self) -> Iterable[bytes]:
        if self._records is None:
            self._records = list(self._keys.record_digests())
        return self._records


def pool_rows_of(pool: Pool, subset: Pool, keys: PoolKeys | None = None) -> tuple[np.ndarray, str]:
    """Pool row of every subset record, in subset order, and how they were matched.

    Returns (rows int64, a note such as "matched by line" or "matched by line 140, content 10").
    `keys`: the pool's `PoolKeys` when several subsets are matched against the same pool.
    """
    match: Match = match_rows(keys or PoolKeys(pool), RecordsKeys(subset.rows(), subset.lines))
    missing = np.flatnonzero(match.rows < 0)
    if len(missing):
        raise DataError(
            f"this record is not in the pool {pool.source} ({len(missing):,} of "
            f"{len(subset):,} are not; matched by line, content or unique id)",
            source=subset.source,
            line=subset.line_of(int(missing[0])),
        )
    parts = [
        f"{name} {count:,}"
        for name, count in (
            ("line", match.by_bytes),
            ("content", match.by_content),
            ("id", match.by_id),
        )
        if count
    ]
    how = parts[0].split()[0] if len(parts) == 1 else ", ".join(parts)
    return match.rows, f"matched by {how}"


def first_mismatch(pool: Pool, subset: Pool, rows: np.ndarray) -> int | None:
    """Check rows that a ranking or manifest gives for a subset, record by record: None when the
    pool record at rows[j] is subset record j for every j (same line bytes or same content, as
    `records.matching` compares them), else the first j that is not (len(subset) when the counts
    differ). Costs O(k): a fast path that avoids matching against the whole pool."""
    rows = np.asarray(rows, dtype=np.int64)
    if len(rows) != len(subset):
        return min(len(rows), len(subset))
    if len(rows) == 0:
        return None
    bad = np.flatnonzero((rows < 0) | (rows >= len(pool)))
    if len(bad):
        return int(bad[0])
    if pool.lines is not None and subset.lines is not None:
        differs = [
            j
            for j, r in enumerate(rows.tolist())
            if pool.lines[r].strip() != subset.lines[j].strip()
        ]
    else:
        differs = list(range(len(rows)))
    if differs:
        ours = records_at(pool, rows[differs])
        theirs = records_at(subset, np.asarray(differs, dtype=np.int64))
        for j, a, b in zip(differs, ours, theirs):
            if record_digest(a) != record_digest(b):
                return j
    return None


def records_at(pool: Pool, rows: np.ndarray) -> list[dict]:
    """The records at `rows` (for Arrow pools, only those rows are turned into dicts)."""
    if pool.records is not None:
        return [pool.records[r] for r in np.asarray(rows).tolist()]
    assert pool.table is not None
    return pool.table.take(pa.array(np.asarray(rows, dtype=np.int64))).to_pylist()


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
