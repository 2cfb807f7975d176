"""`mig graph summary|sweep|neighbours|export` through the CLI on tiny fixtures."""

from __future__ import annotations

import json

import networkx as nx
import pytest
from typer.testing import CliRunner

from mig_cli.cli import app
from mig_cli.records.graph_files import read_graph

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def test_summary_text_and_json(tiny_graph):
    # tiny_graph: python-arithmetic (0.95), sql-role play (0.92), poem writing alone
    result = run("graph", "summary", tiny_graph)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "nodes              5" in out and "edges              2" in out
    assert "components         3 (2 of 2+ labels)" in out
    assert "isolated labels    1 (20.0%)" in out and "isolated, most frequent: poem writing" in out
    data = json.loads(run("graph", "summary", tiny_graph, "--json").stdout)
    assert data["edges"] == 2 and data["components"] == 3 and data["largest_component"] == 2
    assert data["mean_degree"] == pytest.approx(0.8)
    assert data["isolated_labels"] == ["poem writing"]
    assert sum(b["count"] for b in data["weight_histogram"]) == 2
    assert [b["count"] for b in data["degree_histogram"]] == [1, 4]


def test_summary_of_a_missing_or_broken_graph_is_one_line(tmp_path, tiny_graph):
    result = run("graph", "summary", tmp_path / "nope")
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        f"Error: {tmp_path / 'nope'}: no such graph folder"
    ]
    (tiny_graph / "edges.parquet").write_bytes(b"not parquet")
    result = run("graph", "summary", tiny_graph)
    assert result.exit_code == 1 and len(result.stderr.strip().splitlines()) == 1
    assert "edges.parquet: cannot read Parquet" in result.stderr


def test_neighbours_exact_fuzzy_and_unknown(tiny_graph):
    result = run("graph", "neighbours", tiny_graph, "sql query")
    assert result.exit_code == 0, result.output
    assert "'sql query' (1 records): 1 neighbour" in result.stdout
    assert "0.920  role play  (1 records)" in result.stdout
    result = run("graph", "neighbours", tiny_graph, "sql qeury")
    assert result.exit_code == 0
    assert "'sql qeury' is not a node; showing the closest label 'sql query'" in result.stdout
    result = run("graph", "neighbours", tiny_graph, "poem writing")
    assert "0 neighbours" in result.stdout
    result = run("graph", "neighbours", tiny_graph, "xyzzy")
    assert result.exit_code == 1
    assert "'xyzzy' is not a node of the graph and no label is close" in result.stderr


@pytest.mark.parametrize("ext", ["graphml", "gexf"])
def test_export_round_trips_through_networkx(tiny_graph, tmp_path, ext):
    out = tmp_path / f"g.{ext}"
    result = run("graph", "export", tiny_graph, "-o", out)
    assert result.exit_code == 0, result.output
    g = nx.read_graphml(out) if ext == "graphml" else nx.read_gexf(out)
    graph = read_graph(str(tiny_graph))
    assert sorted(g.nodes) == sorted(graph.labels)
    assert g.number_of_edges() == graph.num_edges == 2
    assert g["python programming"]["arithmetic word problem"]["weight"] == pytest.approx(0.95)
    assert g["sql query"]["role play"]["weight"] == pytest.approx(0.92)
    assert int(g.nodes["poem writing"]["count"]) == 1
    assert int(g.nodes["poem writing"]["degree"]) == 0
    comps = {n: int(g.nodes[n]["component"]) for n in g.nodes}
    assert comps["python programming"] == comps["arithmetic word problem"] != comps["poem writing"]


def test_export_refuses_unknown_extension_and_writes_nothing(tiny_graph, tmp_path):
    result = run("graph", "export", tiny_graph, "-o", tmp_path / "g.csv")
    assert result.exit_code == 2 and "use .graphml or .gexf" in result.output
    result = run("graph", "export", tmp_path / "missing", "-o", tmp_path / "g.graphml")
    assert result.exit_code == 1
    assert "Error: " in result.stderr and "no such graph folder" in result.stderr
    assert not (tmp_path / "g.graphml").exists()


def test_sweep_matches_build_graph_at_each_threshold(tiny_pool, tmp_path):
    """The real bundled model: each sweep row equals the graph build-graph makes at that T."""
    cache = tmp_path / "cache"
    thresholds = ["0.2", "0.35", "0.5", "0.7"]
    result = run(
        "graph",
        "sweep",
        tiny_pool,
        "--thresholds",
        ",".join(thresholds),
        "--cache-dir",
        cache,
        "--json",
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["rows"]
    assert [r["threshold"] for r in rows] == [float(t) for t in thresholds]
    for row, t in zip(rows, thresholds):
        folder = tmp_path / f"g{t}"
        built = run(
            "build-graph", tiny_pool, "-o", folder, "--edge-threshold", t, "--cache-dir", cache
        )
        assert built.exit_code == 0, built.output
        summary = json.loads(run("graph", "summary", folder, "--json").stdout)
        assert row["edges"] == summary["edges"]
        assert row["components"] == summary["components"]
        assert row["isolated_share"] == pytest.approx(summary["isolated_share"])
    assert rows[0]["edges"] > rows[-1]["edges"]
    text = run("graph", "sweep", tiny_pool, "--thresholds", "0.2:0.5:0.15", "--cache-dir", cache)
    assert text.exit_code == 0
    assert [line.split()[0] for line in text.stdout.splitlines()[2:]] == ["0.200", "0.350", "0.500"]


@pytest.mark.parametrize("spec", ["0.9:0.6:0.05", "a,b", "0.5:1.5:0.5", "0.6:0.9:0"])
def test_sweep_rejects_bad_thresholds(tiny_pool, spec):
    result = run("graph", "sweep", tiny_pool, "--thresholds", spec)
    assert result.exit_code == 2 and "START:STOP:STEP" in result.output


def test_graph_help_has_examples():
    for command in ("summary", "sweep", "neighbours", "export"):
        result = run("graph", command, "--help")
        assert result.exit_code == 0 and "Example" in result.stdout


def test_bad_inputs_are_one_line_errors(tmp_path, tiny_graph):
    pool = tmp_path / "nolabels.jsonl"
    pool.write_text(
        '{"id": "a", "labels": [], "score": 1}\n{"id": "b", "labels": [], "score": 2}\n'
    )
    result = run("graph", "sweep", pool, "--thresholds", "0.8,0.9", "--cache-dir", tmp_path / "c")
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "no labels" in lines[0]
    result = run("graph", "neighbours", tmp_path / "nowhere", "x")
    assert result.exit_code == 1
    assert result.stderr.strip() == f"Error: {tmp_path / 'nowhere'}: no such graph folder"
