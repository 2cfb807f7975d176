"""`mig sample`, `mig stats` and `mig build-graph` through the CLI on tiny fixtures."""

from __future__ import annotations

import gzip
import json
import math
import os
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from mig_cli.cli import app
from mig_cli.records.annotations import read_annotations
from mig_cli.records.formats import read_pool
from mig_cli.records.graph_files import read_graph
from mig_cli.selection.selection import select

runner = CliRunner()


def run(*args: str, input: str | None = None):
    return runner.invoke(app, [str(a) for a in args], input=input, catch_exceptions=False)


def expected_rows(pool: Path, graph: Path, k: int, **kw) -> list[int]:
    data = read_pool(str(pool))
    return select(read_annotations(data), k, graph=read_graph(str(graph)), **kw).rows.tolist()


def test_sample_writes_selected_lines_byte_for_byte(tiny_pool, tiny_graph, tmp_path):
    out = tmp_path / "subset.jsonl"
    result = run("sample", tiny_pool, "-k", "8", "--graph", tiny_graph, "-o", out)
    assert result.exit_code == 0, result.output
    lines = tiny_pool.read_bytes().splitlines(keepends=True)
    rows = expected_rows(tiny_pool, tiny_graph, 8)
    assert out.read_bytes() == b"".join(lines[r] for r in rows)
    assert "Selected 8 of 30" in result.stderr


@pytest.mark.parametrize("k,count", [("0.2", 6), ("10%", 3), ("5", 5), ("1.0", 30)])
def test_k_as_count_fraction_and_percentage(tiny_pool, tiny_graph, tmp_path, k, count):
    out = tmp_path / "s.jsonl"
    result = run("sample", tiny_pool, "-k", k, "--graph", tiny_graph, "-o", out)
    assert result.exit_code == 0, result.output
    assert len(out.read_text().splitlines()) == count


def test_stdout_when_piped_and_stdin_input(tiny_pool, tiny_graph):
    result = run("sample", "-", "-k", "4", "--graph", tiny_graph, input=tiny_pool.read_text())
    assert result.exit_code == 0, result.output
    rows = expected_rows(tiny_pool, tiny_graph, 4)
    lines = tiny_pool.read_text().splitlines(keepends=True)
    assert result.stdout == "".join(lines[r] for r in rows)


def test_default_output_beside_pool_when_stdout_is_terminal(tiny_pool, tiny_graph, monkeypatch):
    monkeypatch.setattr("mig_cli.cli.sample.stdout_is_terminal", lambda: True)
    result = run("sample", tiny_pool, "-k", "3", "--graph", tiny_graph)
    assert result.exit_code == 0, result.output
    target = tiny_pool.with_name("pool.mig-3.jsonl")
    assert target.exists() and len(target.read_text().splitlines()) == 3
    assert "pool.mig-3.jsonl" in result.stderr


def test_parquet_gzip_and_datasets_inputs_give_the_same_selection(tiny_pool, tiny_graph, tmp_path):
    records = [json.loads(x) for x in tiny_pool.read_text().splitlines()]
    pq.write_table(pa.Table.from_pylist(records), tmp_path / "pool.parquet")
    with gzip.open(tmp_path / "pool.jsonl.gz", "wb") as fh:
        fh.write(tiny_pool.read_bytes())
    datasets = pytest.importorskip("datasets")
    datasets.Dataset.from_list(records).save_to_disk(str(tmp_path / "hf"))
    expected = [records[r]["id"] for r in expected_rows(tiny_pool, tiny_graph, 7)]
    for source in ("pool.parquet", "pool.jsonl.gz", "hf"):
        for ext in ("jsonl", "parquet", "jsonl.gz"):
            out = tmp_path / f"out-{source}.{ext}"
            result = run("sample", tmp_path / source, "-k", "7", "--graph", tiny_graph, "-o", out)
            assert result.exit_code == 0, result.output
            got = [r["id"] for r in read_pool(str(out)).rows()]
            assert got == expected, (source, ext)


