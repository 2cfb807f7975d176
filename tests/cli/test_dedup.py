"""`mig sample --dedup`: duplicates are never both selected, and the skips are counted."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mig_cli.cli import app

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def record(i: int, prompt: str, answer: str, labels: list[str], score: float) -> dict:
    msgs = [{"role": "user", "content": prompt}, {"role": "assistant", "content": answer}]
    return {"id": f"r{i}", "messages": msgs, "labels": labels, "score": score}


@pytest.fixture
def pool(tmp_path: Path) -> Path:
    rows = [
        record(0, "What is the capital of France?", "Paris.", ["geography"], 5.0),
        record(1, "what is the capital of france", "PARIS", ["geography"], 5.0),  # near copy
        record(2, "What is the capital of France?", "Paris.", ["geography"], 5.0),  # exact copy
        record(3, "Write a haiku about rain.", "Soft rain on the roof", ["poem"], 4.0),
        record(4, "Sort a list in Python.", "Use sorted(xs).", ["python"], 3.0),
        record(5, "Name a prime number.", "Seven.", ["math"], 2.0),
    ]
    path = tmp_path / "pool.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def selected(path: Path) -> list[str]:
    return [json.loads(line)["id"] for line in path.read_text().splitlines()]


@pytest.mark.parametrize("method", ["mig", "top-score", "random"])
def test_default_exact_dedup_never_selects_two_copies(pool, tmp_path, method):
    out, ranking = tmp_path / "s.jsonl", tmp_path / "r.csv"
    extra = ["--graph-min-count", "1"] if method == "mig" else []
    result = run(
        "sample", pool, "-k", "4", "--method", method, "-o", out, "--ranking", ranking, *extra
    )
    assert result.exit_code == 0, result.output
    ids = selected(out)
    assert len(ids) == 4 and sum(i in ("r0", "r1", "r2") for i in ids) == 1
    if method == "mig":  # lazy: the greedy never reached r1 or r2 after picking r0
        assert "0 duplicates skipped (exact)," in result.stderr  # all 6 read: no "among"
        every = run(
            "sample", pool, "-k", "4", "-o", out, "--ranking", ranking, *extra,
            "--dedup", "exact-all",
        )  # fmt: skip
        assert every.exit_code == 0 and selected(out) == ids
        assert "2 duplicates skipped (exact-all)" in every.stderr
    else:
        assert "2 duplicates skipped (exact)" in result.stderr
    rows = list(csv.DictReader(ranking.open()))
    skipped = {r["id"]: int(r["duplicates_skipped"]) for r in rows}
    assert skipped.get("r0", 2) == 2 and skipped["r5"] == 0
    # without dedup all four best-scored rows, copies included, can be picked
    if method == "top-score":
        plain = run("sample", pool, "-k", "4", "--method", method, "--dedup", "none", "-o", out)
        assert plain.exit_code == 0 and selected(out) == ["r0", "r1", "r2", "r3"]


def test_k_larger_than_the_distinct_records_is_a_usage_error(pool, tmp_path):
    result = run("sample", pool, "-k", "5", "--method", "top-score", "-o", tmp_path / "s.jsonl")
    assert result.exit_code == 2


def copies_pool(tmp_path: Path, n: int = 400) -> tuple[Path, list[dict]]:
    """A seeded annotated pool where a third of the records are copies of another (case,
    spacing, punctuation changed; same labels, scores that may differ)."""
    import numpy as np

    rng = np.random.default_rng(11)
    names = [f"topic {i}" for i in range(25)]
    rows = []
    for i in range(n):
        labels = sorted({names[int(j)] for j in rng.integers(0, 25, size=int(rng.integers(1, 4)))})
        prompt, answer = f"Question {i} about {labels[0]}?", f"Answer number {i * 3}."
        rows.append(record(i, prompt, answer, labels, round(float(rng.uniform(1, 6)), 2)))
    for dst in rng.choice(n, size=n // 3, replace=False).tolist():
        src = int(rng.integers(0, n))
        if src != dst:
            msgs = [{**m, "content": m["content"].upper() + "!"} for m in rows[src]["messages"]]
            score = rows[src]["score"] if rng.random() < 0.5 else rows[dst]["score"]
            rows[dst] = {**rows[dst], "messages": msgs, "labels": rows[src]["labels"]}
            rows[dst]["score"] = score
    path = tmp_path / "copies.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path, rows


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_lazy_exact_picks_equal_exact_all_with_given_and_include(tmp_path, fmt):
    """The default lazy dedup picks what the every-record dedup picks, JSONL and Parquet."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path, rows = copies_pool(tmp_path)
    if fmt == "parquet":
        path = tmp_path / "copies.parquet"
        pq.write_table(pa.Table.from_pylist(rows), path)
    given, include = tmp_path / "given.jsonl", tmp_path / "include.jsonl"
    given.write_text("".join(json.dumps(r) + "\n" for r in rows[10:30]))
    include.write_text("".join(json.dumps(r) + "\n" for r in rows[40:43]))
    picks, skipped = {}, {}
    for mode in ("exact", "exact-all", "none"):
        out, ranking = tmp_path / f"{mode}.jsonl", tmp_path / f"{mode}.csv"
        result = run(
            "sample", path, "-k", "150", "--graph-min-count", "1", "--given", given,
            "--include", include, "--dedup", mode, "-o", out, "--ranking", ranking,
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        picks[mode] = selected(out)
        table = list(csv.DictReader(ranking.open()))
        skipped[mode] = sum(int(r["duplicates_skipped"]) for r in table)
        if mode == "exact":
            assert "duplicates skipped (exact" in result.stderr
    assert picks["exact"] == picks["exact-all"] != picks["none"]
    from mig_cli.selection.dedup import exact_key

    texts = {r["id"]: exact_key(" ".join(m["content"] for m in r["messages"])) for r in rows}
    chosen = [texts[i] for i in picks["exact"]]
    assert len(set(chosen)) == len(chosen)  # never two copies
    # lazy counts only the copies it met: never more than every copy in the pool
    assert 0 < skipped["exact"] <= skipped["exact-all"] and skipped["none"] == 0


@pytest.mark.parametrize("dedup", ["exact", "exact-all"])
@pytest.mark.parametrize("option", ["--exclude", "--given"])
def test_a_variant_of_an_excluded_or_given_record_keeps_its_pool_copies_out(
    pool, tmp_path, dedup, option
):
    """A test item that differs from pool records only by case or punctuation still keeps
    them out (decontamination): the pool's France records r0, r1, r2 are its copies."""
    variant = record(9, "WHAT IS THE CAPITAL OF FRANCE", "paris", ["geography"], 5.0)
    other = tmp_path / "other.jsonl"
    other.write_text(json.dumps(variant) + "\n")
    out = tmp_path / "s.jsonl"
    args = ["-k", "3", "--graph-min-count", "1", "--dedup", dedup, "-o", out]
    result = run("sample", pool, *args, option, other)
    assert result.exit_code == 0, result.output
    assert not {"r0", "r1", "r2"} & set(selected(out)), selected(out)
    loose = run("sample", pool, "-k", "3", "--graph-min-count", "1", "--dedup", "none", "-o", out)
    assert loose.exit_code == 0 and {"r0", "r1", "r2"} & set(selected(out))


def test_nested_prefix_manifests_count_their_own_lazy_duplicates(tmp_path):
    rows = []
    for i in range(40):
        rows.append(record(2 * i, f"Question {i} about topic {i}?", f"Answer {i}.", [f"t{i}"], 5.0))
        rows.append(
            record(2 * i + 1, f"QUESTION {i} ABOUT TOPIC {i}", f"answer {i}", [f"t{i}"], 5.0)
        )
    path = tmp_path / "dups.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out, ranking = tmp_path / "s.jsonl", tmp_path / "r.csv"
    args = ["-k", "5,40", "--graph-min-count", "1", "-o", out, "--ranking", ranking]
    result = run("sample", path, *args)
    assert result.exit_code == 0, result.output
    table = list(csv.DictReader(ranking.open()))
    got = {}
    for k in (5, 40):
        manifest = json.loads((tmp_path / f"s.k{k}.manifest.json").read_text())
        got[k] = manifest["counts"]["duplicates_skipped"]
        assert got[k] == sum(int(r["duplicates_skipped"]) for r in table[:k])
    assert got[5] < got[40]  # the prefix counts only the copies of its own picks


def test_the_summary_says_how_much_of_the_pool_lazy_dedup_read(tmp_path):
    rows = [record(i, f"Question {i}?", f"Answer {i}.", [f"l{i % 50}"], 5.0) for i in range(3000)]
    path = tmp_path / "big.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    result = run("sample", path, "-k", "5", "--graph-min-count", "1", "-o", tmp_path / "s.jsonl")
    assert result.exit_code == 0, result.output
    line = " ".join(result.stderr.split())
    assert "0 duplicates skipped (exact; among the " in line
    read = int(line.split("among the ")[1].split(" records read")[0].replace(",", ""))
    assert 5 <= read < 3000


def test_k_above_the_distinct_records_gives_one_consistent_warning(pool, tmp_path):
    zero = record(6, "Say nothing.", "Nothing.", ["quiet"], 0.0)  # adds no information
    with pool.open("a") as fh:
        fh.write(json.dumps(zero) + "\n")
    out = tmp_path / "s.jsonl"
    result = run("sample", pool, "-k", "7", "--graph-min-count", "1", "-o", out)
    assert result.exit_code == 0, result.output
    stderr = " ".join(result.stderr.split())
    assert len(selected(out)) == 5  # r1 and r2 are copies of r0 (case, punctuation)
    assert "only 5 records were selected" in stderr
    assert "of the 7 are taken in file order" not in stderr  # 7 were never taken
