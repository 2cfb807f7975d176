"""`mig sample` refuses confusing option combinations and outcomes with one clear line:
an include/exclude overlap, --replay with other options, quota fields records lack, filters or
budgets that leave nothing, bad shares, NaN options; and the error safety net."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from mig_cli.cli import app
from mig_cli.cli.common import reports_errors

runner = CliRunner()
LABELS = ["python programming", "sql query", "arithmetic word problem", "role play", "poem"]


def run(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def pool(tmp_path: Path) -> Path:
    rng = np.random.default_rng(5)
    path = tmp_path / "pool.jsonl"
    with path.open("w") as fh:
        for i in range(60):
            record = {
                "id": f"r{i}",
                "source": ["alpaca", "flan", "math"][i % 3],
                "messages": [
                    {"role": "user", "content": f"question {i} " * int(rng.integers(1, 9))},
                    {"role": "assistant", "content": f"answer {i} " * int(rng.integers(1, 9))},
                ],
                "labels": [LABELS[i % 5], LABELS[(i * 7) % 5]],
                "score": round(float(rng.uniform(1, 9)), 3),
            }
            fh.write(json.dumps(record) + "\n")
    return path


def test_a_record_both_included_and_excluded_is_a_usage_error_naming_the_count(
    pool, tiny_graph, tmp_path
):
    lines = pool.read_text().splitlines(keepends=True)
    inc, exc = tmp_path / "inc.jsonl", tmp_path / "exc.jsonl"
    inc.write_text("".join(lines[:5]))
    exc.write_text("".join(lines[2:10]))  # rows 2, 3, 4 are in both
    out = tmp_path / "s.jsonl"
    result = run(
        "sample",
        pool,
        "--graph",
        tiny_graph,
        "-k",
        20,
        "--include",
        inc,
        "--exclude",
        exc,
        "-o",
        out,
    )
    assert result.exit_code == 2
    assert "3 records are in both --include and --exclude" in result.stderr
    assert not out.exists()


def test_replay_takes_no_other_options_but_config_defaults_do_not_count(pool, tiny_graph, tmp_path):
    out = tmp_path / "s.jsonl"
    assert run("sample", pool, "--graph", tiny_graph, "-k", 10, "-o", out).exit_code == 0
    manifest = tmp_path / "s.manifest.json"
    for extra in (["-k", 10, "--phi-b", 0.1], [pool]):
        result = run("sample", *extra, "--replay", manifest)
        assert result.exit_code == 2
        assert "--replay takes no other options" in result.stderr
    config = tmp_path / "c.toml"
    config.write_text("[sample]\nphi_b = 0.5\n")
    result = run("sample", "--replay", manifest, "--config", config)
    assert result.exit_code == 0, result.output
    assert "replayed: identical (10 records" in result.stderr


def test_quota_field_missing_everywhere_is_an_error_and_on_most_records_a_warning(
    pool, tiny_graph, tmp_path
):
    out = tmp_path / "q.jsonl"
    args = ["sample", pool, "--graph", tiny_graph, "-k", 20, "--max-share", "*=0.25", "-o", out]
    result = run(*args, "--quota", "nofield")
    assert result.exit_code == 2
    assert "no record has the field 'nofield'" in result.stderr and not out.exists()
    lines = pool.read_text().splitlines()
    sparse = tmp_path / "sparse.jsonl"
    with sparse.open("w") as fh:  # 'tier' on 15 of the 60 records: 75% lack it
        for i, line in enumerate(lines):
            record = json.loads(line)
            if i % 4 == 0:
                record["tier"] = "a"
            fh.write(json.dumps(record) + "\n")
    args[1] = sparse
    result = run(*args, "--quota", "tier")
    assert result.exit_code == 0, result.output
    assert "75% of the records (45 of 60) lack the field 'tier'" in result.stderr
    # the caps stop the selection short of K: the warning says so
    assert "only 10 records were selected" in result.stderr  # 2 groups x 0.25 x 20
    assert "the --max-share caps closed every group of --quota tier" in result.stderr


@pytest.mark.parametrize("method", ["mig", "random", "top-score"])
def test_filters_leaving_fewer_than_k_or_nothing_are_usage_errors(pool, tiny_graph, method):
    scores = sorted(json.loads(x)["score"] for x in pool.read_text().splitlines())
    above = sum(s >= scores[-3] for s in scores)
    base = ["sample", pool, "--graph", tiny_graph, "--method", method, "-o", "-"]
    result = run(*base, "-k", 10, "--min-score", scores[-3])
    assert result.exit_code == 2
    assert f"K=10 is larger than the pool ({above} records to choose from after --min-score" in (
        result.stderr
    )
    result = run(*base, "-k", 1, "--min-score", 100)
    assert result.exit_code == 2 and "no record is left to choose from after --min-score" in (
        result.stderr
    )


def test_a_budget_that_affords_nothing_exits_1_and_writes_nothing(pool, tiny_graph, tmp_path):
    out = tmp_path / "b.jsonl"
    base = ["sample", pool, "--graph", tiny_graph, "--cost", "chars", "-o", out]
    result = run(*base, "--budget-tokens", 1)
    assert result.exit_code == 1
    assert "Error: nothing was selected: the budget --budget-tokens 1 (chars" in result.stderr
    assert "Selected 0" not in result.stderr and "I(D)" not in result.stderr
    assert not out.exists()
    result = run(*base, "--budget-tokens", 100000, "--min-score", 100)
    assert result.exit_code == 2 and "no record is left to choose from" in result.stderr
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--quota", "source", "--max-share", "alpaca=nan"], "'alpaca=nan' is not a number"),
        (["--quota", "source", "--max-share", "alpaca=1.5"], "must be between 0 and 1, got 1.5"),
        (["--quota", "source", "--min-count", "alpaca=-3"], "must be a whole number >= 0, got -3"),
        (["--phi-b", "nan"], "'--phi-b': not a number (nan)"),
        (["--phi-b", "2"], "'--phi-b': must be <= 1, got 2"),
        (["--phi-a", "nan"], "'--phi-a': not a number (nan)"),
        (["--prop-weight", "nan"], "'--prop-weight': not a number (nan)"),
        (["--min-score", "nan"], "'--min-score': not a number (nan)"),
    ],
)
def test_bad_share_count_and_nan_options_are_usage_errors(pool, tiny_graph, args, message):
    result = run("sample", pool, "--graph", tiny_graph, "-k", 10, "-o", "-", *args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert "Input should be" not in result.stderr


def _command(exc: BaseException):
    app = typer.Typer()

    @app.command()
    @reports_errors
    def boom() -> None:
        raise exc

    return app


@pytest.mark.parametrize(
    ("exc", "code", "line"),
    [
        (
            KeyError("x"),
            1,
            "Error: internal error: KeyError: 'x' (set MIG_DEBUG=1 for the traceback)",
        ),
        (
            ZeroDivisionError("division by zero"),
            1,
            "Error: internal error: ZeroDivisionError: division by zero (set MIG_DEBUG=1",
        ),
        (
            ValueError("k=5 is larger than the 2 records"),
            2,
            "Error: k=5 is larger than the 2 records",
        ),
        (KeyboardInterrupt(), 130, "Interrupted; no output was written."),
    ],
)
def test_safety_net_turns_any_exception_into_one_line(exc, code, line, monkeypatch):
    monkeypatch.delenv("MIG_DEBUG", raising=False)
    result = runner.invoke(_command(exc), [], catch_exceptions=False)
    assert result.exit_code == code
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(line)
    assert "Traceback" not in result.stderr


def test_safety_net_shows_the_traceback_only_with_mig_debug(monkeypatch):
    monkeypatch.setenv("MIG_DEBUG", "1")
    result = runner.invoke(_command(KeyError("x")), [], catch_exceptions=False)
    assert result.exit_code == 1
    assert "Traceback" in result.stderr and "internal error: KeyError" in result.stderr


def test_cost_chars_counts_every_turn_plus_one_newline_between_turns(pool):
    from mig_cli.annotate.costs import record_costs
    from mig_cli.records.formats import read_pool

    records = [json.loads(x) for x in pool.read_text().splitlines()]
    costs, info = record_costs(read_pool(str(pool)), "chars")
    expected = [
        sum(len(t["content"]) for t in r["messages"]) + len(r["messages"]) - 1 for r in records
    ]
    assert info["cost"] == "chars" and costs.tolist() == expected


def test_a_pool_without_labels_or_scores_points_to_tag_and_score(pool, tmp_path):
    raw = tmp_path / "raw.jsonl"
    raw.write_text(
        "".join(
            json.dumps({k: v for k, v in json.loads(x).items() if k not in ("labels", "score")})
            + "\n"
            for x in pool.read_text().splitlines()
        )
    )
    hint = "run `mig tag` and `mig score` first (or `mig sample`, which annotates a raw pool)"
    for args in (
        ["stats", raw],
        ["build-graph", raw, "-o", tmp_path / "g"],
        ["report", raw, raw, "-o", tmp_path / "r.html"],
    ):
        result = run(*args)
        assert result.exit_code == 1
        line = result.stderr.strip().splitlines()[-1]
        assert line.startswith(f"Error: {raw}:1: field 'labels': missing") and line.endswith(hint)


def test_huge_scores_give_numeric_gains_and_no_numpy_warning(pool, tiny_graph, tmp_path):
    lines = pool.read_text().splitlines()
    huge = tmp_path / "huge.jsonl"
    with huge.open("w") as fh:
        for i, line in enumerate(lines):
            record = json.loads(line)
            if i in (3, 7):
                record["score"] = 1e308
            fh.write(json.dumps(record) + "\n")
    out = tmp_path / "h.jsonl"
    result = run(
        "sample", huge, "-k", 5, "--graph", tiny_graph, "-o", out, "--ranking", tmp_path / "h.csv"
    )
    assert result.exit_code == 0, result.output
    assert "RuntimeWarning" not in result.stderr and "overflow" not in result.stderr
    manifest = json.loads((tmp_path / "h.manifest.json").read_text())
    gains = manifest["subset"]["gains"]
    assert all(isinstance(g, float) and np.isfinite(g) for g in gains)
    top = float(np.finfo(np.float64).max)  # the documented clip of an unrepresentable gain
    assert sorted(manifest["subset"]["rows"][:2]) == [3, 7] and gains[:2] == [top, top]
    assert 0 < gains[2] < 1e6 and np.isfinite(manifest["information"])
    ranking = (tmp_path / "h.csv").read_text().splitlines()
    assert float(ranking[1].split(",")[3]) == top  # a number in the ranking too, never empty


def test_a_nan_score_is_shown_as_nan_not_a_numpy_repr(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "p.parquet"
    pq.write_table(pa.table({"labels": [["a"], ["b"]], "score": [1.0, float("nan")]}), path)
    result = run("stats", path)
    assert result.exit_code == 1
    assert "score must be a finite number >= 0, got nan" in result.stderr
    assert "np.float64" not in result.stderr
