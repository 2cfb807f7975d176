"""The one reader path: BOM, CR endings, JSON arrays, gzip by content, exact values."""

from __future__ import annotations

import gzip
import json
import math
import os
import stat

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mig_cli.errors import DataError, UsageError
from mig_cli.records.atomic_files import atomic_folder, atomic_path
from mig_cli.records.formats import read_pool
from mig_cli.records.jsonvalues import dump_record, load_record
from mig_cli.records.rows import count_rows, iter_rows
from mig_cli.records.writers import AnnotatedWriter, output_format, write_pool_rows

RECORDS = [{"instruction": "a", "output": "b"}, {"instruction": "c", "output": "d"}]


def both_ways(path):
    """The records as read whole and as streamed (they must agree)."""
    whole = list(read_pool(str(path)).rows())
    streamed = [r.record for r in iter_rows(str(path))]
    assert whole == streamed
    assert count_rows(str(path)) == len(whole)
    return whole


@pytest.mark.parametrize(
    "data",
    [
        b"\xef\xbb\xbf" + b"".join(json.dumps(r).encode() + b"\n" for r in RECORDS),  # BOM
        b"".join(json.dumps(r).encode() + b"\r" for r in RECORDS),  # CR only
        b"".join(json.dumps(r).encode() + b"\r\n" for r in RECORDS),  # CRLF
        json.dumps(RECORDS, indent=2).encode(),  # a pretty JSON array
        json.dumps(RECORDS).encode(),  # a one-line JSON array
        b"\xef\xbb\xbf" + json.dumps(RECORDS, indent=2).replace("\n", "\r\n").encode(),
    ],
    ids=["bom", "cr-only", "crlf", "array-pretty", "array-one-line", "array-bom-crlf"],
)
@pytest.mark.parametrize("name", ["pool.jsonl", "pool.json", "pool.json.gz", "pool"])
def test_every_layout_gives_every_record(tmp_path, data, name):
    path = tmp_path / name
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    assert both_ways(path) == RECORDS


def test_gzip_is_recognised_by_content_and_broken_gzip_is_one_error(tmp_path):
    data = b"".join(json.dumps(r).encode() + b"\n" for r in RECORDS)
    (tmp_path / "plain.jsonl").write_bytes(gzip.compress(data))  # gzip without the .gz name
    assert both_ways(tmp_path / "plain.jsonl") == RECORDS
    (tmp_path / "cut.jsonl.gz").write_bytes(gzip.compress(data * 50)[:-30])
    for read in (read_pool, lambda p: list(iter_rows(p))):
        with pytest.raises(DataError, match="truncated gzip"):
            read(str(tmp_path / "cut.jsonl.gz"))


def test_array_of_non_objects_and_broken_array(tmp_path):
    (tmp_path / "a.json").write_text('[{"a": 1}, 3]')
    with pytest.raises(DataError, match="a.json:2: expected a JSON object"):
        read_pool(str(tmp_path / "a.json"))
    (tmp_path / "b.json").write_text('[\n {"a": 1},\n {"a": \n')
    with pytest.raises(DataError, match="not a valid JSON array"):
        read_pool(str(tmp_path / "b.json"))


def test_jsonl_whose_first_line_is_an_array_is_still_jsonl(tmp_path):
    (tmp_path / "p.jsonl").write_text('[1, 2]\n{"a": 1}\n')
    with pytest.raises(DataError, match="p.jsonl:1: expected a JSON object, got an array"):
        read_pool(str(tmp_path / "p.jsonl"))


