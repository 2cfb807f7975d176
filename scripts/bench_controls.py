#!/usr/bin/env python3
"""Benchmark the selection controls of `mig sample` on the 939K-record synthetic pool.

The pool is `bench_sample.make_pool` (Tulu-shaped: 4,531 labels, 1-6 per record, scores 1-36)
plus a `source` field (5 sources, skewed) and an `n_tokens` field (log-normal, 20-4,000).
Measures, side by side in one run (interleaved, median of --repeats runs after a warm-up):

  1. `mig sample` end to end (Parquet in, Parquet out, manifest written) without and with each
     control: nested sizes, --min-score, --exclude, --include, a budget (--cost n_tokens),
     quota caps, quota minimums, the README's worked example, and --replay; wall and peak RSS
     (/usr/bin/time -v).
  2. the sampler alone (u built once): plain greedy vs budget, caps, minimums (median).
  3. what the manifest costs (sha256 of the pool, streamed) and token counting with the bundled
     tokenizer on real text from ../shared/data (first count, then from the cache).

Usage: python scripts/bench_controls.py [--quick] [--repeats 3] [--out benchmarks/CONTROLS.md]
"""

from __future__ import annotations

import argparse
import json
import os
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
from shared_data import shared_data_dir  # noqa: E402

from mig_cli.annotate.costs import record_costs  # noqa: E402
from mig_cli.records.cost_cache import CostCache  # noqa: E402
from mig_cli.records.formats import read_pool  # noqa: E402
from mig_cli.records.graph_files import write_graph  # noqa: E402
from mig_cli.records.manifest import sha256_file  # noqa: E402
from mig_cli.selection.phi import PowPhi  # noqa: E402
from mig_cli.selection.quota import quota_limits  # noqa: E402
from mig_cli.selection.sampler import MigSampler  # noqa: E402
from mig_cli.selection.selection import mig_vectors  # noqa: E402

SOURCES = ["flan", "sharegpt", "math", "code", "wildchat"]
SOURCE_P = [0.45, 0.25, 0.15, 0.1, 0.05]
SHARED = shared_data_dir()


def controls_pool(n: int) -> pa.Table:
    table, _ = make_pool(n)
    rng = np.random.default_rng(7)
    source = rng.choice(len(SOURCES), size=n, p=SOURCE_P)
    tokens = np.clip(np.round(rng.lognormal(5.3, 0.9, size=n)), 20, 4000).astype(np.int64)
    table = table.append_column("source", pa.array([SOURCES[s] for s in source.tolist()]))
    return table.append_column("n_tokens", pa.array(tokens))


def write_records(table: pa.Table, rows: np.ndarray, path: Path) -> None:
    with path.open("w") as fh:
        for record in table.take(pa.array(rows)).to_pylist():
            fh.write(json.dumps(record) + "\n")


def median_runs(runs: dict[str, list[tuple[float, float]]], name: str) -> tuple[float, float]:
    walls = [r[0] for r in runs[name]]
    return statistics.median(walls), max(r[1] for r in runs[name])


