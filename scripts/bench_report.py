#!/usr/bin/env python3
"""Benchmark `mig report` on a 1M-record synthetic pool (the pool of scripts/bench_sample.py).

Pool: 1,000,000 records, 4,531 labels (Zipf-like), 1-6 labels per record, scores 1-36, a `source`
field with 6 values; label graph with 0-8 neighbours per label. Subsets: MIG 50K (with its
ranking file) and random 50K, both written by `mig sample`.

Measures, in one run, and writes the figures to benchmarks/REPORT.md:
  1. `mig report pool.parquet subset-mig.parquet subset-random.parquet --graph g --by source
     --ranking ranking.parquet -o report.html` end to end: wall and peak RSS (/usr/bin/time -v),
     median of --repeats runs;
  2. in one process, the stages: reading inputs is left out; `build_report_data` (curves, gains,
     shares, stats) and `render_html` (matplotlib SVG + page), median of --repeats;
  3. the size of the page.

Usage: python scripts/bench_report.py [--quick] [--repeats 3] [--out benchmarks/REPORT.md]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from bench_sample import make_graph, make_pool, timed_cli  # noqa: E402

from mig_cli.records.graph_files import write_graph  # noqa: E402
from mig_cli.report.data import ReportOptions, SubsetInput, build_report_data  # noqa: E402
from mig_cli.report.html import render_html  # noqa: E402
from mig_cli.selection.selection import select  # noqa: E402

SOURCES = ["code", "math", "chat", "roleplay", "tools", "safety"]


def timed_report(args: list[str]) -> tuple[float, float, float]:
    """(wall s, CPU s = user + system, peak RSS MiB) of one `mig` run under /usr/bin/time -v."""
    import re
    import subprocess

    mig = str(Path(sys.executable).with_name("mig"))
    env = {**os.environ, "MIG_NO_PROGRESS": "1"}
    start = time.perf_counter()
    proc = subprocess.run(
        ["/usr/bin/time", "-v", mig, *args], capture_output=True, text=True, env=env
    )
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"mig failed:\n{proc.stderr}")

    def field(name: str) -> float:
        return float(re.search(rf"{name}: ([0-9.]+)", proc.stderr).group(1))

    cpu = field(r"User time \(seconds\)") + field(r"System time \(seconds\)")
    return wall, cpu, field(r"Maximum resident set size \(kbytes\)") / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100K records, for a smoke run")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "REPORT.md"))
    args = parser.parse_args()
    n = 100_000 if args.quick else 1_000_000
    k = n // 20
    table, ann = make_pool(n)
    rng = np.random.default_rng(7)
    source = np.array(SOURCES)[rng.integers(0, len(SOURCES), size=n)]
    table = table.append_column("source", pa.array(source.tolist()))
    graph = make_graph()
    lines = [
        "# `mig report` on a large pool",
        "",
        f"Machine: {platform.machine()}, {platform.python_version()}; "
        f"pool {n:,} records, {graph.num_nodes:,} labels, subsets of {k:,} (MIG, random). "
        f"`python scripts/bench_report.py{' --quick' if args.quick else ''}`; "
        f"median of {args.repeats}; load average at start {os.getloadavg()[0]:.1f} "
        f"on {os.cpu_count()} CPUs (a shared machine inflates wall times).",
        "",
    ]
    with tempfile.TemporaryDirectory(prefix="mig-bench-report-") as tmp:
        tmp = Path(tmp)
        pq.write_table(table, tmp / "pool.parquet")
        write_graph(graph, str(tmp / "graph"))
        pool, g = str(tmp / "pool.parquet"), str(tmp / "graph")
        timed_cli(
            [
                "sample",
                pool,
                "-k",
                str(k),
                "--graph",
                g,
                "-o",
                str(tmp / "mig.parquet"),
                "--ranking",
                str(tmp / "ranking.parquet"),
            ]
        )
        timed_cli(
            [
                "sample",
                pool,
                "-k",
                str(k),
                "--method",
                "random",
                "--seed",
                "1",
                "-o",
                str(tmp / "random.parquet"),
            ]
        )
        cli = [
            "report",
            pool,
            str(tmp / "mig.parquet"),
            str(tmp / "random.parquet"),
            "--graph",
            g,
            "--by",
            "source",
            "--ranking",
            str(tmp / "ranking.parquet"),
            "-o",
            str(tmp / "report.html"),
        ]
        runs = [timed_report(cli) for _ in range(args.repeats)]
        wall = statistics.median(r[0] for r in runs)
        cpu = statistics.median(r[1] for r in runs)
        rss = statistics.median(r[2] for r in runs)
        size = (tmp / "report.html").stat().st_size

    mig = select(ann, k, graph=graph)
    rnd = select(ann, k, method="random", seed=1)
    subsets = [SubsetInput("mig", mig.rows, mig.gains), SubsetInput("random", rnd.rows)]
    data_t, render_t = [], []
    for _ in range(args.repeats):
        start = time.perf_counter()
        data = build_report_data(
            ann, graph, subsets, ReportOptions(), by=("source", source.tolist())
        )
        data_t.append(time.perf_counter() - start)
        start = time.perf_counter()
        render_html(data, {"inputs": [], "options": {}})
        render_t.append(time.perf_counter() - start)

    lines += [
        "| what | figure |",
        "|---|---|",
        f"| `mig report` end to end (read the Parquet pool, 2 subsets, a ranking and 2 "
        f"manifests; rows checked record by record; compute, draw, write) | {wall:.1f} s wall, "
        f"{cpu:.1f} s CPU, peak RSS {rss:,.0f} MiB |",
        f"| in one process: `build_report_data` (stats x3, I(D) and coverage curves x4 incl. "
        f"2 recomputed baselines, gains, shares) | {statistics.median(data_t):.2f} s |",
        f"| `render_html` (9 matplotlib SVG charts + page) | {statistics.median(render_t):.2f} s |",
        f"| page size | {size / 1024:,.0f} KiB |",
        "",
        "Curves are sampled at <= 500 points and computed chunk by chunk from the sparse",
        "propagated vectors (one sparse product per chunk), so the page size and the drawing",
        "time do not grow with the pool.",
    ]
    text = "\n".join(lines) + "\n"
    Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
