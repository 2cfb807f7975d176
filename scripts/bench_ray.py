#!/usr/bin/env python3
"""`mig tag --engine ray` against `--engine local` on this machine: rows/s, side by side.

Both run the default tagger (taxonomy, onnx-int8) on the same pool as a user runs them, as
subprocesses, interleaved, median of `--repeats`, after one warm-up run of each (ONNX export and
tag-embedding cache filled). Wall time includes everything: Ray start-up, actor start-up and
model load per actor, reading and writing. The two outputs are checked to hold the same
records. Ray runs `--num-workers` actors with one CPU each, and the local engine runs one process
with all cores.

Usage: python scripts/bench_ray.py [--pool data/sample-pool.jsonl] [--repeats 3] [--copies 2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

from mig_cli.records.rows import iter_rows  # noqa: E402


def run(args: list[str]) -> float:
    mig = str(Path(sys.executable).with_name("mig"))
    env = {**os.environ, "MIG_NO_PROGRESS": "1", "HF_HUB_OFFLINE": "1"}
    start = time.perf_counter()
    subprocess.run([mig, *args], check=True, env=env, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pool", default=str(ROOT / "data" / "sample-pool.jsonl"))
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--copies", type=int, default=2, help="the pool repeated this many times")
    ap.add_argument("--num-workers", type=int, default=2)
    args = ap.parse_args()
    lines = Path(args.pool).read_text().splitlines() * args.copies
    with tempfile.TemporaryDirectory(prefix="mig-ray-bench-") as tmp:
        tmp = Path(tmp)
        pool = tmp / "pool.jsonl"
        pool.write_text("\n".join(lines) + "\n")
        local = ["tag", str(pool), "-o", str(tmp / "local.jsonl")]
        ray = ["tag", str(pool), "-o", str(tmp / "ray"), "--engine", "ray"]
        ray += ["--num-workers", str(args.num_workers), "--batch-size", "256"]
        local += ["--batch-size", "256"]
        run(local)
        run(ray)
        walls: dict[str, list[float]] = {"local": [], "ray": []}
        for _ in range(args.repeats):
            walls["local"].append(run(local))
            walls["ray"].append(run(ray))
        same = [r.record for r in iter_rows(str(tmp / "ray"))] == [
            r.record for r in iter_rows(str(tmp / "local.jsonl"))
        ]
    n = len(lines)
    rate = {k: n / statistics.median(v) for k, v in walls.items()}
    print("| records | engine | rows/s (median wall) | runs (s) | same records |")
    print("|---|---|---|---|---|")
    for k, v in walls.items():
        print(
            f"| {n:,} | {k} | {rate[k]:.1f} | {', '.join(f'{x:.1f}' for x in v)} | "
            f"{'yes' if same else 'NO'} |"
        )
    print(f"\nray / local = {rate['ray'] / rate['local']:.2f}x")


if __name__ == "__main__":
    main()
