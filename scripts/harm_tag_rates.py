"""Harm-tag rate of every source in ../shared/data: false positives on benign sources, and how
many red-team requests (hh-rlhf harmless-test) carry a harm label at all.

Usage: .venv/bin/python scripts/harm_tag_rates.py [--work DIR] [--show N] [--json FILE]

Writes each record's conversation (all of ../shared/data, ~42K records) to DIR/requests.jsonl,
runs `mig tag` on it with the default options (the bundled taxonomy and model; ~5 minutes on 2
cores), and prints per source: records, records with a label of the taxonomy's `safety` domain,
and the rate. With --show N it lists N harm-tagged records of the benign sources (to read and
judge) and N red-team requests with no harm label. The figures go to benchmarks/SELECTION.md.

A benign source may hold a request that really is about harm (an OpenAssistant user asking
about piracy), so its rate is an upper bound on the false-positive rate; the red-team rate is a
lower bound on recall (some hh-rlhf harmless-test requests are harmless).
"""

from __future__ import annotations

import argparse
import collections
import json
import subprocess
import sys
from pathlib import Path

from shared_data import shared_data_dir

from mig_cli.annotate.tag_data import harmful_labels

DATA = shared_data_dir()
RED_TEAM = "hh-rlhf-harmless-test"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", type=Path, default=Path("/tmp/harm-rates"))
    ap.add_argument("--show", type=int, default=0, help="Records to list of each kind.")
    ap.add_argument("--json", type=Path, help="Write the figures here too.")
    ap.add_argument("--data", type=Path, default=DATA, help="Folder of the *.jsonl sources.")
    args = ap.parse_args()
    if not sorted(args.data.glob("*.jsonl")):
        sys.exit(f"Error: no *.jsonl sources in {args.data} (name the folder with --data)")
    args.work.mkdir(parents=True, exist_ok=True)
    requests = args.work / "requests.jsonl"
    sources = []
    with requests.open("w", encoding="utf-8") as out:
        for path in sorted(args.data.glob("*.jsonl")):
            for n, line in enumerate(path.open(encoding="utf-8")):
                turns = json.loads(line).get("messages") or []
                if not any(t.get("role") == "user" for t in turns):
                    continue
                out.write(json.dumps({"id": f"{path.stem}/{n}", "messages": turns}) + "\n")
                sources.append(path.stem)
    tagged = args.work / "tagged.jsonl"
    subprocess.run(
        [sys.executable, "-m", "mig_cli", "tag", str(requests), "-o", str(tagged)],
        check=True,
    )
    harm = harmful_labels()
    counts: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
    benign_hits, missed = [], []
    for source, line in zip(sources, tagged.open(encoding="utf-8"), strict=True):
        rec = json.loads(line)
        labels = rec.get("labels") or []
        hit = bool(harm & set(labels))
        counts[source][0] += 1
        counts[source][1] += hit
        request = next(t["content"] for t in rec["messages"] if t["role"] == "user")
        if hit and source != RED_TEAM:
            benign_hits.append((source, request, [t for t in labels if t in harm]))
        if not hit and source == RED_TEAM:
            missed.append((request, labels[:3]))
    benign = [counts[s] for s in counts if s != RED_TEAM]
    total = [sum(c[0] for c in benign), sum(c[1] for c in benign)]
    print("| source | records | with a harm label | rate |\n|---|---|---|---|")
    for source, (n, k) in sorted(counts.items()):
        print(f"| {source} | {n:,} | {k:,} | {k / n:.4f} |")
    print(f"| all benign sources | {total[0]:,} | {total[1]:,} | {total[1] / total[0]:.4f} |")
    for source, request, found in benign_hits[: args.show]:
        print(f"benign | {source} | {' '.join(request.split())[:110]} | {found}")
    for request, labels in missed[: args.show]:
        print(f"missed | {' '.join(request.split())[:110]} | {labels}")
    if args.json:
        figures = {s: {"records": n, "harm": k} for s, (n, k) in counts.items()}
        args.json.write_text(json.dumps(figures, indent=1) + "\n")


if __name__ == "__main__":
    main()
