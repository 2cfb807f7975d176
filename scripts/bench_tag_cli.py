#!/usr/bin/env python3
"""How much faster is the default encode path than fp32 PyTorch, and do the tags stay as good?

Three measures, each side by side in one process on the same texts:

1. Encode speed: `Embedder(backend=B).encode(texts)` for the fp32 PyTorch reference (`torch`)
   and each candidate (`onnx`, `onnx-int8`, optionally a shorter `--max-length`), models
   loaded first, runs interleaved (torch, candidates, torch, ...), median of `--repeats`;
   the ratio is rows/s over the torch rows/s.
2. Tag quality: the label->category measure of `scripts/bench_tag_quality.py` (a seeded
   sample of first user turns from five known sources under ../shared/data, tagged with
   `TaxonomyTagger`; multinomial naive Bayes from the bag of tags predicting the source, mean
   accuracy over seeded 70/30 splits), once per backend, plus how many records got exactly
   the same tags as with torch.
3. `mig tag` end to end with the default backend and with `--backend torch` on the bundled
   slice (rows/s of the tagging phase: wall of the run minus the wall of a 1-record run).

Usage:
  python scripts/bench_tag_cli.py [--repeats 3] [--speed-rows 1000] [--per-class 600] \
      [--cli-rows 500] [--out benchmarks/TAG_SPEED.md]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from bench_tag_quality import (  # noqa: E402
    DEFAULT_DATA,
    SOURCES,
    load_sample,
    naive_bayes_splits,
)

from mig_cli.annotate.embedding import DEFAULT_BACKEND, Embedder  # noqa: E402
from mig_cli.annotate.taggers import TaxonomyTagger  # noqa: E402
from mig_cli.records.chat import conversation  # noqa: E402
from mig_cli.records.chat_text import select_text  # noqa: E402


def variants(max_lengths: list[int]) -> dict[str, Embedder]:
    out = {"torch": Embedder(backend="torch")}
    out["onnx"] = Embedder(backend="onnx")
    out["onnx-int8"] = Embedder(backend="onnx-int8")
    for n in max_lengths:
        out[f"onnx-int8, max {n}"] = Embedder(backend="onnx-int8", max_length=n)
    return out


def encode_speed(embedders: dict[str, Embedder], texts: list[str], repeats: int) -> dict:
    for e in embedders.values():
        e.encode(texts[:8])  # load (and export) first
    times: dict[str, list[float]] = {name: [] for name in embedders}
    for _ in range(repeats):
        for name, e in embedders.items():
            start = time.perf_counter()
            e.encode(texts)
            times[name].append(time.perf_counter() - start)
    return times


def tag_quality(embedders: dict[str, Embedder], data: Path, per_class: int, splits: int) -> dict:
    rows = load_sample(data, per_class, 0)
    classes = list(SOURCES)
    texts = [t for _, _, t in rows]
    y = np.array([classes.index(c) for c, _, _ in rows])
    out = {}
    for name, e in embedders.items():
        labels = TaxonomyTagger(e.encode).tag_batch(texts)
        nb = naive_bayes_splits(labels, y, splits, 0)
        out[name] = (float(np.mean([a for a, _, _ in nb])), labels)
    return out


def run_cli(pool: Path, out: Path, backend: str | None) -> float:
    mig = str(Path(sys.executable).with_name("mig"))
    env = {**os.environ, "MIG_NO_PROGRESS": "1"}
    extra = ["--backend", backend] if backend else []
    start = time.perf_counter()
    subprocess.run([mig, "tag", str(pool), "-o", str(out), *extra], check=True, env=env)
    return time.perf_counter() - start


def cli_speed(lines: list[str], repeats: int) -> dict[str, float]:
    rates = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        pool, one = tmp / "pool.jsonl", tmp / "one.jsonl"
        pool.write_text("\n".join(lines) + "\n")
        one.write_text(lines[0] + "\n")
        walls: dict[str, list[float]] = {"default": [], "torch": []}
        fixed: dict[str, list[float]] = {"default": [], "torch": []}
        for backend in ("default", "torch"):  # warm: tag-embedding cache, ONNX export
            run_cli(one, tmp / "w.jsonl", None if backend == "default" else backend)
        for _ in range(repeats):
            for backend in ("default", "torch"):
                flag = None if backend == "default" else backend
                fixed[backend].append(run_cli(one, tmp / "o1.jsonl", flag))
                walls[backend].append(run_cli(pool, tmp / "o.jsonl", flag))
        for backend in walls:
            tagging = statistics.median(walls[backend]) - statistics.median(fixed[backend])
            rates[backend] = (len(lines) - 1) / tagging
    return rates


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pool", default=str(ROOT / "data" / "sample-pool.jsonl"))
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--speed-rows", type=int, default=1000)
    ap.add_argument("--per-class", type=int, default=600)
    ap.add_argument("--splits", type=int, default=5)
    ap.add_argument("--cli-rows", type=int, default=500, help="0 skips the end-to-end runs")
    ap.add_argument("--max-length", type=int, nargs="*", default=[128])
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()

    lines = Path(args.pool).read_text().splitlines()
    texts = [select_text(conversation(json.loads(x)), "first-user") for x in lines]
    texts = texts[: args.speed_rows]
    embedders = variants(args.max_length)
    load = [os.getloadavg()[0]]
    times = encode_speed(embedders, texts, args.repeats)
    quality = tag_quality(embedders, args.data, args.per_class, args.splits)
    rates = cli_speed(lines[: args.cli_rows], args.repeats) if args.cli_rows else {}
    load.append(os.getloadavg()[0])

    base = statistics.median(times["torch"])
    ref_labels = quality["torch"][1]
    out = [
        f"Command: `python scripts/bench_tag_cli.py --repeats {args.repeats} "
        f"--speed-rows {args.speed_rows} --per-class {args.per_class} "
        f"--cli-rows {args.cli_rows}`. Machine: {os.cpu_count()} cores, "
        f"{platform.machine()}, Python {platform.python_version()}; load average "
        f"{load[0]:.1f} -> {load[1]:.1f} (shared machine). Default backend: "
        f"`{DEFAULT_BACKEND}`.",
        "",
        f"Encode: {len(texts):,} first user turns of `{Path(args.pool).name}`, median of "
        f"{args.repeats} interleaved runs. Quality: {len(ref_labels):,} records of "
        f"{len(SOURCES)} sources, naive Bayes from the tags predicting the source, mean of "
        f"{args.splits} seeded 70/30 splits (`bench_tag_quality.py`'s measure).",
        "",
        "| backend | encode rows/s | speed vs torch fp32 | runs (s) | label->category accuracy "
        "| vs torch | same tags as torch |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, runs in times.items():
        med = statistics.median(runs)
        acc, labels = quality[name]
        same = np.mean([a == b for a, b in zip(labels, ref_labels)])
        out.append(
            f"| {name} | {len(texts) / med:.1f} | {base / med:.2f}x | "
            f"{', '.join(f'{r:.2f}' for r in runs)} | {acc:.3f} | "
            f"{acc - quality['torch'][0]:+.3f} | {same:.1%} |"
        )
    if rates:
        out += [
            "",
            f"`mig tag` end to end on {args.cli_rows:,} records of `{Path(args.pool).name}` "
            "(tagging phase: run wall minus a 1-record run's wall; median of "
            f"{args.repeats} interleaved runs): default backend {rates['default']:.1f} rows/s, "
            f"`--backend torch` {rates['torch']:.1f} rows/s, "
            f"ratio {rates['default'] / rates['torch']:.2f}x.",
        ]
    report = "\n".join(out)
    print(report)
    if args.out:
        args.out.write_text(report + "\n")


if __name__ == "__main__":
    main()