@pytest.mark.parametrize(
    "text,why",
    [
        ('{"a": "\\ud83d"}', "lone surrogate"),
        ("[" * 5000 + "]" * 5000, "nested deeper"),
        ('{"a": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested deeper"),
        ('{"a": 1e400}', "infinity"),
        ('{"a": ' + "9" * 5000 + "}", "digits"),
        ('{"a": "\xff"}', "UTF-8"),
    ],
)
def test_values_json_cannot_hold_are_refused(text, why):
    data = text.encode("latin-1") if "\xff" in text else text.encode()
    with pytest.raises(ValueError, match=why):
        load_record(data)


def test_integers_of_any_size_and_nan_pass_through_exactly():
    line = b'{"big": 18446744073709551616, "neg": -9223372036854775809, "x": 10' + b"0" * 399
    line += b', "f": 0.1, "n": NaN, "i": -Infinity, "t": "\\ud83d\\ude00"}'
    record = load_record(line)
    assert record["big"] == 2**64 and record["neg"] == -(2**63) - 1 and record["x"] == 10**400
    assert math.isnan(record["n"]) and record["i"] == -math.inf
    back = load_record(dump_record(record))
    assert back["big"] == 2**64 and back["x"] == 10**400 and back["t"] == "\U0001f600"
    assert math.isnan(back["n"]) and back["i"] == -math.inf and back["f"] == 0.1


def test_annotated_jsonl_keeps_big_integers(tmp_path):
    src = tmp_path / "p.jsonl"
    src.write_bytes(b'{"id": 18446744073709551616, "prompt": "p", "response": "r"}\n')
    out = tmp_path / "o.jsonl"
    writer = AnnotatedWriter(str(out))
    writer.write([dict(r.record, score=1.0) for r in iter_rows(str(src))])
    writer.close()
    assert b'"id":18446744073709551616' in out.read_bytes()


def test_parquet_nan_and_binary_to_jsonl(tmp_path):
    pq.write_table(pa.table({"x": [1.5, float("nan")], "b": [b"ok", b"fine"]}), tmp_path / "p.pq")
    os.rename(tmp_path / "p.pq", tmp_path / "p.parquet")
    pool = read_pool(str(tmp_path / "p.parquet"))
    write_pool_rows(pool, [1, 0], str(tmp_path / "o.jsonl"))
    assert (tmp_path / "o.jsonl").read_bytes() == b'{"x":NaN,"b":"fine"}\n{"x":1.5,"b":"ok"}\n'
    pq.write_table(pa.table({"b": [b"ok", b"\xff\xfe"]}), tmp_path / "bin.parquet")
    pool = read_pool(str(tmp_path / "bin.parquet"))
    with pytest.raises(DataError, match=r"bin.parquet:2: field 'b' cannot be written as JSON"):
        write_pool_rows(pool, [0, 1], str(tmp_path / "o2.jsonl"))
    assert not (tmp_path / "o2.jsonl").exists()


def test_parquet_output_refuses_a_type_change_between_batches(tmp_path):
    writer = AnnotatedWriter(str(tmp_path / "o.parquet"))
    writer.write([{"a": True, "labels": []}])
    with pytest.raises(DataError, match="field 'a' holds bool in earlier records and int64"):
        writer.write([{"a": 7, "labels": ["x"]}])
    writer.close(ok=False)
    assert not (tmp_path / "o.parquet").exists()
    writer = AnnotatedWriter(str(tmp_path / "n.parquet"))  # nulls and empty lists are fine
    writer.write([{"a": 1, "l": ["x"], "m": None}])
    writer.write([{"a": None, "l": [], "m": None}])
    writer.close()
    assert read_pool(str(tmp_path / "n.parquet")).rows() == [
        {"a": 1, "l": ["x"], "m": None},
        {"a": None, "l": [], "m": None},
    ]
    writer = AnnotatedWriter(str(tmp_path / "big.parquet"))
    with pytest.raises(DataError, match="field 'id' cannot be stored as Parquet"):
        writer.write([{"id": 2**64}])
    writer.close(ok=False)


def test_output_formats_by_extension():
    assert [output_format(x) for x in ("a.jsonl", "a.NDJSON", "a.jsonl.gz", "a.json", "-")] == [
        "jsonl",
        "jsonl",
        "jsonl.gz",
        "json",
        "jsonl",
    ]
    for bad in ("a.csv", "a.txt", "subset"):
        with pytest.raises(UsageError, match="cannot write records to this file type"):
            output_format(bad)


def test_json_output_is_one_array(tmp_path):
    writer = AnnotatedWriter(str(tmp_path / "o.json"))
    writer.write(RECORDS)
    writer.close()
    assert json.loads((tmp_path / "o.json").read_text()) == RECORDS
    assert both_ways(tmp_path / "o.json") == RECORDS


def test_gzip_output_is_byte_reproducible_and_modes_follow_the_umask(tmp_path):
    pool = read_pool_of(tmp_path)
    old = os.umask(0o027)
    try:
        write_pool_rows(pool, [0, 1], str(tmp_path / "a.jsonl.gz"))
        write_pool_rows(pool, [0, 1], str(tmp_path / "b.jsonl.gz"))
    finally:
        os.umask(old)
    assert (tmp_path / "a.jsonl.gz").read_bytes() == (tmp_path / "b.jsonl.gz").read_bytes()
    assert stat.S_IMODE((tmp_path / "a.jsonl.gz").stat().st_mode) == 0o640


def read_pool_of(tmp_path):
    src = tmp_path / "src.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in RECORDS))
    return read_pool(str(src))


def test_stale_temp_files_of_dead_runs_are_removed(tmp_path):
    target = tmp_path / "out.jsonl"
    dead = tmp_path / ".out.jsonl.999999999.abcd.tmp"  # no such process
    alive = tmp_path / f".out.jsonl.{os.getpid()}.efgh.tmp"  # this process: kept
    dead.write_text("partial")
    alive.write_text("partial")
    with atomic_path(target) as tmp:
        tmp.write_text("whole")
    assert not dead.exists() and alive.exists() and target.read_text() == "whole"


def test_atomic_folder_swaps_whole_and_refuses_foreign_folders(tmp_path):
    target = tmp_path / "graph"
    with atomic_folder(target, allowed=("a", "b")) as tmp:
        (tmp / "a").write_text("1")
        (tmp / "b").write_text("1")
    with pytest.raises(RuntimeError):
        with atomic_folder(target, allowed=("a", "b")) as tmp:
            (tmp / "a").write_text("2")
            raise RuntimeError("killed half way")
    assert sorted(p.name for p in target.iterdir()) == ["a", "b"]
    assert (target / "a").read_text() == "1"
    assert [p.name for p in tmp_path.iterdir()] == ["graph"]
    (target / "mine.txt").write_text("user data")
    with pytest.raises(UsageError, match="holds other files"):
        with atomic_folder(target, allowed=("a", "b")):
            pass
    assert (target / "mine.txt").exists()
