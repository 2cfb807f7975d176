"""Lazy exact dedup: read and hash a record only when the greedy is about to pick it.

`mig sample --dedup exact` (the default) must never pick two copies of a record (same
normalised conversation, `dedup.normalise`). Hashing every record first (`dedup.duplicate_groups`,
`--dedup exact-all`) streams the whole pool's text again, which costs more than the selection
itself on a large pool. Here the sampler keeps a digest id per row (-1: not read yet) and a
`taken` flag per digest; when the lazy greedy's top row is fresh and about to be picked
(`kernels._greedy_phase`), its digest is looked up: unknown, the phase stops and the caller reads
that row, with the rows likely to be picked next (`rows_to_read`), and resumes; taken by a row
already picked or blocked (`--given`, `--exclude`, `--include`), the row is dropped for good;
else it is picked and its digest becomes taken. Only a few more rows than k are ever read.

Equivalence with the eager rule (`dedup.duplicate_mask`: in each group only the best-scored row,
ties to the lowest row, stays eligible; a group holding a blocked row keeps none). Dropping a row
from the heap when it surfaces instead of masking it up front changes no pick: the greedy would
have taken the next row anyway. So the picks are the eager ones whenever the row of a group that
the greedy meets first is the eager rule's kept row. That holds when the copies of a record carry
the same labels (as graph nodes) and the same score, the case of copies annotated from the same
text: their propagated vectors are equal, their gains are equal at every step, and the lazy
greedy's ties go to the lowest row, the kept row. It also holds for copies with the same labels
and different scores (the best-scored copy has the larger gain: u scales with the score) unless
their gains tie exactly (zero gains, or scores equal to float precision). The picks may differ
when copies carry different labels: the lazy rule then keeps the copy with the larger gain when
met, the eager rule the best-scored copy. `--dedup exact-all` keeps the eager rule for that case.

Counting: the lazy rule knows only the copies it met. `Selection.duplicates` holds the rows it
dropped; a copy never reached by the greedy is not read, so not counted.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable

import numpy as np

from .dedup import normalise

MIN_READ = 1024  # rows read at least per stop
READ_AHEAD = 1.5  # rows read per stop: this many times the picks still wanted


class LazyDuplicates:
    """Digest ids of the rows read so far, and which digests are taken.

    `texts(rows)`: the whole conversation of each row (as `dedup.duplicate_groups` takes it),
    in the order given; the caller reads them from the pool (e.g. by byte offset). `digest`:
    int64 (N,), -1 where not read; `taken`: bool (N,) per digest id. `rows_read` counts rows
    read and hashed.
    """

    def __init__(self, n: int, texts: Callable[[np.ndarray], Iterable[str]]) -> None:
        self.texts = texts
        self.digest = np.full(n, -1, dtype=np.int64)
        self.taken = np.zeros(n, dtype=bool)
        self._blocked = np.zeros(0, dtype=bool)  # digests taken before the greedy starts
        self._ids: dict[bytes, int] = {}
        self.rows_read = 0

    def read(self, rows: np.ndarray) -> None:
        """Hash the rows not read yet (sorted, so a file is read forward)."""
        rows = np.unique(np.asarray(rows, dtype=np.int64))
        rows = rows[self.digest[rows] < 0]
        if not len(rows):
            return
        ids = self._ids
        found = []
        for text in self.texts(rows):
            key = hashlib.blake2b(normalise(text).encode(), digest_size=16).digest()
            found.append(ids.setdefault(key, len(ids)))
        if len(found) != len(rows):
            raise ValueError(f"read {len(found)} texts for {len(rows)} rows")
        self.digest[rows] = found
        self.rows_read += len(rows)

    def block(self, rows: np.ndarray) -> None:
        """Rows already chosen or set aside (`--given`, `--exclude`, `--include`): no copy of
        them may be picked. Call before selecting."""
        rows = np.flatnonzero(rows) if np.asarray(rows).dtype == bool else np.asarray(rows)
        self.read(rows)
        self.taken[self.digest[rows]] = True
        self._blocked = self.taken.copy()

    def blocked_before(self, row: int) -> bool:
        """Whether `row` is a copy of a blocked row (reads it when needed)."""
        self.read(np.array([row]))
        d = int(self.digest[row])
        return bool(self._blocked[d]) if len(self._blocked) else False

    def copies_met(self, picked: np.ndarray, dropped: np.ndarray) -> np.ndarray:
        """Per picked row (int64, shape (len(picked),)): the dropped rows holding its text."""
        counts = np.bincount(self.digest[dropped], minlength=len(self.taken))
        return counts[self.digest[np.asarray(picked, dtype=np.int64)]]


def rows_to_read(
    keys: np.ndarray, rows: np.ndarray, digest: np.ndarray, remaining: int, stop: int
) -> np.ndarray:
    """The row the greedy stopped at and the rows of the heap with the largest keys (upper
    bounds of their gains, so the likely next picks): READ_AHEAD times the picks still wanted,
    at least MIN_READ; the caller skips those already read."""
    count = min(len(rows), max(MIN_READ, int(READ_AHEAD * max(remaining, 1))))
    if count < len(rows):
        top = np.argpartition(-keys, count - 1)[:count]
        rows = rows[top]
    rows = rows[digest[rows] < 0]
    return np.append(rows, stop)