def test_ranking_file(tiny_pool, tiny_graph, tmp_path):
    out, ranking = tmp_path / "s.jsonl", tmp_path / "rank.csv"
    result = run(
        "sample", tiny_pool, "-k", "5", "--graph", tiny_graph, "-o", out, "--ranking", ranking
    )
    assert result.exit_code == 0, result.output
    lines = ranking.read_text().splitlines()
    assert lines[0] == '"row","id","rank","gain","duplicates_skipped"'
    rows = expected_rows(tiny_pool, tiny_graph, 5)
    assert [int(x.split(",")[0]) for x in lines[1:]] == rows
    assert [x.split(",")[1] for x in lines[1:]] == [f'"r{r}"' for r in rows]
    gains = [float(x.split(",")[3]) for x in lines[1:]]
    assert gains == sorted(gains, reverse=True)


def test_options_change_the_selection_like_the_api(tiny_pool, tiny_graph, tmp_path):
    out = tmp_path / "s.jsonl"
    args = [
        "--phi",
        "exp",
        "--phi-lambda",
        "0.05",
        "--gain",
        "exact",
        "--norm",
        "--prop-weight",
        "0.5",
    ]
    result = run("sample", tiny_pool, "-k", "10", "--graph", tiny_graph, "-o", out, *args)
    assert result.exit_code == 0, result.output
    from mig_cli.selection.phi import ExpPhi

    rows = expected_rows(
        tiny_pool, tiny_graph, 10, phi=ExpPhi(0.05), gain="exact", norm=True, prop_weight=0.5
    )
    ids = [json.loads(x)["id"] for x in out.read_text().splitlines()]
    assert ids == [f"r{r}" for r in rows]


def test_baselines_through_cli(tiny_pool, tmp_path):
    out = tmp_path / "top.jsonl"
    assert run("sample", tiny_pool, "-k", "4", "--method", "top-score", "-o", out).exit_code == 0
    scores = [json.loads(x)["score"] for x in out.read_text().splitlines()]
    all_scores = sorted(
        (json.loads(x)["score"] for x in tiny_pool.read_text().splitlines()), reverse=True
    )
    assert scores == all_scores[:4]
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    run("sample", tiny_pool, "-k", "6", "--method", "random", "--seed", "3", "-o", a)
    run("sample", tiny_pool, "-k", "6", "--method", "random", "--seed", "3", "-o", b)
    assert a.read_bytes() == b.read_bytes() and len(a.read_text().splitlines()) == 6


def test_given_continues_a_selection(tiny_pool, tiny_graph, tmp_path):
    first, rest, whole = tmp_path / "first.jsonl", tmp_path / "rest.jsonl", tmp_path / "w.jsonl"
    run("sample", tiny_pool, "-k", "4", "--graph", tiny_graph, "-o", first)
    result = run(
        "sample", tiny_pool, "-k", "6", "--graph", tiny_graph, "-o", rest, "--given", first
    )
    assert result.exit_code == 0, result.output
    run("sample", tiny_pool, "-k", "10", "--graph", tiny_graph, "-o", whole)
    # greedy is a prefix property: 4 then 6 more equals 10 at once
    assert first.read_bytes() + rest.read_bytes() == whole.read_bytes()


def test_config_file_gives_defaults(tiny_pool, tiny_graph, tmp_path):
    cfg = tmp_path / "run.toml"
    cfg.write_text(f'[sample]\nk = 6\ngraph = "{tiny_graph}"\nphi = "exp"\nphi-lambda = 0.1\n')
    out = tmp_path / "s.jsonl"
    result = run("sample", tiny_pool, "--config", cfg, "-o", out)
    assert result.exit_code == 0, result.output
    from mig_cli.selection.phi import ExpPhi

    rows = expected_rows(tiny_pool, tiny_graph, 6, phi=ExpPhi(0.1))
    assert [json.loads(x)["id"] for x in out.read_text().splitlines()] == [f"r{r}" for r in rows]
    cfg.write_text("[sample]\nbogus = 1\n")
    result = run("sample", tiny_pool, "-k", "3", "--config", cfg)
    assert result.exit_code == 2 and "bogus" in result.output


@pytest.mark.parametrize("name", ["paper.toml", "balanced.toml", "demo.toml"])
def test_bundled_configs_are_valid(tiny_pool, tiny_graph, tmp_path, name):
    root = Path(__file__).resolve().parents[2]
    result = run(
        "sample",
        tiny_pool,
        "--config",
        root / "configs" / name,
        "-k",
        "5",
        "--graph",
        tiny_graph,
        "-o",
        tmp_path / "s.jsonl",
    )
    assert result.exit_code == 0, result.output


