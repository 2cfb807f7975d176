#!/usr/bin/env python3
"""Benchmark the blockwise label-similarity search of `mig build-graph` at 100K labels.

Makes seeded unit vectors (384-d, in small clusters so that real edges exist), finds every
pair with cosine >= 0.9 block by block, and reports time, edge count and peak RSS. A dense
100K x 100K float64 similarity matrix alone would need 80 GB.

Usage: python scripts/bench_graph.py [--labels 100000] [--dim 384]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from mig_cli.selection.graph import similarity_edges  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--labels", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--threshold", type=float, default=0.9)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((args.labels // 4, args.dim)).astype(np.float32)
    vecs = centres[rng.integers(0, len(centres), args.labels)]
    vecs += 0.25 * rng.standard_normal(vecs.shape).astype(np.float32) / np.sqrt(args.dim) * 4
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    start = time.perf_counter()
    src, dst, w = similarity_edges(vecs, args.threshold)
    took = time.perf_counter() - start
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"labels={args.labels:,} dim={args.dim} threshold={args.threshold}: "
        f"{took:.1f}s, {len(src) // 2:,} undirected edges, peak RSS {rss:,.0f} MiB "
        f"(embeddings alone {vecs.nbytes / 2**20:,.0f} MiB)"
    )


if __name__ == "__main__":
    main()
