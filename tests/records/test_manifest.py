"""Manifest files: round trip, atomic writes, hashing and the checks on reading."""

from __future__ import annotations

import hashlib
import json
import os

import numpy as np
import pytest

from mig_cli.errors import DataError
from mig_cli.records import manifest as mf
from mig_cli.records.label_graph import LabelGraph


def test_round_trip_keeps_every_field(tmp_path):
    body = {
        "inputs": {"pool": {"path": "/x/pool.jsonl", "sha256": "ab" * 32, "bytes": 10}},
        "options": {"k": "5,10", "phi_a": 1e-6, "norm": False, "max_share": ["*=0.25"]},
        "subset": {"k": 5, "rows": np.arange(5), "ids": ["a", "b", "c", "d", "e"]},
        "information": np.float64(12.5),
        "gains": [1.0, float("nan")],
    }
    path = tmp_path / "s.manifest.json"
    mf.write_manifest(str(path), body)
    back = mf.read_manifest(str(path))
    assert back["format"] == "mig-manifest" and back["version"] == mf.MANIFEST_VERSION
    assert back["subset"] == {"k": 5, "rows": [0, 1, 2, 3, 4], "ids": list("abcde")}
    assert back["options"] == body["options"] and back["information"] == 12.5
    assert back["gains"] == [1.0, None]  # JSON has no NaN
    assert mf.is_manifest(str(path))
    mf.write_manifest(str(path), {**body, "information": 13.0})  # overwrite in place
    assert mf.read_manifest(str(path))["information"] == 13.0


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "s.manifest.json"
    mf.write_manifest(str(path), {"options": {}, "subset": {"rows": [1]}, "inputs": {}})
    before = path.read_bytes()

    def fail(*args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(DataError, match=f"^cannot write {path}: disk full$"):  # never the temp
        mf.write_manifest(str(path), {"options": {}, "subset": {"rows": [2]}, "inputs": {}})
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["s.manifest.json"]


def test_sha256_is_streamed_and_folders_list_files(tmp_path):
    data = os.urandom(3 * (1 << 20) + 17)  # more than one chunk
    (tmp_path / "big.bin").write_bytes(data)
    assert mf.sha256_file(tmp_path / "big.bin") == hashlib.sha256(data).hexdigest()
    (tmp_path / "g").mkdir()
    (tmp_path / "g" / "a.parquet").write_bytes(b"a")
    (tmp_path / "g" / ".hidden").write_bytes(b"x")
    info = mf.describe_input(str(tmp_path / "g"))
    assert info["files"] == {"a.parquet": hashlib.sha256(b"a").hexdigest()}
    assert mf.describe_input("-") == {"path": "<stdin>", "sha256": None}


def test_paths_and_fingerprints():
    assert mf.manifest_path("out/subset.jsonl.gz") == "out/subset.manifest.json"
    assert mf.manifest_path("subset.k500.parquet") == "subset.k500.manifest.json"
    g = LabelGraph(
        ["a", "b"],
        np.ones(2, np.int64),
        np.array([0, 1]),
        np.array([1, 0]),
        np.array([0.9, 0.9], np.float32),
    )
    same = LabelGraph(
        ["a", "b"],
        np.zeros(2, np.int64),
        np.array([0, 1]),
        np.array([1, 0]),
        np.array([0.9, 0.9], np.float32),
    )
    other = LabelGraph(
        ["a", "b"],
        np.ones(2, np.int64),
        np.array([0, 1]),
        np.array([1, 0]),
        np.array([0.95, 0.95], np.float32),
    )
    assert mf.graph_fingerprint(g) == mf.graph_fingerprint(same) != mf.graph_fingerprint(other)


def test_reading_checks_format_version_and_keys(tmp_path):
    bad = tmp_path / "x.json"
    with pytest.raises(DataError, match="no such file"):
        mf.read_manifest(str(bad))
    bad.write_text("{not json")
    with pytest.raises(DataError, match="not a readable JSON manifest"):
        mf.read_manifest(str(bad))
    bad.write_text(json.dumps({"format": "other"}))
    with pytest.raises(DataError, match="not a mig manifest"):
        mf.read_manifest(str(bad))
    bad.write_text(json.dumps({"format": "mig-manifest", "version": 99}))
    with pytest.raises(DataError, match="version 99"):
        mf.read_manifest(str(bad))
    bad.write_text(json.dumps({"format": "mig-manifest", "version": 1, "options": {}}))
    with pytest.raises(DataError, match="no 'subset'"):
        mf.read_manifest(str(bad))


def test_first_difference():
    assert mf.first_difference(["a", "b"], ["a", "b"]) is None
    assert mf.first_difference(["a", "b"], ["a", "c"]).startswith("position 2: manifest has 'b'")
    assert "lists 2 records, the re-run chose 3" in mf.first_difference([1, 2], [1, 2, 3])
