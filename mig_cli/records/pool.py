"""An in-memory pool of records, as read by `records.formats`: JSONL lines or an Arrow table.

JSONL pools keep every raw line so that a subset can be written back byte for byte. Arrow pools
(Parquet, `datasets` folders) keep the table so that columns are read without building a Python
dict per row.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from .fields import get_path


@dataclass
class Pool:
    """Records from one input. Exactly one of `records` (JSONL) or `table` (Arrow) is set."""

    source: str
    records: list[dict] | None = None
    lines: list[bytes] | None = None
    line_numbers: np.ndarray | None = None
    table: pa.Table | None = None
    _rows: list[dict] | None = field(default=None, repr=False)

    def __len__(self) -> int:
        if self.records is not None:
            return len(self.records)
        assert self.table is not None
        return self.table.num_rows

    @property
    def is_jsonl(self) -> bool:
        return self.records is not None

    def line_of(self, row: int) -> int:
        """1-based line number of a row in its file (for Arrow inputs, the 1-based row)."""
        if self.line_numbers is not None:
            return int(self.line_numbers[row])
        return row + 1

    def rows(self) -> Sequence[dict]:
        """Every record as a dict (built once for Arrow pools)."""
        if self.records is not None:
            return self.records
        if self._rows is None:
            assert self.table is not None
            self._rows = self.table.to_pylist()
        return self._rows

    def top_column(self, name: str) -> pa.ChunkedArray | None:
        """A top-level Arrow column, when this is an Arrow pool that has it."""
        if self.table is not None and name in self.table.column_names:
            return self.table.column(name)
        return None

    def values(self, path: str) -> list[Any]:
        """The value at a dotted path for every row; a missing path gives `_MISSING_VALUE`."""
        head, _, rest = path.partition(".")
        if self.table is not None and head in self.table.column_names:
            column = self.table.column(head).to_pylist()
            if not rest:
                return column
            return [get_path(v, rest, MISSING) if v is not None else MISSING for v in column]
        if self.table is not None and not self.table.column_names:
            return [MISSING] * len(self)
        if "." not in path:
            return [r.get(path, MISSING) for r in self.rows()]
        return [get_path(r, path, MISSING) for r in self.rows()]

    def ids(self) -> list[str | None]:
        """The `id` of each row when the records carry one, else None."""
        return [None if v is MISSING or v is None else str(v) for v in self.values("id")]


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


MISSING: Any = _Missing()


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while millions of small objects are built.

    Building them triggers collections that rescan the growing heap again and again (seconds
    for a 1M-row pool). On the way out the survivors are frozen (`gc.freeze`): later
    collections skip them. They hold no reference cycles, so reference counting still frees
    them.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()
