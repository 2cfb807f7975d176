#!/usr/bin/env python3
"""Benchmark `mig sample` on a seeded synthetic pool shaped like Tulu 3.

Pool: 939K records, 4,531 labels with Zipf-like frequencies, 1-6 labels per record, scores in
1-36 (quality x complexity, each 1-6), a label graph with 0-8 neighbours per label.

Measures, side by side in one run, and writes the figures to benchmarks/RESULTS.md:
  1. `mig sample pool.parquet -k 50000 --graph g -o out.parquet` end to end: wall and peak RSS
     (/usr/bin/time -v), median of --repeats runs after one warm-up (numba cache).
  2. the sampler alone against a dense full scan of the same rule (N x M float32 matrix, every
     record's gain recomputed at every pick, as the paper's code runs) at N = 20K and 100K.
  3. sampler time at N = 100K, 300K, 939K with k = 5%.
  4. memory and time of `mig sample` on a 2M-record JSONL pool with ~1 KB of chat text per
     record against the same pool without text (generated once into --pool-dir, reused).

Usage: python scripts/bench_sample.py [--quick] [--repeats 3] [--out benchmarks/RESULTS.md]
       python scripts/bench_sample.py --only end-to-end|memory   (one section, spliced in)
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from mig_cli.records.annotations import Annotations, LabelColumn  # noqa: E402
from mig_cli.records.graph_files import write_graph  # noqa: E402
from mig_cli.records.label_graph import LabelGraph  # noqa: E402
from mig_cli.selection import kernels  # noqa: E402
from mig_cli.selection.phi import PowPhi  # noqa: E402
from mig_cli.selection.sampler import MigSampler  # noqa: E402
from mig_cli.selection.selection import mig_vectors, select  # noqa: E402

M = 4531


def make_labels(m: int) -> list[str]:
    return [f"intent tag {i:04d}" for i in range(m)]


def make_pool(n: int, seed: int = 0) -> tuple[pa.Table, Annotations]:
    rng = np.random.default_rng(seed)
    labels = make_labels(M)
    probs = 1.0 / np.arange(1, M + 1) ** 1.1
    probs /= probs.sum()
    counts = rng.integers(1, 7, size=n)
    offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(counts, out=offsets[1:])
    flat = rng.choice(M, size=int(offsets[-1]), p=probs)
    dictionary = pa.array(labels, type=pa.string())
    values = pa.DictionaryArray.from_arrays(pa.array(flat, type=pa.int32()), dictionary)
    values = values.cast(pa.string())
    label_lists = pa.ListArray.from_arrays(pa.array(offsets), values)
    quality = rng.integers(1, 7, size=n) + rng.random(n).round(2)
    complexity = rng.integers(1, 7, size=n)
    scores = np.clip(quality, 1, 6) * complexity
    ids = pa.array([f"rec-{i:07d}" for i in range(n)])
    table = pa.table({"id": ids, "labels": label_lists, "score": scores})
    ann = Annotations(LabelColumn(offsets.astype(np.int64), values), scores.astype(np.float64))
    return table, ann


def make_graph(seed: int = 1) -> LabelGraph:
    rng = np.random.default_rng(seed)
    pairs = {}
    for a in range(M):
        for b in rng.choice(M, size=int(rng.integers(0, 5)), replace=False):
            if a != b:
                key = (min(a, int(b)), max(a, int(b)))
                pairs[key] = float(rng.uniform(0.9, 1.0))
    src = np.array([a for a, b in pairs] + [b for a, b in pairs], dtype=np.int64)
    dst = np.array([b for a, b in pairs] + [a for a, b in pairs], dtype=np.int64)
    w = np.array(list(pairs.values()) * 2, dtype=np.float32)
    order = np.lexsort((dst, src))
    return LabelGraph(make_labels(M), np.zeros(M, np.int64), src[order], dst[order], w[order])


def dense_full_scan(u_dense: np.ndarray, k: int, phi: PowPhi) -> list[int]:
    """The paper's way: every pick recomputes every record's gain over all M labels."""
    x = np.zeros(u_dense.shape[1], dtype=np.float32)
    chosen = np.zeros(u_dense.shape[0], dtype=bool)
    out = []
    for _ in range(k):
        grad = (phi.p2 * (x + phi.p1) ** (phi.p2 - 1.0)).astype(np.float32)
        gains = u_dense @ grad
        gains[chosen] = -np.inf
        best = int(np.argmax(gains))
        chosen[best] = True
        out.append(best)
        x += u_dense[best]
    return out


def timed_cli(args: list[str], source: str | None = None) -> tuple[float, float, float]:
    """(wall seconds, peak RSS MiB, CPU seconds user+sys) of one `mig` run (/usr/bin/time -v).

    `source`: a folder holding another `mig_cli` package to run instead (a baseline).
    """
    command = [str(Path(sys.executable).with_name("mig"))]
    env = {**os.environ, "MIG_NO_PROGRESS": "1"}
    if source:
        command = [sys.executable, "-m", "mig_cli"]
        env["PYTHONPATH"] = source
    start = time.perf_counter()
    proc = subprocess.run(
        ["/usr/bin/time", "-v", *command, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=source or None,  # `python -m` puts the working folder first on sys.path
    )
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"mig failed:\n{proc.stderr}")
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr).group(1))
    user = float(re.search(r"User time \(seconds\): ([\d.]+)", proc.stderr).group(1))
    system = float(re.search(r"System time \(seconds\): ([\d.]+)", proc.stderr).group(1))
    return wall, rss_kb / 1024, user + system


def load_average() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


# ----------------------------------------------------------------------------- text pools
WORDS = (
    "the model should explain how to sort a list in python and why the answer works well "
    "write a short poem about rain then translate it into french with care for rhythm and "
    "given the table below compute the total cost including tax and show every step clearly"
).split()


def write_text_pools(n: int, folder: Path, seed: int = 2) -> tuple[Path, Path]:
    """The same annotated pool twice: with ~1 KB of chat text per record, and without text.

    Written once into `folder` (kept: generating 2M records takes a while) and reused.
    """
    chat, bare = folder / f"chat-{n}.jsonl", folder / f"bare-{n}.jsonl"
    if chat.exists() and bare.exists():
        return chat, bare
    import orjson

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    text = " ".join(rng.choice(WORDS, size=400_000).tolist())
    block = 100_000
    with open(f"{chat}.tmp", "wb") as fc, open(f"{bare}.tmp", "wb") as fb:
        for start in range(0, n, block):
            size = min(block, n - start)
            table, _ = make_pool(size, seed=seed + start)
            labels = table.column("labels").to_pylist()
            scores = table.column("score").to_pylist()
            cuts = rng.integers(0, len(text) - 1200, size=(size, 2))
            lens = rng.integers(200, 400, size=size)
            out_c, out_b = [], []
            for i in range(size):
                rid = f"rec-{start + i:07d}"
                q0, a0 = int(cuts[i, 0]), int(cuts[i, 1])
                q = text[q0 : q0 + int(lens[i])]
                a = text[a0 : a0 + 1000 - int(lens[i])]
                record = {"id": rid, "labels": labels[i], "score": scores[i]}
                out_b.append(orjson.dumps(record))
                record["messages"] = [
                    {"role": "user", "content": q},
                    {"role": "assistant", "content": a},
                ]
                out_c.append(orjson.dumps(record))
            fc.write(b"\n".join(out_c) + b"\n")
            fb.write(b"\n".join(out_b) + b"\n")
    os.replace(f"{chat}.tmp", chat)
    os.replace(f"{bare}.tmp", bare)
    return chat, bare


def ranking_rows(path: Path) -> list[int]:
    return [int(x.split(",")[0]) for x in path.read_text().splitlines()[1:]]


def lines_at(path: Path, rows: list[int]) -> list[bytes]:
    wanted = set(rows)
    found = {}
    with open(path, "rb") as fh:
        for row, line in enumerate(fh):
            if row in wanted:
                found[row] = line
    return [found[r] for r in rows]


def memory_section(args, graph_dir: Path, tmp: Path) -> list[str]:
    """Peak RSS and wall of `mig sample` on a pool with ~1 KB of text per record vs without."""
    n, k = args.text_pool, args.text_k
    chat, bare = write_text_pools(n, Path(args.pool_dir))
    runs: dict[str, list[tuple[float, float, float]]] = {"bare": [], "chat": []}
    picks = {}
    for rep in range(args.repeats + 1):  # the first round warms the page cache and numba
        for name, pool in (("bare", bare), ("chat", chat)):
            out, rank = tmp / f"{name}.jsonl", tmp / f"{name}-rank.csv"
            cli = ["sample", str(pool), "-k", str(k), "--graph", str(graph_dir), "-o", str(out)]
            result = timed_cli([*cli, "--ranking", str(rank)])
            if rep:
                runs[name].append(result)
            picks[name] = ranking_rows(rank)
            print(f"{name}: {result[0]:.1f} s wall, {result[2]:.1f} s CPU, {result[1]:.0f} MiB")
    same_picks = picks["bare"] == picks["chat"]
    identical = (tmp / "chat.jsonl").read_bytes() == b"".join(lines_at(chat, picks["chat"]))
    med = {name: [statistics.median(r[i] for r in runs[name]) for i in range(3)] for name in runs}
    (bw, brss, bcpu), (cw, crss, ccpu) = med["bare"], med["chat"]
    rss_limit = 1.25 * brss + 300
    size = {name: os.path.getsize(p) / 2**20 for name, p in (("bare", bare), ("chat", chat))}
    out = [
        "## 1b. `mig sample` memory is bounded by the labels, not the text\n",
        f"Command: `python scripts/bench_sample.py --only memory --repeats {args.repeats}`. "
        f"The same {n:,}-record annotated JSONL pool twice, with ~1 KB of chat text per record "
        f"({size['chat']:,.0f} MiB) and without text ({size['bare']:,.0f} MiB); `mig sample "
        f"POOL -k {k:,} --graph g -o out.jsonl --ranking r.csv`, runs interleaved (bare, chat), "
        f"medians of {args.repeats} after a warm-up round; /usr/bin/time -v. Load average "
        f"during the run: {load_average()} on {os.cpu_count()} cores (other jobs share the "
        "machine, so CPU time is given beside wall time).\n",
        "| pool | wall (median) | CPU user+sys (median) | peak RSS (median) |",
        "|---|---|---|---|",
        f"| without text | {bw:.1f} s | {bcpu:.1f} s | {brss:,.0f} MiB |",
        f"| ~1 KB text per record | {cw:.1f} s | {ccpu:.1f} s | {crss:,.0f} MiB |",
        "",
        f"- peak RSS(text) = {crss:,.0f} MiB <= 1.25 x {brss:,.0f} + 300 = {rss_limit:,.0f} MiB: "
        f"{'yes' if crss <= rss_limit else 'NO'}",
        f"- wall(text) / wall(no text) = {cw / bw:.2f} (target <= 2): "
        f"{'yes' if cw <= 2 * bw else 'NO'}; CPU ratio {ccpu / bcpu:.2f}",
        f"- same picks: {'yes' if same_picks else 'NO'}; selected lines byte-identical to the "
        f"source lines: {'yes' if identical else 'NO'}",
        "- runs (wall s / CPU s / MiB): without text "
        + "; ".join(f"{w:.1f}/{c:.1f}/{r:.0f}" for w, r, c in runs["bare"])
        + "; with text "
        + "; ".join(f"{w:.1f}/{c:.1f}/{r:.0f}" for w, r, c in runs["chat"])
        + "\n",
    ]
    return out


def end_to_end_section(args, graph: LabelGraph, tmp: Path, n_full: int, k_full: int) -> list[str]:
    """`mig sample` from Parquet and from JSONL, end to end, with the picks checked."""
    import orjson

    table, ann = make_pool(n_full)
    pq.write_table(table, tmp / "pool.parquet")
    with open(tmp / "pool.jsonl", "wb") as fh:
        for record in table.to_pylist():
            fh.write(orjson.dumps(record) + b"\n")
    write_graph(graph, str(tmp / "graph"))
    expected = table.column("id").take(select(ann, k_full, graph=graph).rows).to_pylist()
    rows = []
    versions = [("this version", None)]
    if args.baseline:
        versions.append((f"baseline ({args.baseline_name})", args.baseline))
    for name in ("parquet", "jsonl"):
        cli = ["sample", str(tmp / f"pool.{name}"), "-k", str(k_full), "--graph"]
        cli += [str(tmp / "graph"), "-o", str(tmp / f"subset.{name}")]
        runs: dict[str, list] = {label: [] for label, _ in versions}
        same: dict[str, str] = {}
        for rep in range(args.repeats + 1):  # interleaved; the first round is a warm-up
            for label, source in versions:
                result = timed_cli(cli, source)
                if rep:
                    runs[label].append(result)
                if name == "parquet":
                    got = pq.read_table(tmp / "subset.parquet").column("id").to_pylist()
                else:
                    data = (tmp / "subset.jsonl").read_bytes()
                    got = [orjson.loads(x)["id"] for x in data.splitlines() if x]
                same[label] = "yes" if got == expected else "NO"
        for label, _ in versions:
            walls = [r[0] for r in runs[label]]
            rss = [r[1] for r in runs[label]]
            cpu = [r[2] for r in runs[label]]
            print(f"{name} {label}: {statistics.median(walls):.2f}s, {statistics.median(cpu):.2f}s")
            all_walls = ", ".join(f"{w:.2f}" for w in walls)
            rows.append(
                f"| {name} | {label} | {statistics.median(walls):.2f} s | {all_walls} "
                f"| {statistics.median(cpu):.2f} s | {max(rss):,.0f} MiB | {same[label]} |"
            )
    return [
        "## 1. `mig sample` end to end (read, select, write the subset)\n",
        f"Command: `python scripts/bench_sample.py {shlex.join(sys.argv[1:])}`.\n",
        f"Pool {n_full:,} records, {M:,} labels, graph {graph.num_edges:,} edges, "
        f"k = {k_full:,}; the same pool as Parquet (only labels, score and id are read; labels "
        "as dictionary codes) and as JSONL (one pass keeps labels, scores, ids and line "
        "offsets; the chosen lines are then copied from the file); median of "
        f"{args.repeats} interleaved runs after a warm-up round; 'same picks': the subset's ids "
        "equal the API's "
        f"`select` on the same annotations. Load average during the run: {load_average()} on "
        f"{os.cpu_count()} cores (other jobs share the machine: CPU time is the steadier "
        "figure).\n",
        "| input | code | wall (median) | wall (runs) | CPU user+sys (median) | peak RSS (max) "
        "| same picks |",
        "|---|---|---|---|---|---|---|",
        *rows,
        "",
    ]


def splice(out: Path, name: str, lines: list[str]) -> None:
    """Replace the block between <!-- name --> and <!-- /name --> in `out` (or append it)."""
    text = out.read_text() if out.exists() else ""
    block = f"<!-- {name} -->\n" + "\n".join(lines) + f"\n<!-- /{name} -->\n"
    start, end = text.find(f"<!-- {name} -->"), text.find(f"<!-- /{name} -->")
    if start >= 0 and end >= 0:
        text = text[:start] + block + text[end + len(f"<!-- /{name} -->\n") :]
    else:
        marker = "<!-- tagging -->"
        at = text.find(marker)
        text = text[:at] + block + "\n" + text[at:] if at >= 0 else text + "\n" + block
    out.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "RESULTS.md"))
    parser.add_argument(
        "--only",
        choices=["end-to-end", "memory"],
        help="run one section and replace only its block in --out",
    )
    parser.add_argument(
        "--baseline", help="folder holding an older mig_cli package to run side by side"
    )
    parser.add_argument("--baseline-name", default="baseline", help="how to name it")
    parser.add_argument("--text-pool", type=int, default=2_000_000, help="records (memory)")
    parser.add_argument("--text-k", type=int, default=50_000, help="k (memory)")
    parser.add_argument(
        "--pool-dir", default="/tmp/mig-bench-pools", help="where the text pools are kept"
    )
    args = parser.parse_args()
    if args.only:
        n_only = 100_000 if args.quick else 939_000
        k_only = 5_000 if args.quick else 50_000
        with tempfile.TemporaryDirectory(prefix="mig-bench-") as tmp:
            graph = make_graph()
            write_graph(graph, str(Path(tmp) / "graph"))
            if args.only == "memory":
                section = memory_section(args, Path(tmp) / "graph", Path(tmp))
                splice(Path(args.out), "sample-memory", section)
            else:
                section = end_to_end_section(args, graph, Path(tmp), n_only, k_only)
                splice(Path(args.out), "sample-end-to-end", section)
        print("\n".join(section))
        return
    n_full = 100_000 if args.quick else 939_000
    k_full = 5_000 if args.quick else 50_000
    dense_sizes = [(5_000, 200)] if args.quick else [(20_000, 1_000), (100_000, 500)]
    scale_sizes = [20_000, 50_000, 100_000] if args.quick else [100_000, 300_000, 939_000]
    phi = PowPhi(1e-6, 0.8)
    graph = make_graph()
    lines = []
    log = lines.append

    with tempfile.TemporaryDirectory(prefix="mig-bench-") as tmp:
        log("<!-- sample-end-to-end -->")
        lines.extend(end_to_end_section(args, graph, Path(tmp), n_full, k_full))
        log("<!-- /sample-end-to-end -->\n")
        log("<!-- sample-memory -->")
        lines.extend(memory_section(args, Path(tmp) / "graph", Path(tmp)))
        log("<!-- /sample-memory -->\n")

    log("## 2. Sampler alone: lazy greedy (sparse) vs dense full scan (paper's way)\n")
    log("| N | k | dense full scan | mig lazy greedy | speed-up | same picks |")
    log("|---|---|---|---|---|---|")
    for n, k in dense_sizes:
        _, ann = make_pool(n, seed=n)
        model = mig_vectors(ann, graph)
        sampler = MigSampler(phi)
        sampler.select(model.u, 10)  # compile / warm
        fast = []
        for _ in range(args.repeats):
            t = time.perf_counter()
            sel = sampler.select(model.u, k)
            fast.append(time.perf_counter() - t)
        u_dense = model.u.toarray().astype(np.float32)
        t = time.perf_counter()
        dense_rows = dense_full_scan(u_dense, k, phi)
        dense = time.perf_counter() - t
        del u_dense
        same = float(np.mean(np.array(dense_rows) == sel.rows))
        fast_t = statistics.median(fast)
        print(f"N={n}: dense {dense:.2f}s, mig {fast_t:.4f}s, x{dense / fast_t:,.0f}", flush=True)
        log(
            f"| {n:,} | {k:,} | {dense:.2f} s | {fast_t * 1000:.1f} ms | "
            f"{dense / fast_t:,.0f}x | {same:.1%} |"
        )
    log(
        "\nDense runs in float32 like the paper's code; 'same picks' is the share of positions "
        "where both chose the same record (they differ only after a float32 near-tie).\n"
    )

    log("## 3. Scaling at k = 5% (sampler: build u = vP, then select)\n")
    log("| N | k | build u | select | total | evaluations |")
    log("|---|---|---|---|---|---|")
    for n in scale_sizes:
        _, ann = make_pool(n, seed=n + 1)
        k = n // 20
        builds, selects = [], []
        for _ in range(args.repeats):
            t = time.perf_counter()
            model = mig_vectors(ann, graph)
            builds.append(time.perf_counter() - t)
            t = time.perf_counter()
            sel = MigSampler(phi).select(model.u, k)
            selects.append(time.perf_counter() - t)
        b, s = statistics.median(builds), statistics.median(selects)
        print(f"N={n}: build {b:.2f}s select {s:.2f}s", flush=True)
        log(f"| {n:,} | {k:,} | {b:.2f} s | {s:.2f} s | {b + s:.2f} s | {sel.evaluations:,} |")

    backend = "numba" if kernels.greedy_phase_compiled is not None else "python"
    header = [
        "# Benchmark results: `mig sample`\n",
        f"Command: `{' '.join(['python', 'scripts/bench_sample.py', *sys.argv[1:]])}` "
        f"(`make bench`). Machine: {os.cpu_count()} cores, {platform.machine()}, "
        f"Python {platform.python_version()}, sampler backend {backend}. "
        f"Date: {time.strftime('%Y-%m-%d')}.\n",
    ]
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    existing = out.read_text() if out.exists() else ""
    marker = "<!-- tagging -->"
    tail = existing[existing.index(marker) :] if marker in existing else ""
    out.write_text("\n".join(header + lines) + "\n" + tail)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
