"""Shards of a pool read on their own give exactly the rows of the whole pool."""

from __future__ import annotations

import gzip
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mig_cli.errors import DataError
from mig_cli.records.rows import count_rows, iter_rows
from mig_cli.records.shards import (
    is_parquet_folder,
    iter_parquet_folder,
    iter_shard,
    parquet_folder_files,
    plan_shards,
    read_parquet_folder,
)


def _lines(n: int) -> list[str]:
    out = []
    for i in range(n):
        if i % 7 == 3:
            out.append("")  # blank lines are not rows
        if i % 11 == 5:
            out.append("{not json")
            continue
        out.append(json.dumps({"id": i, "text": f"t{i}", "big": 2**40 + i}))
    return out


def _rows(raws):
    return [(r.row, r.line, r.record, r.error) for r in raws]


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("size", [1, 4, 10, 1000])
@pytest.mark.parametrize("ending,bom", [("\n", ""), ("\r\n", "\ufeff"), ("\r", "")])
def test_jsonl_shards_cover_the_pool_in_order(tmp_path, gz, size, ending, bom):
    text = bom + ending.join(_lines(40)) + ending
    path = tmp_path / ("p.jsonl.gz" if gz else "p.jsonl")
    path.write_bytes(gzip.compress(text.encode()) if gz else text.encode())
    shards = plan_shards(str(path), size)
    assert [s["shard"] for s in shards] == list(range(len(shards)))
    assert all(s["rows"] == size for s in shards[:-1])
    whole = _rows(iter_rows(str(path)))
    assert len(shards) == -(-len(whole) // size)
    assert [r for s in shards for r in _rows(iter_shard(s))] == whole
    # a shard read alone (as a worker does) starts at the right row and line
    last = shards[-1]
    assert _rows(iter_shard(json.loads(json.dumps(last)))) == whole[last["start_row"] :]


def test_parquet_file_and_folder_shards(tmp_path):
    folder = tmp_path / "pool"
    folder.mkdir()
    records = [{"id": i, "labels": [f"l{i % 3}"]} for i in range(50)]
    for k, (lo, hi) in enumerate([(0, 7), (7, 30), (30, 50)]):
        pq.write_table(
            pa.Table.from_pylist(records[lo:hi]), folder / f"part-{k:05d}.parquet", row_group_size=5
        )
    (folder / ".hidden.parquet").write_bytes(b"junk")
    assert is_parquet_folder(str(folder))
    assert count_rows(str(folder)) == 50
    assert [r.record for r in iter_parquet_folder(str(folder))] == records
    assert read_parquet_folder(str(folder)).to_pylist() == records
    for size in (1, 6, 13, 64):
        shards = plan_shards(str(folder), size)
        got = [(r.row, r.line, r.record) for s in shards for r in iter_shard(s)]
        assert got == [(i, i + 1, rec) for i, rec in enumerate(records)]
    single = tmp_path / "one.parquet"
    pq.write_table(pa.Table.from_pylist(records), single, row_group_size=8)
    shards = plan_shards(str(single), 9)
    assert [r.record for s in shards for r in iter_shard(s)] == records


def test_a_folder_pool_is_read_by_every_reader(tmp_path):
    from mig_cli.records.formats import read_pool

    folder = tmp_path / "pool"
    folder.mkdir()
    records = [{"id": i, "messages": [{"role": "user", "content": f"q{i}"}]} for i in range(5)]
    pq.write_table(pa.Table.from_pylist(records[:2]), folder / "part-00000.parquet")
    pq.write_table(pa.Table.from_pylist(records[2:]), folder / "part-00001.parquet")
    assert list(read_pool(str(folder)).rows()) == records
    assert [r.record for r in iter_rows(str(folder))] == records


def test_empty_folders_are_not_parquet_pools(tmp_path):
    folder = tmp_path / "pool"
    folder.mkdir()
    assert not is_parquet_folder(str(folder))
    (folder / "state.json").write_text("{}")
    pq.write_table(pa.table({"id": [1]}), folder / "part-00000.parquet")
    assert not is_parquet_folder(str(folder))  # a datasets folder
    (folder / "state.json").unlink()
    assert is_parquet_folder(str(folder))
    with pytest.raises(DataError, match="no .parquet files"):
        parquet_folder_files(str(tmp_path))


def test_sample_and_stats_read_a_folder_of_shards(tiny_pool, tiny_graph, tmp_path):
    from typer.testing import CliRunner

    from mig_cli.cli.app import app

    records = [json.loads(x) for x in tiny_pool.read_text().splitlines()]
    folder = tmp_path / "annotated"
    folder.mkdir()
    pq.write_table(pa.Table.from_pylist(records[:12]), folder / "part-00000.parquet")
    pq.write_table(pa.Table.from_pylist(records[12:]), folder / "part-00001.parquet")
    runner = CliRunner()
    picks = {}
    for name, pool in (("jsonl", tiny_pool), ("folder", folder)):
        out = tmp_path / f"{name}.jsonl"
        args = ["sample", str(pool), "-k", "6", "--graph", str(tiny_graph), "-o", str(out)]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        picks[name] = [json.loads(x)["id"] for x in out.read_text().splitlines()]
    assert picks["folder"] == picks["jsonl"] and len(picks["folder"]) == 6
    stats = runner.invoke(app, ["stats", str(folder), "--graph", str(tiny_graph)])
    assert stats.exit_code == 0, stats.output
    assert "30" in stats.output


def _mixed_folder(tmp_path, extra: str):
    folder = tmp_path / "mixdir"
    folder.mkdir()
    records = [{"id": i, "messages": [{"role": "user", "content": f"q{i}"}]} for i in range(6)]
    pq.write_table(pa.Table.from_pylist(records), folder / "a.parquet")
    (folder / extra).write_text("".join(json.dumps(r) + "\n" for r in records))
    return folder


@pytest.mark.parametrize("extra", ["b.jsonl", "notes.txt", "z.json"])
def test_a_parquet_folder_with_other_files_is_refused_by_every_reader(tmp_path, extra):
    """FINDINGS #4: the JSONL beside the Parquet file was silently dropped."""
    from mig_cli.records.formats import read_pool

    folder = _mixed_folder(tmp_path, extra)
    for read in (read_pool, count_rows, lambda p: list(iter_rows(p)), lambda p: plan_shards(p, 4)):
        with pytest.raises(DataError, match=f"{extra} is not a Parquet file"):
            read(str(folder))


def test_the_cli_refuses_a_mixed_folder_in_one_line_and_writes_nothing(tmp_path):
    from typer.testing import CliRunner

    from mig_cli.cli.app import app

    folder = _mixed_folder(tmp_path, "b.jsonl")
    (folder / "c.jsonl").write_text("{}\n")
    out = tmp_path / "x.jsonl"
    result = CliRunner().invoke(app, ["score", str(folder), "-o", str(out), "--scorer", "length"])
    assert result.exit_code == 1, result.output
    message = result.output.strip()
    assert message.count("\n") == 0 and "Traceback" not in message
    assert message.startswith("Error: ") and "b.jsonl is not a Parquet file" in message
    assert "c.jsonl" not in message  # the first stray file, in name order
    assert not out.exists()


def test_markers_hidden_files_and_manifests_are_ignored_but_subfolders_are_not(tmp_path):
    folder = _mixed_folder(tmp_path, ".b.jsonl")
    (folder / "_SUCCESS").write_text("")
    (folder / "_common_metadata").write_bytes(b"x")
    (folder / "subset.manifest.json").write_text("{}")
    assert is_parquet_folder(str(folder)) and count_rows(str(folder)) == 6
    (folder / "year=2024").mkdir()
    with pytest.raises(DataError, match="year=2024 is a subfolder"):
        count_rows(str(folder))


def test_a_folder_of_jsonl_shards_is_refused_with_what_is_supported(tmp_path):
    folder = tmp_path / "shards"
    folder.mkdir()
    for k in range(2):
        (folder / f"part-{k}.jsonl").write_text(json.dumps({"id": k}) + "\n")
    with pytest.raises(DataError, match=r"folder of JSONL files \(part-0.jsonl.*Parquet shards"):
        list(iter_rows(str(folder)))
