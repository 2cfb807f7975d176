from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("MIG_NO_PROGRESS", "1")
# label and tag embeddings are cached on disk: keep the tests' cache out of the user's home
os.environ.setdefault("MIG_CACHE_DIR", tempfile.mkdtemp(prefix="mig-test-cache-"))

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
LABELS = ["python programming", "sql query", "arithmetic word problem", "role play", "poem writing"]


@pytest.fixture
def tiny_pool(tmp_path: Path) -> Path:
    """30 annotated records with ids; a few have no labels or score 0."""
    rng = np.random.default_rng(1)
    path = tmp_path / "pool.jsonl"
    with path.open("w") as fh:
        for i in range(30):
            labels = [LABELS[j] for j in rng.choice(len(LABELS), rng.integers(0, 3), replace=False)]
            score = 0.0 if i % 11 == 0 else round(float(rng.uniform(1, 36)), 3)
            record = {
                "id": f"r{i}",
                "messages": [{"role": "user", "content": f"q {i}"}],
                "labels": labels,
                "score": score,
            }
            # vary spacing so that byte-for-byte output is really checked
            fh.write(json.dumps(record, separators=(",", ":") if i % 2 else (", ", ": ")) + "\n")
    return path


@pytest.fixture
def tiny_graph(tmp_path: Path) -> Path:
    from mig_cli.records.graph_files import write_graph
    from mig_cli.records.label_graph import LabelGraph

    src = np.array([0, 2, 1, 3], dtype=np.int64)
    dst = np.array([2, 0, 3, 1], dtype=np.int64)
    w = np.array([0.95, 0.95, 0.92, 0.92], dtype=np.float32)
    graph = LabelGraph(LABELS, np.ones(len(LABELS), dtype=np.int64), src, dst, w, {"model": "x"})
    folder = tmp_path / "graph"
    write_graph(graph, str(folder))
    return folder
