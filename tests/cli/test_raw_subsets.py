"""A subset sampled from a raw pool can be compared and reported like any other: the graph built
on the fly is kept with --save-graph, the manifest names the annotators mig ran, and
`mig stats` takes the raw records' annotations from the annotated pool."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mig_cli.cli import app
from mig_cli.records.graph_files import GRAPH_FILES, read_graph

ROOT = Path(__file__).resolve().parents[2]


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def raw_pool(folder: Path, n: int = 16) -> Path:
    """Raw records without ids: they can only be found by their content."""
    lines = (ROOT / "data" / "sample-pool.jsonl").read_bytes().splitlines(keepends=True)[:n]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "raw.jsonl"
    records = [json.loads(line) for line in lines]
    for record in records:
        record.pop("id", None)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    return path


@pytest.mark.slow
def test_a_raw_pool_subset_is_compared_with_its_saved_graph(tmp_path):
    pool = raw_pool(tmp_path / "in")
    out, graph = tmp_path / "s.jsonl", tmp_path / "graph"
    result = run("sample", pool, "-k", "6", "-o", out, "--save-graph", graph)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in graph.iterdir()) == sorted(GRAPH_FILES)
    manifest = json.loads((tmp_path / "s.manifest.json").read_text())
    annotated = pool.with_name("raw.mig-annotated.jsonl")
    notes = manifest["annotations"]
    assert notes["annotated_pool"] == str(annotated.resolve())
    assert notes["tagger"].startswith("taxonomy (") and notes["scorer"].startswith("quality")
    assert notes["annotation_settings"]["tag"]["rules"] >= 1
    assert manifest["graph"]["folder"] == str(graph.resolve())
    saved = read_graph(str(graph))
    assert saved.num_nodes == manifest["graph"]["nodes"]
    assert saved.num_edges == manifest["graph"]["edges"]
    # the raw subset takes its annotations from the annotated pool: same I(D) as at sampling
    stats = run("stats", annotated, out, "--graph", graph, "--json")
    assert stats.exit_code == 0, stats.output
    said = " ".join(stats.stderr.split())
    assert "take their annotations from" in said and "matched by content 6" in said
    assert "its manifest says" not in said
    payload = json.loads(stats.stdout)
    subset = payload["inputs"][1]
    assert subset["records"] == 6 and subset["labelled_records"] == 6
    assert subset["information"] == pytest.approx(manifest["information"], rel=1e-9)
    # and the report finds no disagreement with the manifest
    page = run("report", annotated, out, "--graph", graph, "-o", tmp_path / "r.html")
    assert page.exit_code == 0, page.output
    assert "its manifest says" not in page.stderr
    # without --graph the page disagrees, and says which folder holds the sampling graph
    bare = run("report", annotated, out, "-o", tmp_path / "bare.html")
    assert bare.exit_code == 0, bare.output
    assert f"graph kept in {graph.resolve()}" in " ".join(bare.stderr.split())
    raw_first = run("stats", pool, out)  # the raw pool itself: pointed to its annotated copy
    assert raw_first.exit_code == 1 and str(annotated) in " ".join(raw_first.stderr.split())
    unlike = run("stats", annotated, out)  # no graph: stats says it differs, and where to look
    assert unlike.exit_code == 0 and "its manifest says" in unlike.stderr
    assert f"graph kept in {graph.resolve()}" in " ".join(unlike.stderr.split())
    # the raw subset continues a selection, as a file or through its manifest
    for n, given in enumerate((out, tmp_path / "s.manifest.json")):
        more = tmp_path / f"more{n}.jsonl"
        cont = run("sample", pool, "-k", "10", "-o", more, "--given", given, "--graph", graph)
        assert cont.exit_code == 0, cont.output
        cont_manifest = json.loads((tmp_path / f"more{n}.manifest.json").read_text())
        assert cont_manifest["counts"]["given"] == 6
        assert f"(from {manifest['information']:,.2f})" in " ".join(cont.stderr.split())
        assert not set(more.read_text().splitlines()) & set(out.read_text().splitlines())
    # the subset may not overwrite the annotated copy the next run trusts
    lines = annotated.read_bytes()
    clash = run("sample", pool, "-k", "3", "-o", annotated)
    assert clash.exit_code == 2 and "annotated copy" in clash.stderr
    assert annotated.read_bytes() == lines
    # a copy damaged by other means is refused with what to do, not trusted
    annotated.write_bytes(pool.read_bytes())
    damaged = run("sample", pool, "-k", "3", "-o", tmp_path / "d.jsonl")
    assert damaged.exit_code == 1 and "damaged: delete it" in " ".join(damaged.stderr.split())
    assert not (tmp_path / "d.jsonl").exists()


def test_save_graph_is_refused_where_no_graph_is_built(tiny_pool, tiny_graph, tmp_path):
    out = tmp_path / "s.jsonl"
    base = ["sample", tiny_pool, "-k", "3", "-o", out, "--save-graph", tmp_path / "g"]
    with_graph = run(*base, "--graph", tiny_graph)
    assert with_graph.exit_code == 2 and "--save-graph" in with_graph.stderr
    baseline = run(*base, "--method", "random")
    assert baseline.exit_code == 2 and "uses no label graph" in baseline.stderr
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine")
    refused = run("sample", tiny_pool, "-k", "3", "-o", out, "--save-graph", busy)
    assert refused.exit_code == 2 and "holds other files" in refused.stderr
    assert not out.exists() and not (tmp_path / "g").exists()
    assert sorted(p.name for p in busy.iterdir()) == ["notes.txt"]


def test_stats_names_a_raw_record_missing_from_the_first_input(tiny_pool, tmp_path):
    stranger = tmp_path / "stranger.jsonl"
    first = json.loads(tiny_pool.read_text().splitlines()[0])
    raw = {"messages": [{"role": "user", "content": "not in the pool"}]}
    kept = {k: v for k, v in first.items() if k not in ("labels", "score")}  # same id
    stranger.write_text(json.dumps(kept) + "\n" + json.dumps(raw) + "\n")
    result = run("stats", tiny_pool, stranger)
    assert result.exit_code == 1
    message = " ".join(result.stderr.split())
    assert "stranger.jsonl:2" in message and "not in the pool" in message
    assert "Traceback" not in result.output
    # a raw first input is still refused: there is nothing to take annotations from
    alone = run("stats", stranger, tiny_pool)
    assert alone.exit_code == 1 and "field 'labels'" in alone.stderr
