"""`mig sample --dedup`: the option, and the duplicate rows of a pool (selection/dedup.py)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from enum import Enum

import numpy as np
import typer

from ..records.chat import ChatShapeError, conversation
from ..records.pool import Pool
from ..records.pool_index import PoolIndex
from ..selection.dedup import duplicate_groups, duplicate_mask, exact_digest
from ..selection.lazy_dedup import LazyDuplicates
from .common import err_console


class Dedup(str, Enum):
    exact = "exact"
    exact_all = "exact-all"
    near = "near"
    none = "none"


DEDUP = typer.Option(
    Dedup.exact,
    "--dedup",
    help="Never pick two duplicates: exact (the same whole conversation, every turn, with case, "
    "spacing and sentence punctuation ignored; operators and brackets count; with --method "
    "mig only the records about to be picked are read, "
    "and the duplicates counted are the copies the greedy met), exact-all (the same, every "
    "record read first: the best-scored copy kept, all copies counted), near (also MinHash "
    "Jaccard >= 0.8, datasketch), or none.",
)


def record_text(record: dict) -> str:
    """The whole conversation of a record as one string (the record's JSON when no chat)."""
    try:
        return "\x00".join(f"{t.role}\x01{t.content}" for t in conversation(record))
    except (ChatShapeError, TypeError, ValueError):
        return json.dumps(record, sort_keys=True, ensure_ascii=False, default=str)


def duplicate_rows(
    pool: Pool | PoolIndex,
    mode: Dedup,
    scores: np.ndarray,
    given: np.ndarray | None,
    outside: Sequence[str] = (),
) -> tuple[np.ndarray, np.ndarray]:
    """(group id per row, rows to exclude as duplicates) for `mig sample`, every record read.

    `given`: rows already chosen or set aside (given, excluded, included): no copy of them
    stays eligible. `outside`: texts (`record_text`) of given or excluded records, in the pool
    or not: no pool row with the same `exact_key` stays eligible (a test item that differs from
    a pool record only by case or spacing is still kept out)."""
    if mode == Dedup.none:
        return np.arange(len(pool), dtype=np.int64), np.zeros(len(pool), dtype=bool)
    keys = {exact_digest(t) for t in outside}
    copies: list[bool] = []

    def texts(records):
        for r in records:
            text = record_text(r)
            if keys:
                copies.append(exact_digest(text) in keys)
            yield text

    with err_console.status(f"finding duplicates ({mode.value})"):
        try:
            records = pool.records() if hasattr(pool, "records") else pool.rows()
            groups = duplicate_groups(texts(records), _eager_mode(mode))
        except ImportError as exc:
            raise typer.BadParameter(str(exc), param_hint="'--dedup'") from None
    dups = duplicate_mask(groups, scores, given)
    if keys:
        dups |= np.asarray(copies, dtype=bool) & ~(given if given is not None else False)
    return groups, dups


def _eager_mode(mode: Dedup) -> str:
    return "exact" if mode == Dedup.exact_all else mode.value


def lazy_dedup(mode: Dedup, method: str, budget: int | None, quota_field: str | None) -> bool:
    """Whether `--dedup exact` runs lazily (`selection/lazy_dedup.py`): for MIG without a
    token budget or a quota. Copies may differ in cost (their text differs by case or spacing)
    or in quota value (the same prompt in two sources), and the lazy rule would then keep the
    cheaper or still-open copy where the eager rule keeps the best-scored one; a budget reads
    every record's text anyway to count its tokens."""
    return mode == Dedup.exact and method == "mig" and budget is None and not quota_field


def lazy_duplicates(
    pool: PoolIndex, blocked: np.ndarray, outside: Sequence[str] = ()
) -> LazyDuplicates:
    """Lazy exact dedup over `pool`, rows read by their place in the source (JSONL lines at
    their byte offsets, Parquet rows by row group), with the copies of the `blocked` rows and
    of the `outside` texts (given or excluded records) taken."""

    def texts(rows: np.ndarray) -> list[str]:
        return [record_text(r) for r in pool.subset_pool(rows, parse=True).rows()]

    duplicates = LazyDuplicates(len(pool), texts, cheap_reads=pool.cheap_rows)
    duplicates.block(blocked, outside)
    return duplicates