def sampler_alone(table: pa.Table, repeats: int, k: int, budget: int) -> list[str]:
    from mig_cli.records.annotations import read_annotations
    from mig_cli.records.pool import Pool

    ann = read_annotations(Pool("bench", table=table))
    graph = make_graph()
    model = mig_vectors(ann, graph)
    cost = table.column("n_tokens").to_numpy().astype(np.float64)
    values = table.column("source").to_pylist()
    caps = quota_limits("source", values, max_share={"*": 0.25}, size=k)
    mins = quota_limits(
        "source", values, max_share={"*": 0.3}, min_count={"wildchat": k // 10}, size=k
    )
    budget_caps = quota_limits("source", values, max_share={"*": 0.25}, size=budget)
    sampler = MigSampler(PowPhi())
    cases = {
        "plain greedy, k": lambda: sampler.select(model.u, k),
        "budget (gain / cost)": lambda: sampler.select(model.u, None, cost=cost, budget=budget),
        "quota caps 25%, k": lambda: sampler.select(model.u, k, groups=caps),
        "quota minimum + caps, k": lambda: sampler.select(model.u, k, groups=mins),
        "budget + caps 25%": lambda: sampler.select(
            model.u, None, cost=cost, budget=budget, groups=budget_caps
        ),
    }
    sampler.select(model.u, 10)  # compile
    times: dict[str, list[float]] = {name: [] for name in cases}
    picks: dict[str, int] = {}
    for _ in range(repeats):
        for name, fn in cases.items():
            t = time.perf_counter()
            sel = fn()
            times[name].append(time.perf_counter() - t)
            picks[name] = len(sel.rows)
    base = statistics.median(times["plain greedy, k"])
    lines = [
        "| rule | records picked | select (median) | vs plain | per pick |",
        "|---|---|---|---|---|",
    ]
    for name in cases:
        t = statistics.median(times[name])
        per = t / picks[name] * 1e6
        lines.append(f"| {name} | {picks[name]:,} | {t:.2f} s | {t / base:.2f}x | {per:.0f} us |")
        print(f"sampler {name}: {t:.2f}s ({picks[name]:,} picked)", flush=True)
    return lines


def token_counting(limit: int, shared: Path) -> list[str]:
    files = sorted(shared.glob("*.jsonl"))
    if not files:
        return ["(../shared/data not found: token counting skipped)"]
    with tempfile.TemporaryDirectory(prefix="mig-bench-tok-") as tmp:
        pool_path = Path(tmp) / "text.jsonl"
        with pool_path.open("wb") as out:
            written = 0
            for f in files:
                for line in f.read_bytes().splitlines(keepends=True):
                    if written >= limit:
                        break
                    out.write(line)
                    written += 1
        pool = read_pool(str(pool_path))
        cache = CostCache(Path(tmp) / "cache")
        t = time.perf_counter()
        costs, _ = record_costs(pool, "tokens", cache=cache)
        first = time.perf_counter() - t
        t = time.perf_counter()
        record_costs(pool, "tokens", cache=cache)
        cached = time.perf_counter() - t
        t = time.perf_counter()
        record_costs(pool, "chars")
        chars = time.perf_counter() - t
    n = len(costs)
    print(f"tokens: {n:,} records, first {first:.1f}s, cached {cached:.1f}s", flush=True)
    return [
        "| records | tokens | first count | rate | from the cache | --cost chars |",
        "|---|---|---|---|---|---|",
        f"| {n:,} | {int(costs.sum()):,} | {first:.1f} s | {n / first:,.0f} rec/s "
        f"({costs.sum() / first:,.0f} tok/s) | {cached:.2f} s | {chars:.2f} s |",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100K records, for a smoke run")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "CONTROLS.md"))
    parser.add_argument("--shared", default=str(SHARED), help="folder of ../shared/data")
    args = parser.parse_args()
    n = 100_000 if args.quick else 939_000
    k = 5_000 if args.quick else 50_000
    budget = 500_000 if args.quick else 5_000_000
    lines: list[str] = []
    log = lines.append
    with tempfile.TemporaryDirectory(prefix="mig-bench-controls-") as tmp:
        tmp = Path(tmp)
        table = controls_pool(n)
        pool = tmp / "pool.parquet"
        pq.write_table(table, pool)
        write_graph(make_graph(), str(tmp / "graph"))
        rng = np.random.default_rng(3)
        write_records(table, rng.choice(n, 10_000, replace=False), tmp / "exclude.jsonl")
        write_records(table, rng.choice(n, 1_000, replace=False), tmp / "include.jsonl")
        sizes = f"{k // 10},{k // 5},{k}"
        base = ["sample", str(pool), "--graph", str(tmp / "graph")]
        out = ["-o", str(tmp / "subset.parquet")]
        cases = {
            "without controls: -k K": ["-k", str(k)],
            "nested -k K/10,K/5,K": ["-k", sizes],
            "--min-score 12": ["-k", str(k), "--min-score", "12"],
            "--exclude (10,000 records)": ["-k", str(k), "--exclude", str(tmp / "exclude.jsonl")],
            "--include (1,000 records)": ["-k", str(k), "--include", str(tmp / "include.jsonl")],
            f"--budget-tokens {budget:,} --cost n_tokens": [
                "--budget-tokens", str(budget), "--cost", "n_tokens"
            ],
            "--quota source --max-share *=0.25": [
                "-k", str(k), "--quota", "source", "--max-share", "*=0.25"
            ],
            "--quota + --min-count wildchat=K/10": [
                "-k", str(k), "--quota", "source", "--max-share", "*=0.3",
                "--min-count", f"wildchat={k // 10}",
            ],
            "worked example: budget + 25% cap + nested": [
                "--budget-tokens", str(budget), "--cost", "n_tokens", "--quota", "source",
                "--max-share", "*=0.25", "-k", sizes,
            ],
        }  # fmt: skip
        timed_cli(base + cases["without controls: -k K"] + out)  # warm-up (numba cache)
        runs: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
        runs["--replay (of -k K)"] = []
        for r in range(args.repeats):
            for name, extra in cases.items():
                runs[name].append(timed_cli(base + extra + out))
                print(f"run {r + 1} {name}: {runs[name][-1][0]:.2f}s", flush=True)
            timed_cli(base + cases["without controls: -k K"] + out)
            runs["--replay (of -k K)"].append(
                timed_cli(["sample", "--replay", str(tmp / "subset.manifest.json")])
            )
        plain, _ = median_runs(runs, "without controls: -k K")
        log("## `mig sample` end to end, without and with each control\n")
        log(
            f"Pool {n:,} records (Parquet, {pool.stat().st_size / 2**20:,.0f} MiB), 4,531 labels, "
            f"K = {k:,}, budget {budget:,} tokens of `n_tokens`; every run writes the subset "
            f"and its manifest. Median of {args.repeats} interleaved runs after a warm-up.\n"
        )
        log("| run | wall (median) | vs without | peak RSS (max) |\n|---|---|---|---|")
        for name in runs:
            wall, rss = median_runs(runs, name)
            log(f"| {name} | {wall:.2f} s | {wall / plain:.2f}x | {rss:,.0f} MiB |")
        t = time.perf_counter()
        sha256_file(pool)
        hashing = time.perf_counter() - t
        log(
            f"\nThe manifest's sha256 of the pool ({pool.stat().st_size / 2**20:,.0f} MiB, "
            f"streamed) takes {hashing:.2f} s of each run.\n"
        )
        log("## The sampler alone (u built once), plain greedy vs each rule\n")
        lines.extend(sampler_alone(table, args.repeats, k, budget))
    log("\n## Token counting for `--cost tokens` (bundled all-MiniLM-L6-v2 tokenizer)\n")
    log("Real records of ../shared/data (every turn, no truncation), counted, then read back.\n")
    lines.extend(token_counting(20_000 if args.quick else 60_000, Path(args.shared)))
    command = " ".join(["python", "scripts/bench_controls.py", *sys.argv[1:]])
    header = [
        "# Benchmark results: selection controls of `mig sample`\n",
        f"Command: `{command}`. Machine: {os.cpu_count()} cores. "
        f"Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.\n",
    ]
    out_path = Path(args.out)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text("\n".join(header + lines) + "\n")
    print(f"wrote {out_path}")


if __name__ == "__main__":
    main()
