"""Every output's folder is checked before any work, errors name the user's path (never the
hidden temporary file), and a run that fails part-way leaves no output at all."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mig_cli.cli import app
from mig_cli.errors import DataError
from mig_cli.records.atomic_files import atomic_folder, write_text
from mig_cli.records.writers import write_table

runner = CliRunner()
LABELS = ["python programming", "sql query", "arithmetic word problem", "role play", "poem"]
UNWRITABLE = Path("/proc/mig-no-such-dir")  # /proc refuses new files even to root


def run(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def pool(tmp_path: Path) -> Path:
    path = tmp_path / "pool.jsonl"
    with path.open("w") as fh:
        for i in range(40):
            record = {
                "id": f"r{i}",
                "messages": [{"role": "user", "content": f"q {i}"}],
                "labels": [LABELS[i % 5], LABELS[(i * 3) % 5]],
                "score": 1.0 + (i % 7),
            }
            fh.write(json.dumps(record) + "\n")
    return path


@pytest.mark.parametrize("option", ["-o", "--ranking", "--manifest"])
def test_an_unwritable_output_folder_is_refused_before_any_work(pool, tiny_graph, tmp_path, option):
    out = tmp_path / "s.jsonl"
    bad = {"-o": "/proc/n.jsonl", "--ranking": "/proc/r.csv", "--manifest": "/proc/m.json"}[option]
    args = ["sample", pool, "-k", 10, "--graph", tiny_graph]
    args += ["-o", bad] if option == "-o" else ["-o", out, option, bad]
    result = run(*args)
    assert result.exit_code == 2
    assert f"Error: {option} {bad}: cannot write in /proc" in result.stderr
    assert ".tmp" not in result.stderr and "Selected" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["graph", "pool.jsonl"]


def test_a_failing_ranking_removes_the_subsets_and_manifests_already_written(
    pool, tiny_graph, tmp_path
):
    (tmp_path / "r.csv").mkdir()  # passes the folder check; the rename onto it fails
    out = tmp_path / "s.jsonl"
    result = run(
        "sample",
        pool,
        "-k",
        "5,10",
        "--graph",
        tiny_graph,
        "-o",
        out,
        "--ranking",
        tmp_path / "r.csv",
    )
    assert result.exit_code == 1
    assert f"Error: cannot write {tmp_path / 'r.csv'}: Is a directory" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["graph", "pool.jsonl", "r.csv"]
    assert not any((tmp_path / "r.csv").iterdir())


def test_writers_name_the_target_never_the_temporary_file(tmp_path):
    for write in (
        lambda p: write_text(p, "x"),
        lambda p: write_table({"a": [1]}, str(p)),
    ):
        target = UNWRITABLE / "r.csv"
        with pytest.raises(DataError) as err:
            write(target)
        assert str(err.value).startswith(f"cannot write {target}: ")
        assert ".tmp" not in str(err.value)
    with pytest.raises(DataError, match=r"^cannot write /proc/g: "):
        with atomic_folder("/proc/g"):
            pass
    folder = tmp_path / "t.csv"
    folder.mkdir()
    with pytest.raises(DataError, match="cannot write .*t.csv: Is a directory"):
        write_table({"a": [1]}, str(folder))
    assert [p.name for p in tmp_path.iterdir()] == ["t.csv"]  # no temporary file left


def test_an_output_below_a_file_says_the_parent_is_a_file(pool, tiny_graph):
    result = run("sample", pool, "-k", 5, "--graph", tiny_graph, "-o", f"{pool}/x.jsonl")
    assert result.exit_code == 2
    assert f"{pool} is a file, not a folder" in result.stderr
    assert "would overwrite" not in result.stderr


def test_a_folder_that_is_no_pool_is_named_as_such(tmp_path, monkeypatch):
    (tmp_path / "notes.txt").write_text("hello\n")
    work = tmp_path / "c"
    work.mkdir()
    monkeypatch.chdir(work)
    result = run("score", tmp_path, "-o", "x.jsonl")
    assert result.exit_code == 1
    assert f"{tmp_path}: is a folder but not a pool" in result.stderr
    assert "would overwrite" not in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["build-graph", "{pool}", "-o", "/proc/g"],
        ["report", "{pool}", "{pool}", "-o", "/proc/r.html"],
    ],
)
def test_other_commands_check_their_output_folder_first(pool, args):
    result = run(*[a.format(pool=pool) for a in args])
    assert result.exit_code == 2, result.output
    assert f"-o {args[-1]}: cannot write in /proc" in result.stderr
