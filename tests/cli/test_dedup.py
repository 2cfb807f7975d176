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
