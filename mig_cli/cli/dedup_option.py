"""`mig sample --dedup`: the option, and the duplicate rows of a pool (selection/dedup.py)."""

from __future__ import annotations

import json
from enum import Enum

import numpy as np
import typer

from ..records.chat import ChatShapeError, conversation
from ..records.pool import Pool
from ..records.pool_index import PoolIndex
from ..selection.dedup import duplicate_groups, duplicate_mask
from .common import err_console


class Dedup(str, Enum):
    exact = "exact"
    near = "near"
    none = "none"


DEDUP = typer.Option(
    Dedup.exact,
    "--dedup",
    help="Never pick two duplicates: exact (same normalised prompt and answer: case, spacing, "
    "punctuation ignored), near (also MinHash Jaccard >= 0.8, datasketch), or none.",
)


def record_text(record: dict) -> str:
    """The whole conversation of a record as one string (the record's JSON when no chat)."""
    try:
        return "\x00".join(f"{t.role}\x01{t.content}" for t in conversation(record))
    except (ChatShapeError, TypeError, ValueError):
        return json.dumps(record, sort_keys=True, ensure_ascii=False, default=str)


def duplicate_rows(
    pool: Pool | PoolIndex, mode: Dedup, scores: np.ndarray, given: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """(group id per row, rows to exclude as duplicates) for `mig sample`."""
    if mode == Dedup.none:
        return np.arange(len(pool), dtype=np.int64), np.zeros(len(pool), dtype=bool)
    with err_console.status(f"finding duplicates ({mode.value})"):
        try:
            records = pool.records() if hasattr(pool, "records") else pool.rows()
            groups = duplicate_groups((record_text(r) for r in records), mode.value)
        except ImportError as exc:
            raise typer.BadParameter(str(exc), param_hint="'--dedup'") from None
    return groups, duplicate_mask(groups, scores, given)
