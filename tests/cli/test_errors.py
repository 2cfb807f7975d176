"""Bad input: one line `Error: <file>:<line>: <what>`, exit 1 (data) or 2 (usage), no output."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from mig_cli.cli import app

runner = CliRunner()


def write_lines(path: Path, records: list) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records))
    return path


def good(i: int) -> dict:
    return {"id": f"r{i}", "labels": ["python programming"], "score": 1.0 + i}


def check_error(args, code: int, *needles: str, out: Path | None = None):
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    error_lines = [x for x in result.stderr.splitlines() if x.startswith("Error:")]
    assert len(error_lines) == 1, result.stderr
    for needle in needles:
        assert needle in error_lines[0], error_lines[0]
    if out is not None:
        assert not out.exists()
        assert not [p for p in out.parent.iterdir() if p.name.endswith(".tmp")]
    return error_lines[0]


@pytest.mark.parametrize(
    "bad,needle",
    [
        ('{"id": "x", "labels": ["a"], "score": 1', "not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        ({"id": "x", "score": 1.0}, "field 'labels': missing"),
        ({"id": "x", "labels": ["a"]}, "field 'score': missing"),
        ({"id": "x", "labels": "a, b", "score": 1.0}, "expected a list of strings"),
        ({"id": "x", "labels": ["a", 3], "score": 1.0}, "labels must be strings"),
        ({"id": "x", "labels": ["a"], "score": -2}, "finite number >= 0"),
        ({"id": "x", "labels": ["a"], "score": "high"}, "expected a number"),
        ('{"id": "x", "labels": ["a"], "score": NaN}', "finite number >= 0"),
        ('{"id": "x", "labels": ["a"], "score": Infinity}', "finite number >= 0"),
    ],
)
def test_bad_record_names_file_and_line(tmp_path, bad, needle):
    pool = write_lines(tmp_path / "pool.jsonl", [good(0), good(1), bad, good(3)])
    out = tmp_path / "out" / "s.jsonl"
    out.parent.mkdir()
    line = check_error(
        ["sample", pool, "-k", "2", "--method", "top-score", "-o", out], 1, needle, out=out
    )
    assert line.startswith(f"Error: {pool}:3: ")


def test_blank_lines_keep_line_numbers(tmp_path):
    pool = write_lines(tmp_path / "pool.jsonl", [good(0), "", good(1), {"labels": ["a"]}])
    check_error(["sample", pool, "-k", "1", "--method", "top-score"], 1, f"{pool}:4:")


def test_nan_score_in_parquet(tmp_path):
    path = tmp_path / "pool.parquet"
    pq.write_table(pa.table({"labels": [["a"], ["b"]], "score": [1.0, float("nan")]}), path)
    check_error(["sample", path, "-k", "1", "--method", "top-score"], 1, f"{path}:2:", "score")


def test_null_labels_in_parquet(tmp_path):
    path = tmp_path / "pool.parquet"
    pq.write_table(pa.table({"labels": [["a"], None], "score": [1.0, 2.0]}), path)
    check_error(["sample", path, "-k", "1", "--method", "top-score"], 1, f"{path}:2:", "labels")


def test_empty_pool(tmp_path):
    pool = tmp_path / "empty.jsonl"
    pool.write_text("\n")
    check_error(["sample", pool, "-k", "1"], 1, "empty")
    check_error(["stats", pool], 1, "empty")


def test_missing_pool_file(tmp_path):
    check_error(["sample", tmp_path / "nope.jsonl", "-k", "1"], 1, "nope.jsonl", "no such file")


def test_k_larger_than_pool_is_usage_error(tmp_path):
    pool = write_lines(tmp_path / "pool.jsonl", [good(0), good(1)])
    out = tmp_path / "s.jsonl"
    check_error(
        ["sample", pool, "-k", "3", "--method", "top-score", "-o", out], 2, "larger", out=out
    )


@pytest.mark.parametrize("k", ["0", "-3", "abc", "150%", "1.5", "0.0"])
def test_bad_k_is_usage_error(tmp_path, k):
    pool = write_lines(tmp_path / "pool.jsonl", [good(0), good(1)])
    check_error(["sample", pool, "-k", k, "--method", "top-score"], 2, "-k")


def test_bad_option_values_are_usage_errors(tmp_path):
    pool = write_lines(tmp_path / "pool.jsonl", [good(0), good(1)])
    check_error(["sample", pool, "-k", "1", "--phi", "cubic"], 2, "--phi")
    check_error(["sample", pool, "-k", "1", "--phi-b", "1.5"], 2, "--phi-b")
    check_error(["sample", pool, "-k", "1", "--gain", "fast"], 2, "--gain")


def test_graph_missing_file_or_unknown_label(tmp_path, tiny_pool, tiny_graph):
    out = tmp_path / "s.jsonl"
    (tiny_graph / "edges.parquet").unlink()
    check_error(
        ["sample", tiny_pool, "-k", "2", "--graph", tiny_graph, "-o", out],
        1,
        "edges.parquet",
        out=out,
    )
    pq.write_table(
        pa.table({"source": ["sql query"], "target": ["juggling"], "weight": [0.95]}),
        tiny_graph / "edges.parquet",
    )
    check_error(
        ["sample", tiny_pool, "-k", "2", "--graph", tiny_graph, "-o", out],
        1,
        "row 1",
        "juggling",
        "not a node",
        out=out,
    )
    pq.write_table(pa.table({"name": ["a"], "count": [1]}), tiny_graph / "nodes.parquet")
    check_error(
        ["sample", tiny_pool, "-k", "2", "--graph", tiny_graph, "-o", out],
        1,
        "missing column 'label'",
        out=out,
    )


def test_parquet_output_of_incompatible_records_leaves_nothing(tmp_path):
    records = [good(0), {**good(1), "extra": {"nested": 1}}, {**good(2), "extra": "text"}]
    pool = write_lines(tmp_path / "pool.jsonl", records)
    out = tmp_path / "s.parquet"
    check_error(
        ["sample", pool, "-k", "3", "--method", "top-score", "-o", out], 1, "Parquet", out=out
    )


def test_xsample_preset_bad_deita(tmp_path):
    rec = {
        "annotation": {
            "instag": {"content": [{"tag": "a", "explanation": "x"}]},
            "deita": {"quality_scores": [1, 2], "complexity_scores": [3]},
        }
    }
    pool = write_lines(tmp_path / "pool.jsonl", [rec])
    check_error(
        ["sample", pool, "-k", "1", "--preset", "xsample", "--method", "top-score"],
        1,
        f"{pool}:1:",
        "annotation.deita",
        "equal length",
    )
