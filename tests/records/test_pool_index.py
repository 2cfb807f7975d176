"""The pool index keeps labels, scores, ids and line places, and copies chosen rows back exactly."""

from __future__ import annotations

import gzip
import io
import json
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mig_cli.errors import DataError
from mig_cli.records.annotations import read_annotations
from mig_cli.records.formats import read_pool
from mig_cli.records.matching import RecordsKeys, match_rows
from mig_cli.records.pool_index import Wanted, index_pool


def records(n=12):
    out = []
    for i in range(n):
        rec = {"id": f"r{i}", "labels": [f"l{i % 4}", f"l{(i + 1) % 3}"], "score": 1.0 + i % 5}
        rec["messages"] = [{"role": "user", "content": "x" * (i * 37 % 200)}]
        out.append(rec)
    return out


def styled_lines(recs) -> list[bytes]:
    """Lines in varied spacing, so byte-for-byte copying is really checked."""
    return [
        json.dumps(r, separators=(",", ":") if i % 2 else (", ", ": ")).encode()
        for i, r in enumerate(recs)
    ]


def same_annotations(a, b):
    assert np.array_equal(a.labels.offsets, b.labels.offsets)
    assert a.labels.values.to_pylist() == b.labels.values.to_pylist()
    assert np.array_equal(a.scores, b.scores)


@pytest.mark.parametrize("ending", [b"\n", b"\r\n", b"\r"])
def test_jsonl_index_matches_the_whole_pool_reader(tmp_path, ending):
    recs = records()
    lines = styled_lines(recs)
    data = b"\xef\xbb\xbf" + ending.join(lines[:5]) + ending + ending + b"  " + ending
    data += ending.join(lines[5:])  # blank lines inside, no line end at the very end
    path, plain = tmp_path / "pool.jsonl", tmp_path / "plain.jsonl"
    path.write_bytes(data)
    plain.write_bytes(data[3:])  # the whole-pool reader, without the byte order mark
    with index_pool(str(path)) as index:
        assert len(index) == 12
        same_annotations(index.annotations(), read_annotations(read_pool(str(plain))))
        assert index.ids() == [f"r{i}" for i in range(12)]
        assert index.line_of(5) == 8  # two blank lines counted
        rows = [11, 0, 5, 3]
        sub = index.subset_pool(rows, parse=True)
        # like formats.as_line: LF and CRLF kept, a lone CR (or no ending) becomes LF
        kept = {b"\n": b"\n", b"\r\n": b"\r\n", b"\r": b"\n"}[ending]
        assert sub.lines == [lines[11] + b"\n"] + [lines[r] + kept for r in rows[1:]]
        assert sub.lines == [read_pool(str(path)).lines[r] for r in rows]
        assert [r["id"] for r in sub.records] == [f"r{r}" for r in rows]


def test_lines_are_copied_byte_for_byte_in_selection_order(tmp_path):
    lines = styled_lines(records())
    path = tmp_path / "pool.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    with index_pool(str(path)) as index:
        assert index.subset_pool([7, 2, 9]).lines == [lines[r] + b"\n" for r in (7, 2, 9)]


def test_gzip_is_streamed_twice(tmp_path):
    lines = styled_lines(records())
    path = tmp_path / "pool.jsonl.gz"
    with gzip.open(path, "wb") as fh:
        fh.write(b"\n".join(lines) + b"\n")
    with index_pool(str(path)) as index:
        assert index.kind == "jsonl.gz"
        assert index.subset_pool([4, 1]).lines == [lines[4] + b"\n", lines[1] + b"\n"]


def test_block_boundaries_do_not_change_anything(tmp_path, monkeypatch):
    import mig_cli.records.jsonl_index as ji

    recs = records(40)
    lines = styled_lines(recs)
    path = tmp_path / "pool.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    monkeypatch.setattr(ji, "READ_BYTES", 97)  # lines split across reads, many blocks
    with index_pool(str(path)) as index:
        same_annotations(index.annotations(), read_annotations(read_pool(str(path))))
        assert index.subset_pool([39, 0, 17]).lines == [lines[r] + b"\n" for r in (39, 0, 17)]
        # a bad record in a later block is still named by its line
    bad = lines[:30] + [b'{"id": "x", "labels": "oops", "score": 1}'] + lines[30:]
    path.write_bytes(b"\n".join(bad) + b"\n")
    with pytest.raises(DataError, match=r"pool.jsonl:31: field 'labels': expected a list"):
        index_pool(str(path))


