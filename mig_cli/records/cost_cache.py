"""Per-record costs (token counts) cached on disk, keyed by tokenizer and content hash.

One folder per tokenizer under `$MIG_CACHE_DIR/costs` (default `~/.cache/mig/costs`), holding
Parquet shards of (`key` = sha1 of the record's text, 20 bytes; `count` int64); each store adds
a shard, written atomically. A pool is counted once; an edited record is counted again.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from .atomic_files import atomic_path
from .embedding_cache import default_cache_dir


class CostCache:
    """Token counts on disk: `load` what is known, `store` what was counted."""

    def __init__(self, folder: str | os.PathLike | None = None) -> None:
        self.root = Path(folder) if folder is not None else default_cache_dir() / "costs"

    def load(self, tokenizer_key: str, keys: Sequence[bytes]) -> dict[bytes, int]:
        folder = self.root / tokenizer_key
        if not folder.is_dir():
            return {}
        wanted = set(keys)
        found: dict[bytes, int] = {}
        for shard in sorted(folder.glob("*.parquet")):
            try:
                table = pq.read_table(shard)
            except (pa.ArrowException, OSError):
                continue  # a damaged shard only costs a recount
            for key, count in zip(
                table.column("key").to_pylist(), table.column("count").to_pylist()
            ):
                if key in wanted:
                    found[key] = count
        return found

    def store(self, tokenizer_key: str, keys: Sequence[bytes], counts: np.ndarray) -> None:
        if not len(keys):
            return
        folder = self.root / tokenizer_key
        folder.mkdir(parents=True, exist_ok=True)
        table = pa.table(
            {"key": pa.array(list(keys), type=pa.binary()), "count": pa.array(counts, pa.int64())}
        )
        with atomic_path(folder / f"{uuid.uuid4().hex}.parquet") as tmp:
            pq.write_table(table, tmp)
