"""Selection quality benchmark: what the DEFAULT offline pipeline picks from a mixed real pool.

Builds a pool from `../shared/data/` (several sources, each record with a known category),
injects ~8% junk of six kinds, runs the default pipeline through the CLI exactly as a user would

    mig tag pool.jsonl -o tagged.jsonl
    mig score tagged.jsonl -o annotated.jsonl
    mig build-graph annotated.jsonl -o graph
    mig sample annotated.jsonl -k K --graph graph [--method random|top-score] [--prop-weight 0]

and reports, for the MIG, random and top-score subsets (K = ~6% of the pool): junk rate,
duplicate pairs, normalised category entropy, mean nearest-neighbour cosine of the selected
prompts (bundled MiniLM; lower = more diverse), the overlap of MIG with MIG at --prop-weight 0,
and how well the bag of labels predicts the category (5-fold multinomial logistic regression,
written here with scipy's L-BFGS so the benchmark needs no scikit-learn). It also reports the
label graph, harm-tag rates on benign sources and programming-language tag precision.

Junk kinds (each about 1/6 of the injected records): exact duplicates, near duplicates (case,
whitespace, punctuation), placeholder answers ({{name}}, [Your Name], "insert ... here"),
empty or non-answers ("", "N/A", "<nooutput>", refusals of benign requests), truncated answers
(cut mid-word at 15-50% of their length), answers swapped in from a record of another category.

Run (a few minutes on 2 cores):

    HF_HUB_OFFLINE=1 .venv/bin/python scripts/bench_selection.py --label after \\
        --work /tmp/bench-selection --json /tmp/bench-selection/after.json

`--seed` draws another pool from the same sources; `--sources` picks a subset of them (e.g. to
report a held-out figure on sources a calibration did not look at).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import random
import re
import subprocess
import sys
import time
import unicodedata
from collections import Counter
from pathlib import Path

import numpy as np
from scipy.optimize import minimize
from shared_data import shared_data_dir

REPO = Path(__file__).resolve().parents[1]
DATA = shared_data_dir()

# file -> (category field or None, records kept per source)
SOURCES = {
    "gpteacher": ("gpteacher.jsonl", "subset"),
    "gsm8k": ("gsm8k.jsonl", None),
    "hh-rlhf": ("hh-rlhf-harmless-test.jsonl", None),
    "dolly-ja": ("dolly-ja.jsonl", "category"),
    "math": ("competition-math.jsonl", "type"),
    "code": ("code-problems.jsonl", "source"),
    "oasst1": ("oasst1.jsonl", "lang"),
}
HARMFUL_SOURCES = {"hh-rlhf"}
JUNK_KINDS = ("exact-dup", "near-dup", "placeholder", "non-answer", "truncated", "swapped")
CONTENT_JUNK = {"placeholder", "non-answer", "truncated", "swapped"}

PLACEHOLDERS = [
    "Dear {{name}},\n\n{prefix}\n\nBest regards,\n{{sender}}",
    "[Your Name]\n[Your Address]\n[Date]\n\n{prefix}",
    "I am {{name}} and {prefix}",
    "Here is the answer: [insert answer here]",
    "{prefix}\n\n[Insert conclusion here]",
    "```python\ndef solution():\n    # TODO: your code here\n    pass\n```",
    "The answer is {answer}.",
    "Hello <NAME>, thank you for your question about <TOPIC>. {prefix}",
]
NON_ANSWERS = [
    "",
    "N/A",
    "<nooutput>",
    "I'm sorry, but I cannot help with that request.",
    "I don't know.",
    "As an AI language model, I cannot answer this question.",
    "No answer.",
    "none",
    "申し訳ありませんが、お答えできません。",
    "抱歉，我无法回答这个问题。",
]


def read_source(name: str) -> list[dict]:
    path, field = SOURCES[name]
    out = []
    with open(DATA / path, encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            cat = name if field is None else f"{name}/{rec[field]}"
            out.append({"id": rec["id"], "messages": rec["messages"], "category": cat})
    return out


def last_answer(messages: list[dict]) -> int:
    for i in range(len(messages) - 1, -1, -1):
        if messages[i]["role"] == "assistant":
            return i
    return -1


def with_answer(messages: list[dict], text: str) -> list[dict]:
    msgs = [dict(m) for m in messages]
    msgs[last_answer(msgs)]["content"] = text
    return msgs


def near_copy(text: str, rng: random.Random) -> str:
    """Change case, whitespace and punctuation only."""
    style = rng.randrange(3)
    if style == 0:
        text = text.lower()
    elif style == 1:
        text = re.sub(r"[ ]+", lambda m: " " * rng.choice((1, 2)), text).strip() + " "
    else:
        text = re.sub(r"[.,!?;:]", "", text)
    return text.upper() if rng.random() < 0.1 else text


def make_junk(kind: str, rec: dict, other: dict, rng: random.Random) -> dict:
    msgs = rec["messages"]
    answer = msgs[last_answer(msgs)]["content"]
    if kind == "exact-dup":
        new = [dict(m) for m in msgs]
    elif kind == "near-dup":
        new = [{"role": m["role"], "content": near_copy(m["content"], rng)} for m in msgs]
    elif kind == "placeholder":
        prefix = answer[: rng.randint(60, 200)].rsplit(" ", 1)[0]
        template = rng.choice(PLACEHOLDERS)
        new = with_answer(msgs, template.replace("{prefix}", prefix))
    elif kind == "non-answer":
        new = with_answer(msgs, rng.choice(NON_ANSWERS))
    elif kind == "truncated":
        cut = int(len(answer) * rng.uniform(0.15, 0.5))
        while 0 < cut < len(answer) - 1 and not (
            answer[cut - 1].isalnum() and answer[cut].isalnum()
        ):
            cut += 1
        new = with_answer(msgs, answer[:cut])
    elif kind == "swapped":
        new = with_answer(msgs, other["messages"][last_answer(other["messages"])]["content"])
    else:
        raise ValueError(kind)
    return {"id": f"{rec['id']}#{kind}", "messages": new, "category": rec["category"], "junk": kind}


def build_pool(sources: list[str], per_source: int, junk_share: float, seed: int) -> list[dict]:
    rng = random.Random(seed)
    base: list[dict] = []
    for name in sources:
        recs = read_source(name)
        rng.shuffle(recs)
        base += recs[:per_source]
    for r in base:
        r["junk"] = None
    n_junk = round(junk_share * len(base) / (1 - junk_share))
    junk = []
    for n in range(n_junk):
        kind = JUNK_KINDS[n % len(JUNK_KINDS)]
        while True:
            rec = rng.choice(base)
            answer = rec["messages"][last_answer(rec["messages"])]["content"]
            if last_answer(rec["messages"]) < 0:
                continue
            if kind == "non-answer" and rec["category"] in HARMFUL_SOURCES:
                continue  # a refusal of a harmful request is not junk
            if kind == "truncated" and len(answer) < 150:
                continue
            break
        other = rng.choice([r for r in rng.sample(base, 20) if r["category"] != rec["category"]])
        junk.append(make_junk(kind, rec, other, rng))
    pool = base + junk
    rng.shuffle(pool)
    return pool


_PUNCT = re.compile(r"[\W_]+", re.UNICODE)


def norm_key(messages: list[dict]) -> str:
    text = "\x00".join(m["content"] for m in messages)
    return _PUNCT.sub(" ", unicodedata.normalize("NFKC", text).lower()).strip()


def first_user(messages: list[dict]) -> str:
    return next((m["content"] for m in messages if m["role"] == "user"), "")


def run(cmd: list[str], log: list[str]) -> float:
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ})
    took = time.perf_counter() - started
    shown = " ".join(["mig", *cmd[3:]])
    log.append(f"$ {shown}   # {took:.1f}s")
    for line in proc.stderr.splitlines():
        if line.strip() and not line.startswith(("\r",)) and "━" not in line:
            log.append("  " + line.strip())
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"failed: {shown}")
    return took


def ranking_rows(path: Path) -> list[int]:
    with open(path, newline="") as fh:
        return [int(r["row"]) for r in csv.DictReader(fh)]


def entropy(cats: list[str], n_all: int) -> float:
    counts = np.array(list(Counter(cats).values()), dtype=float)
    p = counts / counts.sum()
    return float(-(p * np.log(p)).sum() / math.log(n_all))


def nn_cosine(vectors: np.ndarray) -> float:
    sims = vectors @ vectors.T
    np.fill_diagonal(sims, -np.inf)
    return float(sims.max(axis=1).mean())


def logreg_cv(x: np.ndarray, y: np.ndarray, folds: int = 5, l2: float = 1.0, seed: int = 0):
    """Mean accuracy of multinomial logistic regression (L2, L-BFGS) over stratified-ish folds."""
    classes = np.unique(y)
    yi = np.searchsorted(classes, y)
    order = np.random.default_rng(seed).permutation(len(y))
    fold_of = np.empty(len(y), dtype=int)
    fold_of[order] = np.arange(len(y)) % folds
    accs = []
    c, d = len(classes), x.shape[1]
    for f in range(folds):
        tr, te = fold_of != f, fold_of == f
        xt, yt = x[tr], yi[tr]
        onehot = np.eye(c)[yt]

        def loss(w, xt=xt, onehot=onehot):
            w = w.reshape(d + 1, c)
            z = xt @ w[:-1] + w[-1]
            z -= z.max(axis=1, keepdims=True)
            lse = np.log(np.exp(z).sum(axis=1, keepdims=True))
            logp = z - lse
            val = -(onehot * logp).sum() + 0.5 * l2 * (w[:-1] ** 2).sum()
            grad_z = np.exp(logp) - onehot
            grad = np.vstack([xt.T @ grad_z + l2 * w[:-1], grad_z.sum(axis=0)])
            return val, grad.ravel()

        res = minimize(
            loss, np.zeros((d + 1) * c), jac=True, method="L-BFGS-B", options={"maxiter": 300}
        )
        w = res.x.reshape(d + 1, c)
        pred = np.argmax(x[te] @ w[:-1] + w[-1], axis=1)
        accs.append(float((pred == yi[te]).mean()))
    return float(np.mean(accs)), accs


_TOKEN = re.compile(r"[a-z]+|\\[a-z]+|[\u3040-\u30ff\u3400-\u9fff]")


def bag_of_words(texts: list[str], size: int = 3000) -> np.ndarray:
    """0/1 features: the `size` most frequent tokens (words, LaTeX commands, CJK characters)
    seen in at least 3 texts."""
    sets = [set(_TOKEN.findall(t.lower()[:2000])) for t in texts]
    df = Counter(w for s in sets for w in s)
    vocab = {w: j for j, (w, c) in enumerate(df.most_common(size)) if c >= 3}
    x = np.zeros((len(texts), size), dtype=np.float64)
    for row, s in enumerate(sets):
        for w in s:
            if w in vocab:
                x[row, vocab[w]] = 1.0
    return x


def harm_tags() -> set[str]:
    from mig_cli.annotate.tag_data import load_taxonomy_domains

    domains = load_taxonomy_domains()
    return {t for t, d in domains.items() if d == "safety"} | {"safety"}


LANGS = {
    "code/humaneval-python": "python",
    "code/mbpp-python": "python",
    "code/humaneval-x-cpp": "c++",
    "code/humaneval-x-go": "go",
    "code/humaneval-x-java": "java",
    "code/humaneval-x-js": "javascript",
    "code/humaneval-x-rust": "rust",
}
LANG_TAG = re.compile(
    r"^(python|c\+\+|c|go|java|javascript|typescript|rust|ruby|php|swift|kotlin|scala|r|perl|"
    r"haskell|lua|dart|julia|elixir|matlab|c#|sql)( programming| query)?$"
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--work", default="/tmp/bench-selection")
    ap.add_argument("--label", default="run")
    ap.add_argument("--json", default=None, help="Write the figures here as JSON.")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--per-source", type=int, default=600)
    ap.add_argument("--junk", type=float, default=0.08)
    ap.add_argument("--k-share", type=float, default=0.06)
    ap.add_argument("--sources", default=",".join(SOURCES))
    ap.add_argument("--show", type=int, default=20, help="Random records printed with tags/score.")
    ap.add_argument("--reuse", action="store_true", help="Reuse annotated.jsonl in --work.")
    ap.add_argument(
        "--random-seeds",
        type=int,
        default=1,
        help="Random subsets drawn (seeds 0..N-1); their mean is reported as 'random mean'.",
    )
    ap.add_argument(
        "--sampler-settings",
        action="store_true",
        help="Also select with other `mig sample` settings (--norm, --phi exp, --phi-a 0.1 / 1,\n"
        "--edge-threshold 0.55 / 0.5, configs/balanced.toml) on the same annotations.",
    )
    args = ap.parse_args()

    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    sources = [s.strip() for s in args.sources.split(",") if s.strip()]
    pool = build_pool(sources, args.per_source, args.junk, args.seed)
    with open(work / "pool.jsonl", "w", encoding="utf-8") as fh:
        for r in pool:
            fh.write(json.dumps({"id": r["id"], "messages": r["messages"]}, ensure_ascii=False))
            fh.write("\n")
    n = len(pool)
    k = round(args.k_share * n)
    mig = [sys.executable, "-m", "mig_cli"]
    log: list[str] = []
    times = {}
    if not (args.reuse and (work / "annotated.jsonl").exists()):
        times["tag"] = run(
            [*mig, "tag", str(work / "pool.jsonl"), "-o", str(work / "tagged.jsonl")], log
        )
        times["score"] = run(
            [*mig, "score", str(work / "tagged.jsonl"), "-o", str(work / "annotated.jsonl")], log
        )
    ann = str(work / "annotated.jsonl")
    times["build-graph"] = run([*mig, "build-graph", ann, "-o", str(work / "graph")], log)
    subsets = {}
    variants = {
        "mig": ["--graph", str(work / "graph")],
        "mig-prop0": ["--graph", str(work / "graph"), "--prop-weight", "0"],
        "random": ["--method", "random"],
        "top-score": ["--method", "top-score"],
    }
    for seed in range(1, args.random_seeds):
        variants[f"random --seed {seed}"] = ["--method", "random", "--seed", str(seed)]
    if args.sampler_settings:
        for t in ("0.65", "0.55", "0.45"):
            run(
                [*mig, "build-graph", ann, "-o", str(work / f"graph-{t}"), "--edge-threshold", t],
                log,
            )
        graph = ["--graph", str(work / "graph")]
        variants |= {
            "mig --norm": [*graph, "--norm"],
            "mig --phi exp": [*graph, "--phi", "exp"],
            "mig --phi-a 0.1": [*graph, "--phi-a", "0.1"],
            "mig --phi-a 1": [*graph, "--phi-a", "1"],
            "mig --edge-threshold 0.65": ["--graph", str(work / "graph-0.65")],
            "mig --edge-threshold 0.55": ["--graph", str(work / "graph-0.55")],
            "mig --edge-threshold 0.45": ["--graph", str(work / "graph-0.45")],
            "mig configs/balanced.toml": ["--config", str(REPO / "configs" / "balanced.toml")],
        }
    for name, extra in variants.items():
        rank = work / f"{re.sub(r'[^A-Za-z0-9.]+', '-', name)}.csv"
        times[f"sample {name}"] = run(
            [
                *mig,
                "sample",
                ann,
                "-k",
                str(k),
                *extra,
                "-o",
                str(rank.with_suffix(".jsonl")),
                "--ranking",
                str(rank),
            ],
            log,
        )
        subsets[name] = ranking_rows(rank)

    annotated = [json.loads(line) for line in open(ann, encoding="utf-8")]
    labels = [a.get("labels") or [] for a in annotated]
    scores = [a.get("score") for a in annotated]
    cats = [r["category"] for r in pool]
    n_cats = len(set(cats))
    keys = [norm_key(r["messages"]) for r in pool]

    from mig_cli.annotate.embedding import Embedder

    embedder = Embedder()
    figures: dict = {
        "label": args.label,
        "pool": n,
        "k": k,
        "categories": n_cats,
        "sources": sources,
        "seed": args.seed,
        "times_s": times,
        "subsets": {},
    }
    for name, rows in subsets.items():
        sel = [pool[i] for i in rows]
        junk = sum(1 for r in sel if r["junk"] in CONTENT_JUNK)
        groups = Counter(keys[i] for i in rows)
        dup_pairs = sum(c * (c - 1) // 2 for c in groups.values())
        vecs = embedder.encode([first_user(r["messages"]) for r in sel])
        figures["subsets"][name] = {
            "junk_rate": junk / len(sel),
            "junk_by_kind": dict(Counter(r["junk"] for r in sel if r["junk"])),
            "duplicate_pairs": dup_pairs,
            "category_entropy": entropy([r["category"] for r in sel], n_cats),
            "nn_cosine": nn_cosine(vecs),
            "top_category_share": Counter(r["category"] for r in sel).most_common(1)[0][1]
            / len(sel),
        }
    draws = [v for name, v in figures["subsets"].items() if name.startswith("random")]
    figures["random_mean"] = {
        key: float(np.mean([d[key] for d in draws]))
        for key in ("junk_rate", "category_entropy", "nn_cosine", "top_category_share")
    }
    figures["random_sd"] = {
        key: float(np.std([d[key] for d in draws]))
        for key in ("junk_rate", "category_entropy", "nn_cosine")
    }
    figures["random_draws"] = len(draws)
    figures["pool_junk_rate"] = sum(1 for r in pool if r["junk"] in CONTENT_JUNK) / n
    figures["pool_entropy"] = entropy(cats, n_cats)
    a, b = set(subsets["mig"]), set(subsets["mig-prop0"])
    figures["overlap_prop0"] = len(a & b) / k

    # Labels -> category (clean records only), and tag precision.
    clean = [i for i, r in enumerate(pool) if r["junk"] is None]
    vocab = sorted({t for i in clean for t in labels[i]})
    index = {t: j for j, t in enumerate(vocab)}
    x = np.zeros((len(clean), len(vocab)), dtype=np.float64)
    for row, i in enumerate(clean):
        for t in labels[i]:
            x[row, index[t]] = 1.0
    y = np.array([cats[i] for i in clean])
    acc, folds = logreg_cv(x, y)
    src = np.array([c.split("/")[0] for c in y])
    acc_src, _ = logreg_cv(x, src)
    figures["label_accuracy"] = acc
    figures["label_accuracy_folds"] = folds
    figures["label_accuracy_source"] = acc_src
    # the same classifier on a bag of the request's own tokens: how much of the category the
    # words of the first user turn carry at all (a reference for the labels' figure)
    figures["words_accuracy"], _ = logreg_cv(
        bag_of_words([first_user(pool[i]["messages"]) for i in clean]), y
    )
    figures["distinct_labels"] = len(vocab)
    figures["labels_per_record"] = float(np.mean([len(labels[i]) for i in clean]))
    harm = harm_tags()
    per_source = {}
    for s in sources:
        rows = [i for i in clean if cats[i].split("/")[0] == s]
        hit = sum(1 for i in rows if harm & set(labels[i]))
        lang = sum(1 for i in rows if any(LANG_TAG.match(t) for t in labels[i]))
        per_source[s] = {
            "records": len(rows),
            "harm_tag_rate": hit / max(1, len(rows)),
            "language_tag_rate": lang / max(1, len(rows)),
        }
    benign = [i for i in clean if cats[i].split("/")[0] not in HARMFUL_SOURCES]
    figures["harm_fp_rate_benign"] = sum(1 for i in benign if harm & set(labels[i])) / len(benign)
    figures["per_source"] = per_source
    code_rows = [i for i in clean if cats[i] in LANGS]
    right = sum(1 for i in code_rows if any(t.split(" ")[0] == LANGS[cats[i]] for t in labels[i]))
    figures["code_language_recall"] = right / max(1, len(code_rows))
    lang_tagged = [i for i in clean if any(LANG_TAG.match(t) for t in labels[i])]
    codeish = {"gpteacher/codegen", "gpteacher/toolformer"} | set(LANGS)
    figures["language_tag_in_code_sources"] = sum(
        1 for i in lang_tagged if cats[i] in codeish
    ) / max(1, len(lang_tagged))

    meta = json.loads((work / "graph" / "meta.json").read_text())
    from mig_cli import read_graph

    graph = read_graph(str(work / "graph"))
    deg = graph.degrees()
    figures["graph"] = {
        "nodes": graph.num_nodes,
        "edges": graph.num_edges,
        "mean_degree": float(deg.mean()) if len(deg) else 0.0,
        "isolated": int((deg == 0).sum()),
        "edge_threshold": meta.get("edge_threshold"),
    }
    figures["log"] = log
    rng = random.Random(args.seed + 1)
    shown = []
    for i in sorted(rng.sample(range(n), args.show)):
        a = annotated[i]
        shown.append(
            {
                "row": i,
                "category": cats[i],
                "junk": pool[i]["junk"],
                "prompt": first_user(pool[i]["messages"])[:100].replace("\n", " "),
                "labels": labels[i],
                "score": scores[i],
                "components": a.get("score_components"),
            }
        )
    figures["records"] = shown
    print(json.dumps({k: v for k, v in figures.items() if k not in ("log", "records")}, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