def test_parquet_reads_only_the_needed_columns(tmp_path):
    recs = records()
    path = tmp_path / "pool.parquet"
    pq.write_table(pa.Table.from_pylist(recs), path, row_group_size=5)
    with index_pool(str(path)) as index:
        assert index.kind == "parquet"
        assert "messages" not in index._table.column_names
        assert pa.types.is_dictionary(index.labels.values.type)
        same_annotations(index.annotations(), read_annotations(read_pool(str(path))))
        sub = index.subset_pool([9, 0, 6])
        assert sub.table.to_pylist() == [recs[9], recs[0], recs[6]]


def test_methods_read_only_what_they_select_by(tmp_path):
    path = tmp_path / "pool.jsonl"
    path.write_text('{"id": "a", "q": 1}\n{"id": "b", "score": 2}\n')
    with index_pool(str(path), Wanted.for_method("random", None, None, None)) as index:
        assert index.absent == [] and len(index) == 2
    with pytest.raises(DataError, match=":1: field 'score': missing"):
        index_pool(str(path), Wanted.for_method("top-score", None, None, None))
    path.write_text('{"id": "a", "score": 1}\n{"id": "b", "score": 2}\n')
    with index_pool(str(path), Wanted.for_method("top-score", None, None, None)) as index:
        assert index.absent == [] and index.scores.tolist() == [1.0, 2.0]
    with index_pool(str(path), Wanted.for_method("mig", None, None, None)) as index:
        assert index.absent == ["labels"]


def test_a_field_no_record_has_is_absent_not_an_error(tmp_path):
    path = tmp_path / "raw.jsonl"
    path.write_text("".join(json.dumps({"q": i}) + "\n" for i in range(5)))
    with index_pool(str(path)) as index:
        assert index.absent == ["labels", "score"]
    path.write_text('{"q": 1}\n{"q": 2, "labels": ["a"], "score": 1}\n')
    with pytest.raises(DataError, match=":1: field 'labels': missing"):
        index_pool(str(path))


def test_stdin_is_spooled_once_and_removed_at_exit(monkeypatch, tmp_path):
    lines = styled_lines(records())
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"\n".join(lines) + b"\n")))
    index = index_pool("-")
    spool = index.path
    assert index.source == "<stdin>" and index.spooled
    assert index.subset_pool([3]).lines == [lines[3] + b"\n"]
    index.close()
    from pathlib import Path

    from mig_cli.records import input_files

    assert Path(spool) in input_files._SPOOLS  # removed at exit by the one reader path


def test_index_is_a_key_source_for_matching(tmp_path):
    recs = records()
    lines = styled_lines(recs)
    path = tmp_path / "pool.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    given = [recs[3], recs[8]]
    with index_pool(str(path)) as index:
        m = match_rows(index, RecordsKeys(given, None))  # content, no lines
        assert m.rows.tolist() == [3, 8] and m.by_content == 2
        m = match_rows(index, RecordsKeys(given, [lines[3], lines[8]]))
        assert m.rows.tolist() == [3, 8] and m.by_bytes == 2
    pq.write_table(pa.Table.from_pylist(recs), tmp_path / "pool.parquet")
    with index_pool(str(tmp_path / "pool.parquet")) as index:
        assert match_rows(index, RecordsKeys(given, None)).rows.tolist() == [3, 8]


def test_parquet_with_only_the_needed_columns_keeps_the_file_types(tmp_path):
    recs = [{k: r[k] for k in ("id", "labels", "score")} for r in records()]
    path = tmp_path / "pool.parquet"
    pq.write_table(pa.Table.from_pylist(recs), path)
    with index_pool(str(path)) as index:
        sub = index.subset_pool([5, 1])
        assert sub.table.schema == pq.read_schema(path)
        assert sub.table.to_pylist() == [recs[5], recs[1]]