def test_stats_side_by_side_and_json(tiny_pool, tiny_graph, tmp_path):
    out = tmp_path / "s.jsonl"
    run("sample", tiny_pool, "-k", "6", "--graph", tiny_graph, "-o", out)
    result = run("stats", tiny_pool, out, "--graph", tiny_graph, "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    pool_stats, sub_stats = payload["inputs"]
    assert pool_stats["records"] == 30 and sub_stats["records"] == 6
    assert pool_stats["information"] > sub_stats["information"] > 0
    assert 0 < sub_stats["node_coverage"] <= 1
    assert payload["nodes"] == 5
    table = run("stats", tiny_pool, out, "--graph", tiny_graph)
    assert table.exit_code == 0 and "information I(D)" in table.stdout
    assert "node coverage" in table.stdout


def test_build_graph_then_sample(tiny_pool, tmp_path, monkeypatch):
    import numpy as np

    class FakeEmbedder:
        name, key = "fake", "fake-model"

        def __init__(self, model=None):
            pass

        def encode(self, labels, on_batch=None):
            # labels sharing a first word get the same direction
            vecs = np.array(
                [[hash(x.split()[0]) % 7 + 1, len(x.split()[0])] for x in labels], dtype=np.float32
            )
            return vecs / np.linalg.norm(vecs, axis=1, keepdims=True)

        @property
        def dimension(self):
            return 2

    monkeypatch.setattr("mig_cli.cli.build_graph.label_embedder", FakeEmbedder)
    graph = tmp_path / "g"
    result = run(
        "build-graph", tiny_pool, "-o", graph, "--cache-dir", tmp_path / "cache", "--max-nodes", "4"
    )
    assert result.exit_code == 0, result.output
    g = read_graph(str(graph))
    assert g.num_nodes == 4 and g.meta["model"] == "fake" and g.meta["max_nodes"] == 4
    assert g.meta["input_fingerprint"].startswith("sha256:")
    assert list(g.counts) == sorted(g.counts, reverse=True)
    assert list((tmp_path / "cache" / "fake-model").glob("*.parquet"))
    out = tmp_path / "s.jsonl"
    result = run(
        "sample",
        tiny_pool,
        "-k",
        "5",
        "-o",
        out,
        "--cache-dir",
        tmp_path / "cache",
        "--max-nodes",
        "4",
    )
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == b"".join(
        tiny_pool.read_bytes().splitlines(keepends=True)[r]
        for r in expected_rows(tiny_pool, graph, 5)
    )


def test_help_has_examples():
    for command in ("sample", "build-graph", "stats"):
        result = run(command, "--help")
        assert result.exit_code == 0 and "Example" in result.stdout


def test_xsample_preset_reads_the_published_format(tmp_path):
    rows = []
    for i, (tags, q, c) in enumerate(
        [(["math", "algebra"], [5, 3], [4, 2]), (["math"], [1], [1]), (["poetry"], [6], [6])]
    ):
        rows.append(
            {
                "id": f"x{i}",
                "annotation": {
                    "instag": {"content": [{"tag": t, "explanation": "..."} for t in tags]},
                    "deita": {"quality_scores": q, "complexity_scores": c},
                },
            }
        )
    pool = tmp_path / "x.jsonl"
    pool.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "s.jsonl"
    result = run(
        "sample", pool, "-k", "3", "--preset", "xsample", "--method", "top-score", "-o", out
    )
    assert result.exit_code == 0, result.output
    # scores: (5*4 + 3*2)/2 = 13, 1, 36
    assert [json.loads(x)["id"] for x in out.read_text().splitlines()] == ["x2", "x0", "x1"]
    ann = read_annotations(read_pool(str(pool)), preset="xsample")
    assert ann.scores.tolist() == [13.0, 1.0, 36.0]
    assert ann.labels.row(0) == ["math", "algebra"]


# ----------------------------------------------------------------------------- issue 7 examples
def write_pool(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def two_source_pool(ids) -> list[dict]:
    """12 annotated records from two sources; `ids(i, source)` gives each record's id or None."""
    from tests.conftest import LABELS

    records = []
    for source in ("alpaca", "dolly"):
        for i in range(6):
            rec = {"q": f"{source} question {i}", "labels": [LABELS[(i * 3 + len(source)) % 5]]}
            rec["score"] = float(1 + (i * 7 + len(source)) % 9)
            rid = ids(i, source)
            if rid is not None:
                rec = {"id": rid, **rec}
            records.append(rec)
    return records


@pytest.mark.parametrize(
    "ids",
    [
        lambda i, source: str(i + 1),  # both sources number from 1: ids repeat
        lambda i, source: f"{source}-{i}" if i % 2 else None,  # only some records have one
    ],
    ids=["ids-repeated-across-sources", "ids-on-some-records"],
)
def test_given_matches_the_records_not_their_ids(tmp_path, tiny_graph, ids):
    pool = write_pool(tmp_path / "pool.jsonl", two_source_pool(ids))
    first, rest, whole = tmp_path / "first.jsonl", tmp_path / "rest.jsonl", tmp_path / "w.jsonl"
    assert run("sample", pool, "-k", "4", "--graph", tiny_graph, "-o", first).exit_code == 0
    result = run("sample", pool, "-k", "5", "--graph", tiny_graph, "-o", rest, "--given", first)
    assert result.exit_code == 0, result.output
    assert run("sample", pool, "-k", "9", "--graph", tiny_graph, "-o", whole).exit_code == 0
    # neither excludes records it was never given nor picks given ones again
    assert first.read_bytes() + rest.read_bytes() == whole.read_bytes()
    assert "not in the pool" not in result.stderr


def test_given_written_as_parquet_still_matches(tiny_pool, tiny_graph, tmp_path):
    first, rest, whole = tmp_path / "first.parquet", tmp_path / "rest.jsonl", tmp_path / "w.jsonl"
    run("sample", tiny_pool, "-k", "4", "--graph", tiny_graph, "-o", first)
    result = run(
        "sample", tiny_pool, "-k", "6", "--graph", tiny_graph, "-o", rest, "--given", first
    )
    assert result.exit_code == 0, result.output
    run("sample", tiny_pool, "-k", "10", "--graph", tiny_graph, "-o", whole)
    whole_lines = whole.read_bytes().splitlines(keepends=True)
    assert rest.read_bytes() == b"".join(whole_lines[4:])


def test_given_records_from_elsewhere_are_counted(tiny_pool, tiny_graph, tmp_path):
    other = write_pool(
        tmp_path / "other.jsonl", [{"q": "elsewhere", "labels": ["sql query"], "score": 3.0}]
    )
    out = tmp_path / "s.jsonl"
    result = run("sample", tiny_pool, "-k", "3", "--graph", tiny_graph, "-o", out, "--given", other)
    assert result.exit_code == 0, result.output
    assert "1 of the 1 records" in result.stderr and "not in the pool" in result.stderr


def error_line(result) -> str:
    lines = [x for x in result.stderr.splitlines() if x.startswith("Error:")]
    assert len(lines) == 1, result.output
    assert "Traceback" not in result.output
    return lines[0]


def test_no_information_is_refused_not_first_rows(tiny_pool, tiny_graph, tmp_path):
    records = [json.loads(x) for x in tiny_pool.read_text().splitlines()]
    zero = write_pool(tmp_path / "zero.jsonl", [{**r, "score": 0} for r in records])
    out = tmp_path / "s.jsonl"
    for method in ("mig", "top-score"):
        result = run(
            "sample", zero, "-k", "5", "--graph", tiny_graph, "--method", method, "-o", out
        )
        assert result.exit_code == 1, result.output
        assert "nothing to select by" in error_line(result)
        assert not out.exists()
    # random needs nothing to select by
    result = run("sample", zero, "-k", "5", "--method", "random", "-o", out)
    assert result.exit_code == 0 and len(out.read_text().splitlines()) == 5
    out.unlink()
    unlabelled = write_pool(
        tmp_path / "off.jsonl",
        [
            {**r, "labels": [], "score": 2.0} if i else {**r, "labels": ["sql query"], "score": 0}
            for i, r in enumerate(records)
        ],
    )
    result = run("sample", unlabelled, "-k", "5", "--graph", tiny_graph, "-o", out)
    assert result.exit_code == 1
    line = error_line(result)
    assert "nothing to select by" in line and "29 have no label on the graph" in line
    assert "1 have score 0" in line and not out.exists()


def test_graph_from_another_pool_is_refused_or_reported(tiny_pool, tiny_graph, tmp_path):
    records = [json.loads(x) for x in tiny_pool.read_text().splitlines()]
    other = write_pool(
        tmp_path / "other.jsonl",
        [{**r, "labels": [f"other label {i % 4}"]} for i, r in enumerate(records)],
    )
    out = tmp_path / "s.jsonl"
    result = run("sample", other, "-k", "5", "--graph", tiny_graph, "-o", out)
    assert result.exit_code == 1 and not out.exists()
    line = error_line(result)
    assert "none of the pool's 4 distinct labels is a node of the graph (5 nodes)" in line
    # half the labels on the graph: selected, with the count and share said
    half = write_pool(
        tmp_path / "half.jsonl",
        [
            {
                **r,
                "labels": [
                    "sql query" if i % 2 else "not a node",
                    "poem writing" if i % 3 else "nor this",
                ],
            }
            for i, r in enumerate(records)
        ],
    )
    result = run("sample", half, "-k", "5", "--graph", tiny_graph, "-o", out)
    assert result.exit_code == 0, result.output
    assert "2 of the pool's 4 distinct labels (50.0%) are not nodes of the graph" in result.stderr


def test_warns_when_many_records_can_never_be_chosen(tiny_pool, tiny_graph, tmp_path):
    records = [json.loads(x) for x in tiny_pool.read_text().splitlines()]
    # 30 records: rows 0..9 lose their labels, rows 10..14 get score 0 (row 11, 22 were 0)
    for i in range(10):
        records[i]["labels"] = []
    for i in range(10, 15):
        records[i]["score"] = 0
    pool = write_pool(tmp_path / "pool.jsonl", records)
    ann = read_annotations(read_pool(str(pool)))
    from mig_cli.selection.coverage import coverage

    cov = coverage(ann, "mig", graph=read_graph(str(tiny_graph)))
    out = tmp_path / "s.jsonl"
    result = run("sample", pool, "-k", "3", "--graph", tiny_graph, "-o", out)
    assert result.exit_code == 0, result.output
    stderr = " ".join(result.stderr.split())
    n = cov.never_chosen
    assert n >= 15 and cov.informative == 30 - n
    assert f"{n} of 30 records ({n / 30:.1%}) add no information" in stderr
    assert f"{cov.off_graph} with no label on the graph, {cov.zero_score} with score 0" in stderr
    # asking for more than the informative records says how many come in file order
    result = run("sample", pool, "-k", str(30 - n + 2), "--graph", tiny_graph, "-o", out)
    assert result.exit_code == 0
    assert "the last 2 of the" in " ".join(result.stderr.split())


@pytest.mark.parametrize(
    "args",
    [
        ["--phi-a", "inf"],
        ["--phi-a", "nan"],
        ["--prop-weight", "inf"],
        ["--prop-weight", "nan"],
        ["--phi-lambda", "inf"],
        ["--phi-b", "nan"],
    ],
)
def test_non_finite_options_are_usage_errors(tiny_pool, tiny_graph, tmp_path, args):
    out = tmp_path / "s.jsonl"
    result = run("sample", tiny_pool, "-k", "3", "--graph", tiny_graph, "-o", out, *args)
    assert result.exit_code == 2 and args[0] in result.output and not out.exists()
    result = run("stats", tiny_pool, "--graph", tiny_graph, *args)
    assert result.exit_code == 2 and args[0] in result.output


def test_non_finite_edge_threshold_is_a_usage_error(tiny_pool, tmp_path):
    for value in ("nan", "inf"):
        result = run("build-graph", tiny_pool, "-o", tmp_path / "g", "--edge-threshold", value)
        assert result.exit_code == 2 and "--edge-threshold" in result.output
        assert not (tmp_path / "g").exists()


@pytest.mark.parametrize(
    "flag,value",
    [
        ("--edge-threshold", "0.5"),
        ("--max-nodes", "3"),
        ("--graph-min-count", "2"),
        ("--model", "x"),
    ],
)
def test_graph_building_options_with_graph_are_usage_errors(tiny_pool, tiny_graph, flag, value):
    result = run("sample", tiny_pool, "-k", "3", "--graph", tiny_graph, flag, value)
    assert result.exit_code == 2 and flag in result.output and "--graph" in result.output


def test_huge_scores_keep_the_ranking(tiny_pool, tiny_graph, tmp_path):
    """Scores times 2^1000 (exact in binary; up to ~4e302, whose sums overflow float64 without
    scaling) with phi's parameters scaled to match are the same problem: the same picks."""
    records = [json.loads(x) for x in tiny_pool.read_text().splitlines()]
    huge = write_pool(
        tmp_path / "huge.jsonl", [{**r, "score": r["score"] * 2.0**1000} for r in records]
    )
    assert max(r["score"] for r in records) * 2.0**1000 > 1e301
    small_out, huge_out = tmp_path / "small.jsonl", tmp_path / "big.jsonl"
    cases = [
        (["--phi-a", "1e-6"], ["--phi-a", repr(math.ldexp(1e-6, 1000))]),
        (
            ["--phi", "exp", "--phi-lambda", "0.05"],
            ["--phi", "exp", "--phi-lambda", repr(math.ldexp(0.05, -1000))],
        ),
    ]
    for small_args, huge_args in cases:
        args = ["-k", "20", "--graph", tiny_graph]
        assert run("sample", tiny_pool, *args, "-o", small_out, *small_args).exit_code == 0
        result = run(
            "sample", huge, *args, "-o", huge_out, *huge_args, "--ranking", tmp_path / "rank.csv"
        )
        assert result.exit_code == 0, result.output
        ids = [json.loads(x)["id"] for x in huge_out.read_text().splitlines()]
        assert ids == [json.loads(x)["id"] for x in small_out.read_text().splitlines()]
        info = re.search(r"I\(D\) = ([^,]+),", result.stderr).group(1)
        assert math.isfinite(float(info.replace(",", ""))) and float(info.replace(",", "")) > 0
        assert len(info) <= 12, info  # exponent form, not 300 digits
        gains = [float(x.split(",")[3]) for x in (tmp_path / "rank.csv").read_text().split()[1:]]
        assert all(math.isfinite(g) for g in gains) and gains == sorted(gains, reverse=True)


@pytest.mark.slow
def test_api_without_graph_builds_the_graph_the_cli_builds(tiny_pool, tmp_path):
    """`select(ann, "20%")` with no graph: the bundled model, threshold 0.9, like `mig sample`."""
    from mig_cli import select as api_select
    from mig_cli import write_pool_rows

    out = tmp_path / "cli.jsonl"
    result = run("sample", tiny_pool, "-k", "20%", "-o", out)
    assert result.exit_code == 0, result.output
    pool = read_pool(str(tiny_pool))
    sel = api_select(read_annotations(pool), "20%")
    write_pool_rows(pool, sel.rows.tolist(), str(tmp_path / "api.jsonl"))
    assert (tmp_path / "api.jsonl").read_bytes() == out.read_bytes()
    assert len(sel.rows) == 6


# ----------------------------------------------------------------------------- raw pools
def raw_pool(tmp_path: Path, n: int = 16) -> Path:
    """The first n records of the bundled slice, as published: no labels, no score."""
    root = Path(__file__).resolve().parents[2]
    lines = (root / "data" / "sample-pool.jsonl").read_bytes().splitlines(keepends=True)
    for line in lines[:n]:
        record = json.loads(line)
        assert "labels" not in record and "score" not in record
    folder = tmp_path / "in"
    folder.mkdir(parents=True)
    path = folder / "raw.jsonl"
    path.write_bytes(b"".join(lines[:n]))
    return path


@pytest.mark.slow
def test_raw_pool_is_annotated_once_and_reused(tmp_path):
    pool = raw_pool(tmp_path)
    out = tmp_path / "s.jsonl"
    result = run("sample", pool, "-k", "5", "-o", out)
    assert result.exit_code == 0, result.output
    annotated = pool.with_name("raw.mig-annotated.jsonl")
    stderr = " ".join(result.stderr.split())
    assert "has no labels or score" in stderr and str(annotated) in stderr
    assert "mig-tagged" not in stderr  # the intermediate file is not named: it is removed
    records = [json.loads(x) for x in annotated.read_text().splitlines()]
    assert len(records) == 16 and all(r["labels"] and r["score"] > 0 for r in records)
    # chosen as a run on the annotated pool chooses them, written back as the input's own lines
    expected = tmp_path / "expected.jsonl"
    assert run("sample", annotated, "-k", "5", "-o", expected).exit_code == 0
    rows = json.loads((tmp_path / "expected.manifest.json").read_text())["subset"]["rows"]
    raw_lines = pool.read_bytes().splitlines(keepends=True)
    assert out.read_bytes() == b"".join(raw_lines[r] for r in rows)
    assert out.read_bytes() != expected.read_bytes()  # not the re-serialised annotated lines
    assert sorted(p.name for p in pool.parent.iterdir() if "tagged" in p.name) == []
    # the next run reuses the annotated pool while the input is unchanged
    again = run("sample", pool, "-k", "5", "-o", tmp_path / "again.jsonl")
    assert again.exit_code == 0 and "annotated earlier from the same input" in again.stderr
    assert (tmp_path / "again.jsonl").read_bytes() == out.read_bytes()
    # an edited input is annotated again
    with pool.open("ab") as fh:
        fh.write(raw_pool(tmp_path / "more", 17).read_bytes().splitlines(keepends=True)[16])
    edited = run("sample", pool, "-k", "5", "-o", tmp_path / "e.jsonl")
    assert edited.exit_code == 0 and "has no labels or score" in edited.stderr
    assert "(changed: input_sha256): annotating anew" in " ".join(edited.stderr.split())
    assert len(annotated.read_text().splitlines()) == 17
    # an annotated copy that no longer aligns with the input row for row is refused
    annotated.write_bytes(b"".join(annotated.read_bytes().splitlines(keepends=True)[:16]))
    short = run("sample", pool, "-k", "5", "-o", tmp_path / "short.jsonl")
    assert short.exit_code == 1 and not (tmp_path / "short.jsonl").exists()
    assert "holds 16 records but the pool 17" in " ".join(short.stderr.split())


def test_the_tagged_step_and_its_checkpoint_have_plain_names():
    from mig_cli.cli.auto_annotate import tagged_path
    from mig_cli.records.checkpoint import Checkpoint

    tagged = tagged_path(Path("/d/raw_pool.mig-annotated.jsonl"))
    assert tagged == Path("/d/raw_pool.mig-tagged.jsonl")
    checkpoint = Checkpoint(str(tagged), {})
    assert checkpoint.path.name == ".raw_pool.mig-tagged.jsonl.mig-checkpoint"


@pytest.mark.slow
def test_raw_pool_in_a_folder_that_cannot_be_written_goes_to_the_cache(tmp_path, monkeypatch):
    pool = raw_pool(tmp_path, 6)
    folder = pool.parent
    real_access = os.access
    # root may write anywhere, so the unwritable folder is simulated at the access check
    monkeypatch.setattr(
        "mig_cli.cli.auto_annotate.os.access",
        lambda p, mode: False if Path(p) == folder else real_access(p, mode),
    )
    result = run("sample", pool, "-k", "2", "-o", tmp_path / "s.jsonl")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in folder.iterdir()) == ["raw.jsonl"]
    cache = Path(os.environ["MIG_CACHE_DIR"])  # the tests' cache (conftest)
    kept = list((cache / "annotated").glob("raw-*.mig-annotated.jsonl"))
    assert len(kept) == 1 and str(kept[0]) in " ".join(result.stderr.split())
    assert "not writable" in result.stderr


def test_no_annotate_keeps_the_refusal_and_random_needs_nothing(tmp_path):
    pool = raw_pool(tmp_path, 6)
    out = tmp_path / "s.jsonl"
    result = run("sample", pool, "-k", "2", "-o", out, "--no-annotate")
    assert result.exit_code == 1 and not out.exists()
    line = error_line(result)
    assert f"{pool}:1: field 'labels': missing" in line and "mig tag" in line
    result = run("sample", pool, "-k", "3", "--method", "random", "-o", out)
    assert result.exit_code == 0, result.output
    assert len(out.read_text().splitlines()) == 3
    assert sorted(p.name for p in pool.parent.iterdir()) == ["raw.jsonl"]


def test_stats_information_stays_finite_for_huge_scores(tiny_pool, tiny_graph, tmp_path):
    records = [json.loads(x) for x in tiny_pool.read_text().splitlines()]
    huge = write_pool(
        tmp_path / "huge.jsonl", [{**r, "score": r["score"] * 2.0**1000} for r in records]
    )
    result = run("stats", tiny_pool, huge, "--graph", tiny_graph, "--json")
    assert result.exit_code == 0, result.output
    small, big = (x["information"] for x in json.loads(result.stdout)["inputs"])
    # pow phi, b = 0.8: I(D) scales by 2^(1000 b) up to a's share (1e-6 against scores >= 1)
    assert math.isfinite(big) and big == pytest.approx(small * 2.0**800, rel=1e-4)


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_non_finite_min_score_is_a_usage_error(tiny_pool, tmp_path, value):
    out = tmp_path / "s.jsonl"
    result = run(
        "sample", tiny_pool, "-k", "3", "--method", "random", "--min-score", value, "-o", out
    )
    assert result.exit_code == 2 and "--min-score" in result.output and not out.exists()
    assert "Traceback" not in result.output


def test_prop_weight_that_overflows_the_propagation_is_a_usage_error(
    tiny_pool, tiny_graph, tmp_path
):
    out = tmp_path / "s.jsonl"
    result = run(
        "sample", tiny_pool, "-k", "3", "--graph", tiny_graph, "-o", out, "--prop-weight", "1e308"
    )
    assert result.exit_code == 2 and "too large for this graph" in result.output
    assert not out.exists() and "Traceback" not in result.output
    result = run("stats", tiny_pool, "--graph", tiny_graph, "--prop-weight", "1e308")
    assert result.exit_code == 2 and "too large for this graph" in result.output
    # large but representable: accepted, and the picks are those of the plain rule
    result = run(
        "sample", tiny_pool, "-k", "3", "--graph", tiny_graph, "-o", out, "--prop-weight", "1e200"
    )
    assert result.exit_code == 0, result.output
    rows = expected_rows(tiny_pool, tiny_graph, 3, prop_weight=1e200)
    assert [json.loads(x)["id"] for x in out.read_text().splitlines()] == [f"r{r}" for r in rows]


@pytest.mark.slow
def test_raw_pool_annotation_warns_about_scripts_the_model_cannot_read(tmp_path):
    prompts = ["日本の首都はどこですか？", "如何学习编程？", "What is the capital of France?"]
    rows = [
        {
            "id": f"r{i}",
            "messages": [
                {"role": "user", "content": p},
                {"role": "assistant", "content": "OK, here it is."},
            ],
        }
        for i, p in enumerate(prompts)
    ]
    pool = tmp_path / "mixed.jsonl"
    pool.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    result = run("sample", pool, "-k", "2", "-o", tmp_path / "s.jsonl")
    assert result.exit_code == 0, result.output
    assert "2 of the 3 records tagged in this run" in " ".join(result.stderr.split())


def test_build_graph_raises_a_default_threshold_on_a_dense_vocabulary(tmp_path, monkeypatch):
    """A large open vocabulary of near-synonyms: the default threshold is raised and says so;
    a threshold the user gives is kept."""
    import numpy as np

    class DenseEmbedder:
        name, key = "dense", "dense-model"

        def __init__(self, model=None):
            pass

        def encode(self, labels, on_batch=None):
            rng = np.random.default_rng(0)
            base = np.array([1.0, 0.0, 0.0], dtype=np.float32)
            vecs = base + 0.3 * rng.standard_normal((len(labels), 3)).astype(np.float32)
            return vecs / np.linalg.norm(vecs, axis=1, keepdims=True)

    monkeypatch.setattr("mig_cli.cli.build_graph.label_embedder", DenseEmbedder)
    monkeypatch.setattr(  # as if measured for this model, like the bundled MiniLM's 0.5
        "mig_cli.selection.graph.calibrated_threshold", lambda name: 0.5
    )
    rows = [
        {"id": f"r{i}", "labels": [f"topic {i}", f"topic {i + 1}"], "score": 1.0}
        for i in range(200)
    ]
    pool = tmp_path / "p.jsonl"
    pool.write_text("".join(json.dumps(r) + "\n" for r in rows))
    cache = tmp_path / "cache"
    result = run("build-graph", pool, "-o", tmp_path / "g", "--cache-dir", cache)
    assert result.exit_code == 0, result.output
    g = read_graph(str(tmp_path / "g"))
    assert 2 * g.num_edges / g.num_nodes <= 32
    assert g.meta["edge_threshold"] > g.meta["edge_threshold_requested"]
    assert "raised from 0.5" in " ".join(result.output.split())
    assert g.meta["edge_threshold_rule"].startswith("calibrated for dense, raised")
    assert "dense" not in result.stderr.replace("dense-model", "")  # no warning: it was raised
    given = run(
        "build-graph", pool, "-o", tmp_path / "g2", "--cache-dir", cache, "--edge-threshold", "0.3"
    )
    assert given.exit_code == 0, given.output
    g2 = read_graph(str(tmp_path / "g2"))
    assert g2.meta["edge_threshold"] == 0.3 and 2 * g2.num_edges / g2.num_nodes > 32
    assert g2.meta["edge_threshold_rule"] == "given"
    assert "the label graph is dense" in " ".join(given.stderr.split())  # the user's choice: warn
