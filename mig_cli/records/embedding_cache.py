"""Label embeddings cached on disk, keyed by model and label text."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .atomic_files import atomic_path


def default_cache_dir() -> Path:
    base = os.environ.get("MIG_CACHE_DIR")
    if base:
        return Path(base)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "mig"


class EmbeddingCache:
    """Label embeddings on disk, keyed by model and label text (one Parquet shard per write)."""

    def __init__(self, folder: str | os.PathLike | None = None) -> None:
        self.root = Path(folder) if folder is not None else default_cache_dir() / "embeddings"

    def _dir(self, model_key: str) -> Path:
        return self.root / model_key

    def load(self, model_key: str, labels: Sequence[str]) -> dict[str, np.ndarray]:
        """Cached vectors for those of `labels` that are present."""
        folder = self._dir(model_key)
        wanted = set(labels)
        found: dict[str, np.ndarray] = {}
        if not folder.is_dir():
            return found
        for shard in sorted(folder.glob("*.parquet")):
            try:
                table = pq.read_table(shard)
            except (pa.ArrowException, OSError):
                continue  # a damaged shard is ignored; its labels are embedded again
            names = table.column("label").to_pylist()
            if not names:
                continue
            flat = pc.list_flatten(table.column("vector").combine_chunks())
            matrix = flat.to_numpy(zero_copy_only=False).astype(np.float32)
            matrix = matrix.reshape(len(names), -1)
            for i, name in enumerate(names):
                if name in wanted and name not in found:
                    found[name] = matrix[i]
        return found

    def store(self, model_key: str, labels: Sequence[str], vectors: np.ndarray) -> None:
        if not len(labels):
            return
        folder = self._dir(model_key)
        digest = hashlib.sha1("\n".join(labels).encode()).hexdigest()[:16]
        table = pa.table(
            {
                "label": pa.array(list(labels), type=pa.string()),
                "vector": pa.array(
                    list(np.asarray(vectors, dtype=np.float32)), type=pa.list_(pa.float32())
                ),
            }
        )
        with atomic_path(folder / f"shard-{digest}.parquet") as tmp:
            pq.write_table(table, tmp)
