#!/usr/bin/env bash
# make demo: the whole pipeline, offline, on the bundled slice of real data (data/sample-pool.jsonl).
set -euo pipefail
cd "$(dirname "$0")/.."
MIG=.venv/bin/mig
OUT=${OUT:-demo-out}
mkdir -p "$OUT"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
echo "== 1/5 tag (offline taxonomy tagger, bundled MiniLM)"
$MIG tag data/sample-pool.jsonl -o "$OUT/tagged.jsonl"
echo "== 2/5 score (offline quality score: non-answers, placeholders, truncation, relevance, repetition, length)"
$MIG score "$OUT/tagged.jsonl" -o "$OUT/annotated.jsonl"
echo "== 3/5 build-graph"
$MIG build-graph "$OUT/annotated.jsonl" -o "$OUT/graph"
echo "== 4/5 sample 10% with MIG, and two baselines"
$MIG sample "$OUT/annotated.jsonl" -k 10% --graph "$OUT/graph" -o "$OUT/subset-mig.jsonl" \
    --ranking "$OUT/ranking-mig.csv"
$MIG sample "$OUT/annotated.jsonl" -k 10% --method top-score -o "$OUT/subset-top.jsonl"
$MIG sample "$OUT/annotated.jsonl" -k 10% --method random --seed 0 -o "$OUT/subset-random.jsonl"
echo "== 5/5 stats: pool and subsets side by side"
$MIG stats "$OUT/annotated.jsonl" "$OUT/subset-mig.jsonl" "$OUT/subset-top.jsonl" \
    "$OUT/subset-random.jsonl" --graph "$OUT/graph"
echo "Sources in each subset:"
for f in subset-mig subset-top subset-random; do
    printf '  %-14s ' "$f"
    .venv/bin/python -c "import json,sys,collections; c=collections.Counter(json.loads(l)['source'] for l in open(sys.argv[1])); print(dict(sorted(c.items())))" "$OUT/$f.jsonl"
done
echo "== report: $OUT/report.html (open it in a browser; no network needed)"
$MIG report "$OUT/annotated.jsonl" "$OUT/subset-mig.jsonl" "$OUT/subset-top.jsonl" "$OUT/subset-random.jsonl" --graph "$OUT/graph" --by source --ranking "$OUT/ranking-mig.csv" -o "$OUT/report.html"
