"""Find the records of one pool in another: by the record itself, by id only where ids are unique.

Used by `mig sample --given` (records already chosen) and by any option that names records of a
pool through another file. A record is matched, in this order:

1. by its bytes: a JSONL line equal to a line of the other pool (ignoring the line ending and
   surrounding whitespace);
2. by its content: the same JSON value once keys are sorted and top-level null fields dropped
   (so a record written back as Parquet, which adds nulls for absent fields, still matches);
3. by `id`, but only for an id that occurs exactly once in each pool and only between records
   not matched by 1 or 2. Ids repeated across sources, or carried by only some records, never
   decide a match.

Repeated records match as a multiset, in row order: the i-th copy in one pool pairs with the i-th
copy in the other (the greedy sampler picks the lowest row of equal records first, so a subset
holds the first copies). The digests are 128-bit BLAKE2b (hashlib) of the bytes or of the
canonical JSON (orjson with sorted keys; the standard library's json for values orjson cannot
write, such as integers beyond 64 bits).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import orjson

_DIGEST_SIZE = 16


def line_digest(line: bytes) -> bytes:
    """Digest of a JSONL line's bytes, without surrounding whitespace and the line ending."""
    return hashlib.blake2b(line.strip(), digest_size=_DIGEST_SIZE).digest()


def canonical_json(record: dict) -> bytes:
    """The record as JSON bytes with sorted keys and top-level null fields left out."""
    value = {k: v for k, v in record.items() if v is not None}
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_SERIALIZE_NUMPY)
    except (TypeError, orjson.JSONEncodeError):
        text = json.dumps(
            value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=repr
        )
        return text.encode("utf-8", "surrogatepass")


def record_digest(record: dict) -> bytes:
    """Digest of a record's content (see `canonical_json`)."""
    return hashlib.blake2b(canonical_json(record), digest_size=_DIGEST_SIZE).digest()


class KeySource(Protocol):
    """What matching needs of a pool: its size, ids, and the digests of its rows in order."""

    def __len__(self) -> int: ...

    def ids(self) -> Sequence[str | None]: ...

    def line_digests(self) -> Iterable[bytes] | None:
        """Digests of the raw lines (JSONL sources), or None when rows have no lines."""
        ...

    def record_digests(self) -> Iterable[bytes]: ...


@dataclass
class Match:
    """For each row of the other pool, the pool row it is (-1: not in the pool)."""

    rows: np.ndarray  # int64, len(other)
    pool_size: int
    by_bytes: int = 0
    by_content: int = 0
    by_id: int = 0

    @property
    def matched(self) -> int:
        return self.by_bytes + self.by_content + self.by_id

    @property
    def unmatched(self) -> int:
        return len(self.rows) - self.matched

    def pool_mask(self) -> np.ndarray:
        """Boolean mask over the pool's rows: True where a row was matched."""
        mask = np.zeros(self.pool_size, dtype=bool)
        found = self.rows[self.rows >= 0]
        mask[found] = True
        return mask


def _pair(
    pool_digests: Iterable[bytes],
    pool_free: np.ndarray,
    wanted: dict[bytes, list[int]],
    out: np.ndarray,
) -> int:
    """Pair pool rows (in row order) with the other pool's rows of the same digest."""
    found = 0
    for row, digest in enumerate(pool_digests):
        if not wanted:
            break
        others = wanted.get(digest)
        if others is None or not pool_free[row]:
            continue
        other_row = others.pop(0)
        if not others:
            del wanted[digest]
        out[other_row] = row
        pool_free[row] = False
        found += 1
    return found


def _wanted(digests: Iterable[bytes], rows_left: np.ndarray) -> dict[bytes, list[int]]:
    wanted: dict[bytes, list[int]] = {}
    for row, digest in enumerate(digests):
        if rows_left[row]:
            wanted.setdefault(digest, []).append(row)
    return wanted


def _unique_ids(ids: Sequence[str | None]) -> dict[str, int]:
    """id -> row, for the ids that occur exactly once."""
    seen: dict[str, int] = {}
    repeated: set[str] = set()
    for row, rid in enumerate(ids):
        if rid is None:
            continue
        if rid in seen:
            repeated.add(rid)
        else:
            seen[rid] = row
    for rid in repeated:
        del seen[rid]
    return seen


def match_rows(pool: KeySource, other: KeySource) -> Match:
    """Map each row of `other` to the row of `pool` holding the same record (or -1).

    `pool` is scanned as a stream (it may be large); `other`'s digests are held in memory.
    """
    n_other = len(other)
    out = np.full(n_other, -1, dtype=np.int64)
    match = Match(out, len(pool))
    if n_other == 0 or len(pool) == 0:
        return match
    pool_free = np.ones(len(pool), dtype=bool)
    other_lines = other.line_digests()
    if other_lines is not None:
        pool_lines = pool.line_digests()
        if pool_lines is not None:
            wanted = _wanted(other_lines, np.ones(n_other, dtype=bool))
            match.by_bytes = _pair(pool_lines, pool_free, wanted, out)
    if (out < 0).any():
        wanted = _wanted(other.record_digests(), out < 0)
        match.by_content = _pair(pool.record_digests(), pool_free, wanted, out)
    if (out < 0).any():
        pool_ids = _unique_ids(pool.ids())
        other_ids = _unique_ids(other.ids())
        for rid, other_row in other_ids.items():
            row = pool_ids.get(rid)
            if out[other_row] < 0 and row is not None and pool_free[row]:
                out[other_row] = row
                pool_free[row] = False
                match.by_id += 1
    return match


def keys_of(pool) -> KeySource:
    """A `KeySource` for a `Pool` (records in memory) or anything that already is one."""
    if hasattr(pool, "record_digests"):
        return pool
    return RecordsKeys(pool.rows(), pool.lines)


class RecordsKeys:
    """A `KeySource` over records held in memory (and their JSONL lines when known)."""

    def __init__(
        self,
        records: Iterable[dict],
        lines: Sequence[bytes] | None = None,
        id_field: str = "id",
        ignore: Sequence[str] = (),
        size: int | None = None,
    ) -> None:
        """`ignore`: top-level fields left out of the content (e.g. the labels and score that
        annotation added, so that a raw record matches its annotated copy); the line bytes
        then never decide. `records` may be a re-iterable stream when `size` is given."""
        self.records = records
        self.lines = None if ignore else lines
        self.id_field = id_field
        self.ignore = frozenset(ignore)
        self._size = size

    def __len__(self) -> int:
        return self._size if self._size is not None else len(self.records)  # type: ignore[arg-type]

    def ids(self) -> list[str | None]:
        out: list[str | None] = []
        for record in self.records:
            value = record.get(self.id_field)
            out.append(None if value is None else str(value))
        return out

    def line_digests(self) -> Iterator[bytes] | None:
        if self.lines is None:
            return None
        return (line_digest(line) for line in self.lines)

    def record_digests(self) -> Iterator[bytes]:
        if not self.ignore:
            return (record_digest(record) for record in self.records)
        drop = self.ignore
        return (
            record_digest({k: v for k, v in record.items() if k not in drop})
            for record in self.records
        )


class Restreamed:
    """Records read anew on each iteration (`make()` returns a fresh iterator), so that a pool
    too large to hold can give `RecordsKeys` its ids and its digests in two passes."""

    def __init__(self, make) -> None:
        self._make = make

    def __iter__(self) -> Iterator[dict]:
        return iter(self._make())
