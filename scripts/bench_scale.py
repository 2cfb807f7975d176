#!/usr/bin/env python3
"""The sampler's memory model, measured: peak RSS of `mig sample` against pool size and labels.

Pools are `scripts/bench_sample.py`'s synthetic Tulu-shaped pools (id, labels, score; 4,531
Zipf-distributed labels, 1-6 per record, the same label graph), written as Parquet, at two
sizes, plus the larger size again with about twice the label occurrences per record (each
record also gets the labels of the next record). Each pool is sampled end to end,
`mig sample POOL -k 5% --graph G -o OUT.parquet`, under `/usr/bin/time -v`, median of
`--repeats` after a warm-up; then peak RSS = a + b x records + c x label occurrences is solved
from the three points (least squares), giving bytes per record and per label occurrence.

Usage: python scripts/bench_scale.py [--sizes 300000 939000] [--repeats 2]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from bench_sample import make_graph, make_pool, timed_cli  # noqa: E402

from mig_cli.records.graph_files import write_graph  # noqa: E402


def doubled(table: pa.Table) -> pa.Table:
    """Each record's labels followed by the next record's (repeats dropped): ~2x occurrences."""
    labels = table.column("labels").to_pylist()
    more = [list(dict.fromkeys(a + labels[(i + 1) % len(labels)])) for i, a in enumerate(labels)]
    return table.set_column(1, "labels", pa.array(more, pa.list_(pa.string())))


def occurrences(table: pa.Table) -> int:
    return int(pc.sum(pc.list_value_length(table.column("labels"))).as_py())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs=2, default=[300_000, 939_000])
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    points = []
    with tempfile.TemporaryDirectory(prefix="mig-scale-") as tmp:
        tmp = Path(tmp)
        write_graph(make_graph(), str(tmp / "graph"))
        small, _ = make_pool(args.sizes[0], seed=1)
        large, _ = make_pool(args.sizes[1], seed=2)
        for name, table in (("small", small), ("large", large), ("large x2", doubled(large))):
            path = tmp / "pool.parquet"
            pq.write_table(table, path)
            cli = ["sample", str(path), "-k", str(len(table) // 20), "--graph", str(tmp / "graph")]
            cli += ["-o", str(tmp / "out.parquet")]
            timed_cli(cli)  # warm-up
            runs = [timed_cli(cli) for _ in range(args.repeats)]
            wall = statistics.median(r[0] for r in runs)
            rss = statistics.median(r[1] for r in runs)
            points.append((name, len(table), occurrences(table), wall, rss))
            print(
                f"{name}: {len(table):,} records, {points[-1][2]:,} occurrences, "
                f"{wall:.2f} s, {rss:.0f} MiB",
                flush=True,
            )
    x = np.array([[1.0, n, occ] for _, n, occ, _, _ in points])
    y = np.array([rss * 1024**2 for *_, rss in points])
    base, per_record, per_occurrence = np.linalg.lstsq(x, y, rcond=None)[0]
    print()
    print("| pool | records | label occurrences | k | wall (median) | peak RSS (median) |")
    print("|---|---|---|---|---|---|")
    for name, n, occ, wall, rss in points:
        print(f"| {name} | {n:,} | {occ:,} | {n // 20:,} | {wall:.2f} s | {rss:,.0f} MiB |")
    print()
    print(
        f"Fit: peak RSS = {base / 1024**2:,.0f} MiB + {per_record:,.0f} B x records + "
        f"{per_occurrence:,.0f} B x label occurrences"
    )


if __name__ == "__main__":
    main()
