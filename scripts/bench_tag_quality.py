"""How informative and how fast is the offline default tagger?

Quality: a seeded sample of first user turns from five known sources (GPTeacher codegen /
roleplay / toolformer, GSM8K, hh-rlhf harmless) is tagged with `TaxonomyTagger` + the bundled
embedder; only the record's `messages` reach the tagger (never `subset` / `split` /
`rejected`). A multinomial naive Bayes classifier over the bag of tags (numpy, Laplace
smoothing) is trained on 70% and tested on 30%, over several seeded splits: if the tags carry
the intent of a record, the source is easy to recover from them. Chance = always guessing the
majority class of the training split. For reference the same is done with a nearest-centroid
classifier on the raw 384-d embeddings (what the tags compress).

Speed: rows/s of `TaxonomyTagger.tag_batch` against raw `Embedder.encode` on the same texts,
runs interleaved, median of `--runs`; the tagger's one-time cost (embedding the taxonomy) is
reported apart.

    HF_HUB_OFFLINE=1 .venv/bin/python scripts/bench_tag_quality.py --out benchmarks/TAGGING.md
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from shared_data import shared_data_dir  # noqa: E402

from mig_cli.annotate.embedding import Embedder  # noqa: E402
from mig_cli.annotate.tag_data import load_taxonomy  # noqa: E402
from mig_cli.annotate.taggers import TaxonomyTagger  # noqa: E402
from mig_cli.records.chat import conversation  # noqa: E402
from mig_cli.records.chat_text import select_text  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = shared_data_dir()
SOURCES = {  # class name -> (file, predicate on the raw record, used only to pick the sample)
    "gpteacher-codegen": ("gpteacher.jsonl", lambda r: r.get("subset") == "codegen"),
    "gpteacher-roleplay": ("gpteacher.jsonl", lambda r: r.get("subset") == "roleplay"),
    "gpteacher-toolformer": ("gpteacher.jsonl", lambda r: r.get("subset") == "toolformer"),
    "gsm8k": ("gsm8k.jsonl", lambda r: True),
    "hh-rlhf": ("hh-rlhf-harmless-test.jsonl", lambda r: True),
}


def first_user_turn(record: dict) -> str:
    """The text the tagger sees: built from `messages` alone."""
    return select_text(conversation({"messages": record["messages"]}), "first-user")


def load_sample(data: Path, per_class: int, seed: int) -> list[tuple[str, str, str]]:
    """(class, id, first user turn) rows; prompts repeated in a source are kept once."""
    rng = random.Random(seed)
    rows: list[tuple[str, str, str]] = []
    cache: dict[str, list[dict]] = {}
    for name, (file, keep) in SOURCES.items():
        if file not in cache:
            with (data / file).open(encoding="utf-8") as fh:
                cache[file] = [json.loads(line) for line in fh]
        seen: set[str] = set()
        pool = []
        for record in cache[file]:
            if not keep(record):
                continue
            text = first_user_turn(record)
            if text.strip() and text not in seen:
                seen.add(text)
                pool.append((name, record["id"], text))
        rows += rng.sample(pool, min(per_class, len(pool)))
    return rows


def naive_bayes_splits(labels: list[list[str]], y: np.ndarray, splits: int, seed: int):
    """Per split: (accuracy, per-class accuracy, chance) of multinomial NB on bags of tags."""
    vocab = {t: i for i, t in enumerate(sorted({t for tags in labels for t in tags}))}
    bags = np.zeros((len(labels), len(vocab)))
    for i, tags in enumerate(labels):
        for t in tags:
            bags[i, vocab[t]] += 1
    return _splits(bags, y, splits, seed, _nb_fit_predict)


def _nb_fit_predict(x_tr, y_tr, x_te, classes):
    log_lik, log_prior = [], []
    for k in range(classes):
        counts = x_tr[y_tr == k].sum(0) + 1.0
        log_lik.append(np.log(counts / counts.sum()))
        log_prior.append(np.log(max(1, (y_tr == k).sum()) / len(y_tr)))
    return np.argmax(x_te @ np.array(log_lik).T + np.array(log_prior), axis=1)


def _centroid_fit_predict(x_tr, y_tr, x_te, classes):
    cents = np.stack([x_tr[y_tr == k].mean(0) for k in range(classes)])
    cents /= np.linalg.norm(cents, axis=1, keepdims=True)
    return np.argmax(x_te @ cents.T, axis=1)


def _splits(x, y, splits, seed, fit_predict):
    classes = int(y.max()) + 1
    out = []
    for s in range(splits):
        perm = np.random.default_rng(seed + s).permutation(len(y))
        cut = int(0.7 * len(y))
        tr, te = perm[:cut], perm[cut:]
        pred = fit_predict(x[tr], y[tr], x[te], classes)
        per = [float((pred[y[te] == k] == k).mean()) for k in range(classes)]
        chance = float((y[te] == np.bincount(y[tr], minlength=classes).argmax()).mean())
        out.append((float((pred == y[te]).mean()), per, chance))
    return out


def timed(fn, texts) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process, all threads) for one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn(texts)
    return time.perf_counter() - wall, time.process_time() - cpu


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--per-class", type=int, default=600)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--splits", type=int, default=5, help="seeded 70/30 train/test splits")
    ap.add_argument("--speed-rows", type=int, default=1000, help="texts timed per run")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--show", type=int, default=20, help="random records printed with tags")
    ap.add_argument("--out", type=Path, help="write the report (markdown) here")
    args = ap.parse_args(argv)

    rows = load_sample(args.data, args.per_class, args.seed)
    classes = list(SOURCES)
    texts = [t for _, _, t in rows]
    y = np.array([classes.index(c) for c, _, _ in rows])
    print(f"sample: {len(rows)} records, {Counter(c for c, _, _ in rows)}", file=sys.stderr)

    embedder = Embedder()
    embedder.encode(["warm up"])
    start = time.perf_counter()
    tagger = TaxonomyTagger(embedder.encode)
    tagger.tag_batch(["warm up"])  # embeds the taxonomy once
    setup_s = time.perf_counter() - start

    start = time.perf_counter()
    sims = tagger.similarities(texts)
    labels = tagger.select(sims, texts)
    print(f"tagged {len(texts)} texts in {time.perf_counter() - start:.1f}s", file=sys.stderr)
    # the same similarities without cues (the embedding alone), and the raw vectors
    plain = TaxonomyTagger(embedder.encode, use_cues=False).select(sims, texts)
    vectors = embedder.encode(texts)

    nb = naive_bayes_splits(labels, y, args.splits, args.seed)
    nb_plain = naive_bayes_splits(plain, y, args.splits, args.seed)
    ref = _splits(vectors, y, args.splits, args.seed, _centroid_fit_predict)

    speed_texts = [texts[i] for i in random.Random(args.seed).sample(range(len(texts)), len(texts))]
    speed_texts = speed_texts[: args.speed_rows]
    raw_s, tag_s = [], []
    load = [os.getloadavg()[0]]
    for run in range(args.runs):
        raw_s.append(timed(embedder.encode, speed_texts))
        tag_s.append(timed(tagger.tag_batch, speed_texts))
        print(
            f"speed run {run + 1}: raw {raw_s[-1]} tagger {tag_s[-1]} (wall, cpu)", file=sys.stderr
        )
    load.append(os.getloadavg()[0])
    n = len(speed_texts)
    speed = {
        kind: (
            n / statistics.median(r[i] for r in raw_s),
            n / statistics.median(r[i] for r in tag_s),
        )
        for i, kind in enumerate(("wall", "cpu"))
    }

    report = render(args, rows, labels, classes, nb, nb_plain, ref, speed, load, setup_s, tagger)
    print(report)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(report, encoding="utf-8")
    return 0


def render(args, rows, labels, classes, nb, nb_plain, ref, speed, load, setup_s, tagger) -> str:
    def mean(xs):
        return float(np.mean(xs))

    acc = [a for a, _, _ in nb]
    per = np.mean([p for _, p, _ in nb], axis=0)
    chance = mean([c for _, _, c in nb])
    ref_acc = mean([a for a, _, _ in ref])
    n_tags = len(set(load_taxonomy()[0]))
    distinct = len({t for tags in labels for t in tags})
    lines = [
        "# Offline default tagger: quality and speed",
        "",
        "Produced by `scripts/bench_tag_quality.py`; rerun with:",
        "",
        "```",
        "HF_HUB_OFFLINE=1 .venv/bin/python scripts/bench_tag_quality.py --out benchmarks/TAGGING.md"
        + _nondefault(args),
        "```",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}; model: bundled all-MiniLM-L6-v2 on CPU. Tagger: "
        f"`TaxonomyTagger` defaults (top_k={tagger.top_k}, min_similarity="
        f"{tagger.min_similarity}, margin={tagger.margin}, cue_bonus={tagger.cue_bonus}, "
        f"domain tag on), taxonomy of {n_tags} tags.",
        "",
        "## Quality",
        "",
        f"Sample: {len(rows)} records, {args.per_class} per class (seed {args.seed}; prompts "
        "repeated within a source counted once), tagged on the first user turn only. "
        f"Classifier: multinomial naive Bayes on the bag of tags, 70/30 split, mean over "
        f"{args.splits} seeded splits.",
        "",
        "| measure | value |",
        "|---|---|",
        f"| accuracy from tags | **{mean(acc):.3f}** (splits {min(acc):.3f} to {max(acc):.3f}) |",
        f"| chance (majority class) | {chance:.3f} |",
        f"| ablation: same tagger without cues (embedding only) | "
        f"{mean([a for a, _, _ in nb_plain]):.3f} |",
        f"| reference: nearest centroid on the raw 384-d embeddings | {ref_acc:.3f} |",
        f"| tags per record (incl. domain) | {np.mean([len(t) for t in labels]):.2f} |",
        f"| distinct tags used | {distinct} |",
        "",
        "| class | accuracy | most frequent tags |",
        "|---|---|---|",
    ]
    for k, name in enumerate(classes):
        counts = Counter(t for (c, _, _), tags in zip(rows, labels) if c == name for t in tags)
        top = ", ".join(f"{t} ({n})" for t, n in counts.most_common(8))
        lines.append(f"| {name} | {per[k]:.3f} | {top} |")
    lines += [
        "",
        "## Speed",
        "",
        f"{args.speed_rows} of the texts above, median of {args.runs} interleaved runs. Wall-clock "
        "rates depend on whatever else the machine runs (load average "
        f"{load[0]:.1f} before, {load[1]:.1f} after); rows per CPU-second of this process (all "
        "threads) are steadier.",
        "",
        "| | rows/s (wall) | rows per CPU-second |",
        "|---|---|---|",
        f"| raw `Embedder.encode` | {speed['wall'][0]:.1f} | {speed['cpu'][0]:.1f} |",
        f"| `TaxonomyTagger.tag_batch` | {speed['wall'][1]:.1f} | {speed['cpu'][1]:.1f} |",
        f"| ratio tagger / raw | **{speed['wall'][1] / speed['wall'][0]:.1%}** | "
        f"**{speed['cpu'][1] / speed['cpu'][0]:.1%}** |",
        "",
        f"One-time cost: {setup_s:.1f}s to load the taxonomy and embed its rows.",
        "",
        "## Notes",
        "",
        "- The taxonomy and cues were written while looking at tags of this seed-0 sample; "
        "rerun with `--seed 1` for a sample the tuning did not see (GSM8K and GPTeacher are "
        "much larger than 600 per class; hh-rlhf overlaps more).",
        "- The tags are built to be informative for MIG's label graph, not to name these five "
        "sources; the classifier is only a probe of how much intent the tags carry. Every "
        "GPTeacher toolformer prompt starts with `toolformer: enabled`, which the tool-use "
        "framing cue reads, hence 100% there; the no-cue ablation shows the embedding alone.",
        "- Speed: the tagger is one `Embedder.encode` call plus a (texts x taxonomy rows) "
        "matrix product and ~40 regex searches per text over its first 2,000 characters.",
        "",
        f"## {args.show} random records (seed {args.seed})",
        "",
        "| class | first user turn (120 chars) | tags |",
        "|---|---|---|",
    ]
    for i in random.Random(args.seed + 1).sample(range(len(rows)), args.show):
        name, _, text = rows[i]
        short = " ".join(text.split())[:120].replace("|", "\\|")
        lines.append(f"| {name} | {short} | {', '.join(labels[i])} |")
    return "\n".join(lines) + "\n"


def _nondefault(args) -> str:
    defaults = {"per_class": 600, "seed": 0, "splits": 5, "speed_rows": 1000, "runs": 3}
    return "".join(
        f" --{k.replace('_', '-')} {getattr(args, k)}"
        for k, v in defaults.items()
        if getattr(args, k) != v
    )


if __name__ == "__main__":
    raise SystemExit(main())
