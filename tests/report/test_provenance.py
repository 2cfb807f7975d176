"""Input hashes for the report header."""

from __future__ import annotations

import hashlib

from mig_cli.report.provenance import describe_file, subset_notes


def test_file_and_folder_hashes(tmp_path):
    f = tmp_path / "a.jsonl"
    f.write_bytes(b"x" * (3 << 20) + b"tail")
    d = describe_file(str(f))
    assert (
        d["sha256"] == hashlib.sha256(f.read_bytes()).hexdigest() and d["bytes"] == f.stat().st_size
    )
    folder = tmp_path / "g"
    folder.mkdir()
    (folder / "nodes.parquet").write_bytes(b"n")
    (folder / "edges.parquet").write_bytes(b"e")
    first = describe_file(str(folder))["sha256"]
    (folder / "edges.parquet").write_bytes(b"E")
    assert (
        describe_file(str(folder))["sha256"] != first and describe_file(str(folder))["bytes"] == 2
    )
    assert describe_file("-")["sha256"] is None
    assert subset_notes(str(f)) == {}  # no manifest beside it
