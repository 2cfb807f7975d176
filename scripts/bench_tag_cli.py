#!/usr/bin/env python3
"""`mig tag` end to end against raw `encode` of the same model on the same texts.

Runs, interleaved, median of --repeats:
  raw:  Embedder.encode(first user turns) in this process (model already loaded);
  cli:  `mig tag POOL -o OUT` as a user runs it, minus the fixed start-up cost measured by
        tagging a 1-record pool (imports, model load, cached taxonomy), so both are rows/s of
        the tagging itself.

Usage: python scripts/bench_tag_cli.py [--pool data/sample-pool.jsonl] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from mig_cli.annotate.embedding import Embedder  # noqa: E402
from mig_cli.records.chat import conversation, select_text  # noqa: E402


def run_cli(pool: Path, out: Path) -> float:
    mig = str(Path(sys.executable).with_name("mig"))
    env = {**os.environ, "MIG_NO_PROGRESS": "1", "HF_HUB_OFFLINE": "1"}
    start = time.perf_counter()
    subprocess.run(
        [mig, "tag", str(pool), "-o", str(out)], check=True, env=env, capture_output=True
    )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pool", default=str(ROOT / "data" / "sample-pool.jsonl"))
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    lines = Path(args.pool).read_text().splitlines()
    texts = [select_text(conversation(json.loads(x)), "first-user") for x in lines]
    embedder = Embedder()
    embedder.load()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        one = tmp / "one.jsonl"
        one.write_text(lines[0] + "\n")
        run_cli(one, tmp / "warm.jsonl")  # fills the tag-embedding cache
        raw, cli, fixed = [], [], []
        for _ in range(args.repeats):
            start = time.perf_counter()
            embedder.encode(texts)
            raw.append(time.perf_counter() - start)
            fixed.append(run_cli(one, tmp / "o1.jsonl"))
            cli.append(run_cli(Path(args.pool), tmp / "o.jsonl"))
    n = len(texts)
    raw_rate = n / statistics.median(raw)
    cli_rate = (n - 1) / (statistics.median(cli) - statistics.median(fixed))
    print("| texts | raw encode | mig tag (tagging phase) | ratio | mig tag wall | start-up |")
    print("|---|---|---|---|---|---|")
    print(
        f"| {n:,} | {raw_rate:.1f} rows/s | {cli_rate:.1f} rows/s | {cli_rate / raw_rate:.1%} | "
        f"{statistics.median(cli):.1f} s | {statistics.median(fixed):.1f} s |"
    )


if __name__ == "__main__":
    main()
