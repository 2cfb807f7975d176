"""Round trips of every writer, and the readers' edge cases."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mig_cli.annotate.engine import Skipped, run_annotation
from mig_cli.errors import DataError
from mig_cli.records.atomic_files import atomic_open
from mig_cli.records.checkpoint import Checkpoint
from mig_cli.records.embedding_cache import EmbeddingCache
from mig_cli.records.formats import read_pool
from mig_cli.records.graph_files import read_graph, write_graph
from mig_cli.records.label_graph import LabelGraph
from mig_cli.records.rows import count_rows, iter_rows
from mig_cli.records.writers import AnnotatedWriter, read_table, write_pool_rows, write_table


def test_graph_round_trip(tmp_path):
    graph = LabelGraph(
        ["a", "b", "c"],
        np.array([5, 3, 1]),
        np.array([0, 1, 1, 2]),
        np.array([1, 0, 2, 1]),
        np.array([0.91, 0.91, 0.95, 0.95], dtype=np.float32),
        {"model": "m", "edge_threshold": 0.9},
    )
    write_graph(graph, str(tmp_path / "g"))
    back = read_graph(str(tmp_path / "g"))
    assert back.labels == graph.labels
    assert back.counts.tolist() == [5, 3, 1]
    assert back.sources.tolist() == [0, 1, 1, 2] and back.targets.tolist() == [1, 0, 2, 1]
    np.testing.assert_array_equal(back.weights, graph.weights)
    assert back.meta["model"] == "m" and back.meta["nodes"] == 3 and back.meta["edges"] == 2
    nodes = pq.read_table(tmp_path / "g" / "nodes.parquet")
    assert nodes.schema.field("count").type == pa.int64()
    edges = pq.read_table(tmp_path / "g" / "edges.parquet")
    assert edges.schema.field("weight").type == pa.float32()


def test_hand_written_graph_without_weights_or_meta(tmp_path):
    folder = tmp_path / "g"
    folder.mkdir()
    pq.write_table(pa.table({"label": ["x", "y"]}), folder / "nodes.parquet")
    pq.write_table(pa.table({"source": ["x"], "target": ["y"]}), folder / "edges.parquet")
    g = read_graph(str(folder))
    assert g.weights.tolist() == [1.0] and g.meta == {}


def test_pool_rows_round_trip_all_formats(tmp_path):
    src = tmp_path / "p.jsonl"
    lines = [b'{"id": "a", "x": 1}\n', b'{"id":"b","x":2}\r\n', b'{"id": "c",  "x": 3}']
    src.write_bytes(b"".join(lines))
    pool = read_pool(str(src))
    assert len(pool) == 3
    write_pool_rows(pool, [2, 0], str(tmp_path / "o.jsonl"))
    assert (tmp_path / "o.jsonl").read_bytes() == lines[2] + b"\n" + lines[0]
    write_pool_rows(pool, [1], str(tmp_path / "o.jsonl.gz"))
    assert gzip.decompress((tmp_path / "o.jsonl.gz").read_bytes()) == lines[1]
    write_pool_rows(pool, [0, 1, 2], str(tmp_path / "o.parquet"))
    assert [r["id"] for r in read_pool(str(tmp_path / "o.parquet")).rows()] == ["a", "b", "c"]


def test_records_and_tables_round_trip(tmp_path):
    records = [{"id": "a", "labels": ["x"], "score": 1.5}, {"id": "b", "labels": [], "score": 0.0}]
    for name in ("r.jsonl", "r.jsonl.gz", "r.parquet"):
        writer = AnnotatedWriter(str(tmp_path / name))
        writer.write(records)
        writer.close()
        assert list(read_pool(str(tmp_path / name)).rows()) == records
    table = {"row": [3, 1], "id": ["a", None], "rank": [1, 2], "gain": [2.5, 1.0]}
    for name in ("t.csv", "t.tsv", "t.parquet", "t.jsonl"):
        write_table(table, str(tmp_path / name))
        back = read_table(str(tmp_path / name)).to_pydict()
        assert back["row"] == [3, 1] and back["gain"] == [2.5, 1.0] and back["id"][0] == "a"


def test_atomic_writer_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "out.txt"
    with pytest.raises(RuntimeError):
        with atomic_open(target, "w") as fh:
            fh.write("partial")
            raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_embedding_cache_round_trip(tmp_path):
    cache = EmbeddingCache(tmp_path)
    vecs = np.random.default_rng(0).random((3, 4)).astype(np.float32)
    cache.store("model-x", ["a", "b", "c"], vecs)
    found = cache.load("model-x", ["c", "a", "zz"])
    assert set(found) == {"a", "c"}
    np.testing.assert_array_equal(found["c"], vecs[2])
    assert cache.load("model-y", ["a"]) == {}


def test_streaming_rows_and_counts(tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_bytes(b'{"a": 1}\n\n[1]\n{"a": \n{"a": 2}\n')
    rows = list(iter_rows(str(path)))
    assert count_rows(str(path)) == 4
    assert [(r.line, r.record, r.error is not None) for r in rows] == [
        (1, {"a": 1}, False),
        (3, None, True),
        (4, None, True),
        (5, {"a": 2}, False),
    ]


def test_annotated_writer_parquet_and_abort(tmp_path):
    writer = AnnotatedWriter(str(tmp_path / "o.parquet"))
    writer.write([{"a": 1, "labels": ["x"]}])
    writer.write([{"a": 2, "labels": []}])
    writer.close()
    assert read_pool(str(tmp_path / "o.parquet")).rows() == [
        {"a": 1, "labels": ["x"]},
        {"a": 2, "labels": []},
    ]
    writer = AnnotatedWriter(str(tmp_path / "p.jsonl"))
    writer.write([{"a": 1}])
    writer.close(ok=False)
    assert not (tmp_path / "p.jsonl").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["o.parquet"]


def test_checkpoint_cuts_a_torn_line_and_checks_its_header(tmp_path):
    out = str(tmp_path / "o.jsonl")
    cp = Checkpoint(out, {"run": 1})
    cp.open()
    cp.add(0, [["x"]], [])
    with open(cp.path, "ab") as fh:
        fh.write(b'{"batch": 1, "values": [[')  # torn by a kill -9
    again = Checkpoint(out, {"run": 1})
    assert list(again.open()) == [0]
    again.add(1, [["y"]], [])
    assert list(Checkpoint(out, {"run": 1}).open()) == [0, 1]
    other = Checkpoint(out, {"run": 2})
    assert other.open() == {} and other.discarded
    assert list(Checkpoint(out, {"run": 2}).open()) == []


class Upper:
    field = "up"
    skip_value = ""

    def __init__(self):
        self.seen = 0

    def config(self):
        return {"upper": 1}

    def annotate(self, records):
        self.seen += len(records)
        return [Skipped("no t") if "t" not in r else r["t"].upper() for r in records]


def test_run_annotation_parquet_in_and_out(tmp_path):
    pq.write_table(pa.table({"t": ["ab", "cd", "ef"]}), tmp_path / "p.parquet")
    ann = Upper()
    report = run_annotation(
        str(tmp_path / "p.parquet"), str(tmp_path / "o.parquet"), ann, batch_size=2
    )
    assert report.annotated == 3 and ann.seen == 3
    assert [r["up"] for r in read_pool(str(tmp_path / "o.parquet")).rows()] == ["AB", "CD", "EF"]


def test_run_annotation_strict(tmp_path):
    (tmp_path / "p.jsonl").write_text(json.dumps({"t": "a"}) + "\n" + json.dumps({"u": 1}) + "\n")
    with pytest.raises(DataError, match=r"p.jsonl:2: no t"):
        run_annotation(str(tmp_path / "p.jsonl"), str(tmp_path / "o.jsonl"), Upper(), strict=True)
    assert not (tmp_path / "o.jsonl").exists()


def test_header_changes_name_what_differs():
    from mig_cli.records.checkpoint import header_changes

    old = {"input": "a", "annotator": {"model": "m", "crosslingual": "use"}, "batch_size": 8}
    new = {"input": "a", "annotator": {"model": "m"}, "batch_size": 16}
    assert header_changes(old, new) == ["annotator.crosslingual", "batch_size"]
    assert header_changes(old, old) == []
    assert header_changes(None, new) == ["header"]
