"""Subset records found in the pool by id, by raw line, by content; repeats counted."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pytest

from mig_cli.errors import DataError
from mig_cli.records.jsonl_text import parse_jsonl
from mig_cli.records.pool import Pool
from mig_cli.report.matching import first_mismatch, pool_rows_of, repeated_records


def jsonl(records, source="x.jsonl"):
    return parse_jsonl(("\n".join(json.dumps(r) for r in records) + "\n").encode(), source)


def chat(i, text=None):
    return {
        "messages": [
            {"role": "user", "content": text or f"q{i}"},
            {"role": "assistant", "content": "a"},
        ],
        "n": i,
    }


def test_by_id():
    pool = jsonl([{"id": f"r{i}", **chat(i)} for i in range(6)])
    sub = jsonl([{"id": "r4", "other": 1}, {"id": "r0"}], "s.jsonl")
    rows, how = pool_rows_of(pool, sub)
    assert how == "matched by id" and rows.tolist() == [4, 0]
    with pytest.raises(DataError, match=r"s.jsonl:2: this record is not in the pool x.jsonl"):
        pool_rows_of(pool, jsonl([{"id": "r1"}, {"id": "zz"}], "s.jsonl"))


def test_by_line_with_repeated_records_matched_in_order():
    records = [chat(0), chat(1), chat(0), chat(2)]  # rows 0 and 2 are the same record
    pool = jsonl(records)
    sub = jsonl([chat(2), chat(0), chat(0)], "s.jsonl")
    rows, how = pool_rows_of(pool, sub)
    assert how == "matched by line" and rows.tolist() == [3, 0, 2]
    with pytest.raises(DataError, match=r"s.jsonl:1: this record is not in the pool"):
        pool_rows_of(pool, jsonl([chat(9)], "s.jsonl"))


def test_by_content_between_parquet_and_jsonl():
    records = [chat(i) for i in range(5)]
    pool = Pool("p.parquet", table=pa.Table.from_pylist(records))
    rows, how = pool_rows_of(pool, jsonl([records[3], records[1]], "s.jsonl"))
    assert how == "matched by content" and rows.tolist() == [3, 1]


def test_mixed_matches_are_counted():
    records = [{"id": f"r{i}", **chat(i)} for i in range(4)]
    pool = jsonl(records)
    changed = {**records[2], "extra": True}  # same id, other content: found by its unique id
    rows, how = pool_rows_of(pool, jsonl([records[1], changed], "s.jsonl"))
    assert rows.tolist() == [1, 2] and how == "matched by line 1, id 1"


def test_repeated_records_counts_same_conversations():
    pool = jsonl([chat(0), chat(1, "q0"), chat(2, "  q0 "), chat(3), {"no": "chat"}])
    assert repeated_records(pool, np.array([0, 1, 2, 3, 4])) == 2
    assert repeated_records(pool, np.array([0, 3])) == 0


def test_first_mismatch_checks_given_rows_record_by_record():
    records = [chat(i) for i in range(6)]
    pool = jsonl(records)
    sub = jsonl([records[4], records[1]], "s.jsonl")
    assert first_mismatch(pool, sub, np.array([4, 1])) is None
    assert first_mismatch(pool, sub, np.array([4, 2])) == 1
    assert first_mismatch(pool, sub, np.array([4])) == 1  # counts differ
    assert first_mismatch(pool, sub, np.array([4, 99])) == 1  # not a row of the pool
    # the same records written back as Parquet (other bytes, extra nulls) still check out
    table = Pool("s.parquet", table=pa.Table.from_pylist([{**records[4], "x": None}, records[1]]))
    assert first_mismatch(pool, table, np.array([4, 1])) is None
