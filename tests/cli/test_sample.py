"""`mig sample`, `mig stats` and `mig build-graph` through the CLI on tiny fixtures."""

from __future__ import annotations

import gzip
import json
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
    assert lines[0] == '"row","id","rank","gain"'
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


def test_paper_config_is_valid(tiny_pool, tiny_graph, tmp_path):
    root = Path(__file__).resolve().parents[2]
    result = run(
        "sample",
        tiny_pool,
        "--config",
        root / "configs" / "paper.toml",
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

    monkeypatch.setattr("mig_cli.cli.build_graph.Embedder", FakeEmbedder)
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
