"""Matching the records of one pool in another: bytes, content, ids only where unique."""

from __future__ import annotations

import json

import pyarrow as pa

from mig_cli.records.matching import RecordsKeys, Restreamed, match_rows, record_digest


def keys(records, *, as_lines=True, styles=None):
    lines = None
    if as_lines:
        styles = styles or [None] * len(records)
        lines = [
            (json.dumps(r, separators=s) if s else json.dumps(r)).encode() + b"\n"
            for r, s in zip(records, styles)
        ]
    return RecordsKeys(records, lines)


def test_byte_identical_lines_match_and_carry_no_id():
    pool = [{"q": "a"}, {"q": "b"}, {"q": "c"}]
    m = match_rows(keys(pool), keys([pool[2], pool[0]]))
    assert m.rows.tolist() == [2, 0]
    assert m.by_bytes == 2 and m.unmatched == 0
    assert m.pool_mask().tolist() == [True, False, True]


def test_same_content_written_differently_matches_by_content():
    pool = [{"id": "1", "q": "a", "n": 1}, {"id": "2", "q": "b", "n": 2}]
    # keys reordered, other spacing: not the same bytes, the same record
    given = [{"n": 2, "q": "b", "id": "2"}]
    m = match_rows(keys(pool), keys(given, styles=[(",", ":")]))
    assert m.rows.tolist() == [1] and m.by_content == 1 and m.by_bytes == 0


def test_ids_repeated_across_sources_do_not_decide():
    # two sources both number their records from 1: id "1" names two different records
    pool = [
        {"id": "1", "src": "alpaca", "q": "sort a list"},
        {"id": "2", "src": "alpaca", "q": "reverse a string"},
        {"id": "1", "src": "dolly", "q": "name three colours"},
        {"id": "2", "src": "dolly", "q": "what is rain"},
    ]
    given = [pool[2]]  # only dolly's "1" was chosen
    m = match_rows(keys(pool), keys(given))
    assert m.pool_mask().tolist() == [False, False, True, False]


def test_ids_on_only_some_records_do_not_hide_the_others():
    pool = [{"q": "a"}, {"id": "x", "q": "b"}, {"q": "c"}, {"q": "d"}]
    given = [pool[0], pool[1], pool[3]]
    m = match_rows(keys(pool), keys(given))
    assert m.pool_mask().tolist() == [True, True, False, True]


def test_unique_ids_match_a_record_whose_content_changed():
    pool = [{"id": "a", "q": "x", "score": 1.0}, {"id": "b", "q": "y", "score": 2.0}]
    rescored = [{"id": "b", "q": "y", "score": 5.5}]  # same record, annotated again
    m = match_rows(keys(pool), keys(rescored))
    assert m.rows.tolist() == [1] and m.by_id == 1


def test_an_id_repeated_on_one_side_is_not_used():
    pool = [{"id": "a", "q": "x"}, {"id": "a", "q": "y"}]
    other = [{"id": "a", "q": "changed"}]
    m = match_rows(keys(pool), keys(other))
    assert m.rows.tolist() == [-1] and m.unmatched == 1
    pool = [{"id": "a", "q": "x"}, {"id": "b", "q": "y"}]
    other = [{"id": "a", "q": "changed"}, {"id": "a", "q": "changed too"}]
    assert match_rows(keys(pool), keys(other)).rows.tolist() == [-1, -1]


def test_repeated_records_match_copy_by_copy_in_row_order():
    rec = {"q": "same"}
    pool = [rec, {"q": "other"}, rec, rec]
    m = match_rows(keys(pool), keys([rec, rec]))
    assert m.rows.tolist() == [0, 2]
    assert m.pool_mask().tolist() == [True, False, True, False]


def test_parquet_round_trip_nulls_still_match():
    pool = [{"q": "a", "extra": 1}, {"q": "b"}]
    back = pa.Table.from_pylist(pool).to_pylist()  # {"q": "b", "extra": None}
    assert back[1]["extra"] is None
    m = match_rows(keys(pool), keys(back, as_lines=False))
    assert m.rows.tolist() == [0, 1] and m.by_content == 2


def test_record_digest_handles_values_orjson_cannot_write():
    big = {"n": 2**70}
    assert record_digest(big) == record_digest({"n": 2**70})
    assert record_digest(big) != record_digest({"n": 2**70 + 1})
    assert record_digest({"a": 1, "b": 2}) == record_digest({"b": 2, "a": 1})


def test_ignored_fields_let_a_raw_record_match_its_annotated_copy():
    raw = [{"messages": [{"role": "user", "content": f"q{i}"}]} for i in range(3)]
    annotated = [dict(r, labels=["x"], score=float(i)) for i, r in enumerate(raw)]
    plain = match_rows(RecordsKeys(annotated), RecordsKeys(raw[::-1]))
    assert plain.unmatched == 3  # the annotation fields make them differ
    ignore = ("labels", "score", "score_components")
    found = match_rows(RecordsKeys(annotated, ignore=ignore), RecordsKeys(raw[::-1], ignore=ignore))
    assert found.rows.tolist() == [2, 1, 0] and found.by_content == 3
    # a stream read twice (ids, then digests) gives the same answer
    streamed = RecordsKeys(Restreamed(lambda: iter(annotated)), ignore=ignore, size=3)
    assert match_rows(streamed, RecordsKeys(raw, ignore=ignore)).rows.tolist() == [0, 1, 2]
