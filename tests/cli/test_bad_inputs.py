"""A generated corpus of broken inputs, run through every command.

Each broken input is built here, in a temporary folder, by code. Every (input, command) pair is
one probe; each must end with a one-line `Error:` (never a traceback), exit code 1 or 2, no
output file (not even a half-written or hidden temporary one) and the input bytes unchanged.
`test_corpus_counts` prints the totals (probes, clean errors, tracebacks) and asserts that the
corpus stays at least 40 inputs large and traceback-free.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import random
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from mig_cli.cli import app
from mig_cli.records.graph_files import write_graph
from mig_cli.records.label_graph import LabelGraph

runner = CliRunner()
GOOD = {"id": "a", "prompt": "What is 2+2?", "response": "4", "labels": ["math"], "score": 1.0}


@dataclass
class Probe:
    name: str
    args: list[str]
    outputs: list[Path]


def _jsonl(records) -> bytes:
    return b"".join(json.dumps(r).encode() + b"\n" for r in records)


def _parquet_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def _datasets_folder(root: Path, state: str | None, arrow: bytes | None, name="data.arrow"):
    root.mkdir()
    if state is not None:
        (root / "state.json").write_text(state)
    if arrow is not None:
        (root / name).write_bytes(arrow)
    return root


def _arrow_stream(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def build_pools(root: Path) -> dict[str, Path]:
    """Broken pools: files, folders and links that no command can read, each built by code."""
    rng = random.Random(7)
    good = _jsonl([GOOD] * 20)
    state = json.dumps({"_data_files": [{"filename": "data.arrow"}]})
    arrow = _arrow_stream(pa.table({"labels": [["x"]], "score": [1.0]}))
    parquet = _parquet_bytes(pa.table({"labels": [["x"]] * 50, "score": [1.0] * 50}))
    files: dict[str, bytes] = {
        "empty.jsonl": b"",
        "blank-lines.jsonl": b"\n\n  \n\r\n",
        "bom-only.jsonl": b"\xef\xbb\xbf",
        "truncated.jsonl.gz": gzip.compress(good * 20)[:-40],
        "not-gzip.jsonl.gz": bytes(rng.randrange(256) for _ in range(300)),
        "gzip-header-only.jsonl.gz": gzip.compress(good)[:10],
        "gzip-of-garbage.jsonl.gz": gzip.compress(bytes(rng.randrange(256) for _ in range(500))),
        "gzip-empty.jsonl.gz": gzip.compress(b""),
        "corrupt.parquet": b"PAR1" + bytes(rng.randrange(256) for _ in range(200)) + b"PAR1",
        "truncated.parquet": parquet[: len(parquet) // 2],
        "magic-only.parquet": b"PAR1",
        "no-rows.parquet": _parquet_bytes(
            pa.table({"labels": pa.array([], pa.list_(pa.string()))})
        ),
        "lone-surrogate.jsonl": b'{"prompt": "\\ud83d", "labels": ["\\ud83d"]}\n',
        "lone-low-surrogate.jsonl": b'{"prompt": "a\\udc00b", "labels": ["x"], "score": 1}\n',
        "deep-nesting.jsonl": b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n",
        "deep-nesting-array.json": b"[" * 100_000 + b"]" * 100_000,
        "int-10e400-score.jsonl": b'{"labels": ["x"], "score": 1' + b"0" * 400 + b"}\n",
        "float-1e400.jsonl": b'{"labels": ["x"], "score": 1e400}\n',
        "digits-5000.jsonl": b'{"labels": ["x"], "score": ' + b"9" * 5000 + b"}\n",
        "invalid-utf8.jsonl": b'{"prompt": "\xff\xfe", "labels": ["x"], "score": 1}\n',
        "binary-garbage.jsonl": bytes(rng.randrange(256) for _ in range(2000)),
        "nul-bytes.jsonl": b"\x00" * 64 + b"\n",
        "array-of-numbers.json": b"[1, 2, 3]",
        "array-truncated.json": b'[\n  {"labels": ["x"], "score": 1},\n  {"labels": [',
        "array-with-trailing-garbage.json": b'[{"labels": ["x"], "score": 1}] xyz',
        "json-scalar.json": b"42",
        "json-string.jsonl": b'"just a string"\n',
        "jsonl-of-arrays.jsonl": b"[1]\n[2]\n",
        "jsonl-of-nulls.jsonl": b"null\nnull\n",
        "pretty-object.json": json.dumps(GOOD, indent=2).encode(),
        "object-of-lists.json": json.dumps({"train": [GOOD]}).encode(),
        "truncated-line.jsonl": b'{"labels": ["x"], "score": 1, "prompt": "a\n',
        "nan-labels.jsonl": b'{"labels": NaN, "score": NaN}\n',
        "only-bad-shapes.jsonl": _jsonl([{"labels": 3, "score": "high", "body": 1}] * 3),
        "csv-file.jsonl": b"prompt,response\nhi,there\n",
        "html-file.json": b"<!doctype html><html><body>404</body></html>",
        "cr-only-broken.jsonl": b'{"labels": ["x"]\r{"score": 1\r',
    }
    pools: dict[str, Path] = {}
    for name, data in files.items():
        path = root / name
        path.write_bytes(data)
        pools[name] = path
    pools["folder-not-datasets"] = root / "plain-folder"
    (root / "plain-folder").mkdir()
    (root / "plain-folder" / "notes.txt").write_text("hello")
    pools["datasets-no-state"] = _datasets_folder(root / "ds-no-state", None, arrow)
    pools["datasets-bad-state"] = _datasets_folder(root / "ds-bad-state", "{not json", arrow)
    pools["datasets-state-not-list"] = _datasets_folder(
        root / "ds-state-list", json.dumps({"_data_files": "data.arrow"}), arrow
    )
    pools["datasets-missing-arrow"] = _datasets_folder(root / "ds-missing", state, None)
    pools["datasets-corrupt-arrow"] = _datasets_folder(root / "ds-corrupt", state, b"garbage")
    pools["datasets-empty-files"] = _datasets_folder(
        root / "ds-empty", json.dumps({"_data_files": []}), None
    )
    pools["dataset-dict"] = root / "ds-dict"
    (root / "ds-dict").mkdir()
    (root / "ds-dict" / "dataset_dict.json").write_text('{"splits": ["train"]}')
    loop_a, loop_b = root / "loop-a.jsonl", root / "loop-b.jsonl"
    loop_a.symlink_to(loop_b)
    loop_b.symlink_to(loop_a)
    pools["symlink-loop"] = loop_a
    dangling = root / "dangling.jsonl"
    dangling.symlink_to(root / "nowhere.jsonl")
    pools["dangling-symlink"] = dangling
    pools["missing-file"] = root / "missing.jsonl"
    pools["dev-null"] = Path(os.devnull)
    return pools


def _graph(root: Path) -> Path:
    graph = LabelGraph(
        ["x", "y"],
        np.ones(2, dtype=np.int64),
        np.array([0, 1], dtype=np.int64),
        np.array([1, 0], dtype=np.int64),
        np.array([0.95, 0.95], dtype=np.float32),
        {"model": "test"},
    )
    write_graph(graph, str(root / "good-graph"))
    return root / "good-graph"


def commands(pool: Path, out: Path, graph: Path) -> dict[str, Probe]:
    """Every command with `pool` as its input (outputs in `out`, a folder of their own)."""
    p = str(pool)
    return {
        "tag": Probe(
            "tag",
            ["tag", p, "-o", str(out / "t.jsonl"), "--tagger", "field", "--from", "labels"],
            [out / "t.jsonl"],
        ),
        "score": Probe("score", ["score", p, "-o", str(out / "s.jsonl")], [out / "s.jsonl"]),
        "score-parquet": Probe(
            "score-parquet",
            ["score", p, "-o", str(out / "s.parquet"), "--scorer", "field", "--from", "score"],
            [out / "s.parquet"],
        ),
        "build-graph": Probe("build-graph", ["build-graph", p, "-o", str(out / "g")], [out / "g"]),
        "sample": Probe(
            "sample",
            [
                "sample",
                p,
                "-k",
                "1",
                "--graph",
                str(graph),
                "-o",
                str(out / "sub.jsonl"),
                "--ranking",
                str(out / "r.csv"),
            ],
            [out / "sub.jsonl", out / "r.csv"],
        ),
        "sample-given": Probe(
            "sample-given",
            [
                "sample",
                str(graph.parent / "good.jsonl"),
                "-k",
                "1",
                "--graph",
                str(graph),
                "--given",
                p,
                "-o",
                str(out / "sub.jsonl"),
            ],
            [out / "sub.jsonl"],
        ),
        "stats": Probe("stats", ["stats", p], []),
        "graph-sweep": Probe("graph-sweep", ["graph", "sweep", p], []),
        "report": Probe(
            "report",
            ["report", p, str(graph.parent / "good.jsonl"), "-o", str(out / "r.html")],
            [out / "r.html"],
        ),
        "report-subset": Probe(
            "report-subset",
            ["report", str(graph.parent / "good.jsonl"), p, "-o", str(out / "r.html")],
            [out / "r.html"],
        ),
    }


def option_probes(root: Path, out: Path, graph: Path) -> dict[str, Probe]:
    """Broken options and places: configs, vocab, seed, output folders, graphs."""
    good = str(root / "good.jsonl")
    (root / "bad.toml").write_text("[sample\nk = ")
    (root / "unknown-key.toml").write_text('[sample]\nkk = "2"\n')
    (root / "unknown-top.toml").write_text("edge_treshold = 0.5\n")
    (root / "a-file").write_text("not a folder")
    (root / "broken-graph").mkdir(exist_ok=True)
    (root / "broken-graph" / "nodes.parquet").write_bytes(b"PAR1garbagePAR1")
    (root / "broken-graph" / "edges.parquet").write_bytes(b"PAR1garbagePAR1")
    (root / "broken-graph" / "meta.json").write_text("{")
    under_file = str(root / "a-file" / "x.jsonl")
    sub = ["sample", good, "-k", "1", "--graph", str(graph)]
    return {
        "config-folder": Probe(
            "config-folder",
            [*sub, "--config", str(root), "-o", str(out / "a.jsonl")],
            [out / "a.jsonl"],
        ),
        "config-bad-toml": Probe("config-bad-toml", [*sub, "--config", str(root / "bad.toml")], []),
        "config-unknown-key": Probe(
            "config-unknown-key", [*sub, "--config", str(root / "unknown-key.toml")], []
        ),
        "config-unknown-top": Probe(
            "config-unknown-top", [*sub, "--config", str(root / "unknown-top.toml")], []
        ),
        "config-missing": Probe(
            "config-missing", ["stats", good, "--config", str(root / "nope.toml")], []
        ),
        "vocab-folder": Probe(
            "vocab-folder",
            ["tag", good, "-o", str(out / "v.jsonl"), "--tagger", "vocab", "--vocab", str(root)],
            [out / "v.jsonl"],
        ),
        "seed-negative": Probe(
            "seed-negative",
            [*sub, "--seed", "-1", "--method", "random", "-o", str(out / "b.jsonl")],
            [out / "b.jsonl"],
        ),
        "output-under-a-file": Probe("output-under-a-file", [*sub, "-o", under_file], []),
        "score-output-under-a-file": Probe(
            "score-output-under-a-file", ["score", good, "-o", under_file], []
        ),
        "graph-output-is-a-file": Probe(
            "graph-output-is-a-file", ["build-graph", good, "-o", str(root / "a-file")], []
        ),
        "ranking-under-a-file": Probe(
            "ranking-under-a-file",
            [*sub, "-o", str(out / "c.jsonl"), "--ranking", under_file],
            [out / "c.jsonl"],
        ),
        "cache-under-a-file": Probe(
            "cache-under-a-file",
            [
                "sample",
                good,
                "-k",
                "1",
                "--cache-dir",
                str(root / "a-file" / "cache"),
                "-o",
                str(out / "d.jsonl"),
            ],
            [out / "d.jsonl"],
        ),
        "graph-missing": Probe(
            "graph-missing",
            [
                "sample",
                good,
                "-k",
                "1",
                "--graph",
                str(root / "no-graph"),
                "-o",
                str(out / "e.jsonl"),
            ],
            [out / "e.jsonl"],
        ),
        "graph-corrupt": Probe(
            "graph-corrupt",
            [
                "sample",
                good,
                "-k",
                "1",
                "--graph",
                str(root / "broken-graph"),
                "-o",
                str(out / "f.jsonl"),
            ],
            [out / "f.jsonl"],
        ),
        "graph-is-a-file": Probe("graph-is-a-file", ["stats", good, "--graph", good], []),
        "graph-summary-corrupt": Probe(
            "graph-summary-corrupt", ["graph", "summary", str(root / "broken-graph")], []
        ),
        "graph-summary-missing": Probe(
            "graph-summary-missing", ["graph", "summary", str(root / "no-graph")], []
        ),
        "report-into-input": Probe("report-into-input", ["report", good, "-o", good], []),
        "output-csv": Probe(
            "output-csv", ["score", good, "-o", str(out / "g.csv")], [out / "g.csv"]
        ),
        "output-no-extension": Probe(
            "output-no-extension", [*sub, "-o", str(out / "subset")], [out / "subset"]
        ),
        "export-into-graph": Probe(
            "export-into-graph",
            ["graph", "export", str(graph), "-o", str(graph / "g.graphml")],
            [graph / "g.graphml"],
        ),
    }


def _tree_digest(root: Path) -> dict[str, str]:
    out = {}
    for path in sorted(root.rglob("*")):
        if path.is_symlink():
            out[str(path)] = "link:" + os.readlink(path)
        elif path.is_file():
            out[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("bad-inputs")
    inputs = root / "inputs"
    inputs.mkdir()
    (inputs / "good.jsonl").write_bytes(_jsonl([GOOD, {**GOOD, "id": "b", "labels": ["y"]}]))
    graph = _graph(inputs)
    pools = build_pools(inputs)
    return root, inputs, graph, pools


RESULTS: dict[str, tuple[int, bool]] = {}


def run_probe(root: Path, inputs: Path, probe: Probe, key: str) -> None:
    out = root / "out"
    out.mkdir(exist_ok=True)
    before = _tree_digest(inputs)
    result = runner.invoke(app, probe.args)
    traceback = (
        result.exception is not None and not isinstance(result.exception, SystemExit)
    ) or "Traceback" in result.output
    RESULTS[key] = (result.exit_code, traceback)
    assert not traceback, (probe.args, result.output, result.exception)
    assert result.exit_code in (1, 2), (probe.args, result.exit_code, result.output)
    errors = [x for x in result.output.splitlines() if x.startswith("Error:")]
    assert errors, result.output
    for path in probe.outputs:
        assert not path.exists(), (probe.args, path)
    leftovers = [p.name for p in out.rglob("*")] + [p.name for p in inputs.rglob("*.tmp")]
    assert leftovers == [], (probe.args, leftovers)
    assert _tree_digest(inputs) == before, probe.args


POOL_NAMES = [
    "empty.jsonl", "blank-lines.jsonl", "bom-only.jsonl", "truncated.jsonl.gz",
    "not-gzip.jsonl.gz", "gzip-header-only.jsonl.gz", "gzip-of-garbage.jsonl.gz",
    "gzip-empty.jsonl.gz", "corrupt.parquet", "truncated.parquet", "magic-only.parquet",
    "no-rows.parquet", "lone-surrogate.jsonl", "lone-low-surrogate.jsonl",
    "deep-nesting.jsonl", "deep-nesting-array.json", "int-10e400-score.jsonl",
    "float-1e400.jsonl", "digits-5000.jsonl", "invalid-utf8.jsonl", "binary-garbage.jsonl",
    "nul-bytes.jsonl", "array-of-numbers.json", "array-truncated.json",
    "array-with-trailing-garbage.json", "json-scalar.json", "json-string.jsonl",
    "jsonl-of-arrays.jsonl", "jsonl-of-nulls.jsonl", "pretty-object.json",
    "object-of-lists.json", "truncated-line.jsonl", "nan-labels.jsonl",
    "only-bad-shapes.jsonl", "csv-file.jsonl", "html-file.json", "cr-only-broken.jsonl",
    "folder-not-datasets", "datasets-no-state", "datasets-bad-state",
    "datasets-state-not-list", "datasets-missing-arrow", "datasets-corrupt-arrow",
    "datasets-empty-files", "dataset-dict", "symlink-loop", "dangling-symlink",
    "missing-file", "dev-null",
]  # fmt: skip
COMMANDS = ["tag", "score", "score-parquet", "build-graph", "sample", "sample-given", "stats",
            "graph-sweep", "report", "report-subset"]  # fmt: skip
# Inputs that are broken for some commands only (for the others they are a valid pool):
# an empty --given continues from nothing; a huge integer is a fine label-carrying record
# until it is used as a score.
ONLY = {
    "int-10e400-score.jsonl": {
        "score-parquet",
        "sample",
        "sample-given",
        "stats",
        "report",
        "report-subset",
    },
}
NOT_FOR = {
    name: {"sample-given"}
    for name in ("empty.jsonl", "blank-lines.jsonl", "bom-only.jsonl", "gzip-empty.jsonl.gz",
                 "no-rows.parquet", "dev-null")
}  # fmt: skip
POOL_PROBES = [
    (pool, command)
    for pool in POOL_NAMES
    for command in COMMANDS
    if command in ONLY.get(pool, COMMANDS) and command not in NOT_FOR.get(pool, ())
]
OPTIONS = [
    "config-folder", "config-bad-toml", "config-unknown-key", "config-unknown-top",
    "config-missing", "vocab-folder", "seed-negative", "output-under-a-file",
    "score-output-under-a-file", "graph-output-is-a-file", "ranking-under-a-file",
    "cache-under-a-file", "graph-missing", "graph-corrupt", "graph-is-a-file", "output-csv",
    "output-no-extension", "export-into-graph", "graph-summary-corrupt", "graph-summary-missing",
    "report-into-input",
]  # fmt: skip


@pytest.mark.parametrize("pool,command", POOL_PROBES)
def test_broken_pool(corpus, pool, command):
    root, inputs, graph, pools = corpus
    probe = commands(pools[pool], root / "out", graph)[command]
    run_probe(root, inputs, probe, f"{pool} | {command}")


@pytest.mark.parametrize("name", OPTIONS)
def test_broken_option(corpus, name):
    root, inputs, graph, _ = corpus
    run_probe(root, inputs, option_probes(inputs, root / "out", graph)[name], name)


DISK_FULL = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (32768, 32768))
from mig_cli.cli.app import main
sys.argv = ["mig"] + sys.argv[1:]
main()
"""


LENGTH = ["--scorer", "length"]  # the writer is under test, not the scorer (no model to load)


@pytest.mark.parametrize("fmt", ["jsonl", "jsonl.gz", "parquet"])
def test_disk_full_leaves_nothing(tmp_path, fmt):
    """A write that fails (RLIMIT_FSIZE: 'File too large', as a full disk would) is one line."""
    pool = tmp_path / "pool.jsonl"
    rng = random.Random(3)
    replies = [" ".join(f"{rng.getrandbits(64):x}" for _ in range(20)) for _ in range(300)]
    pool.write_bytes(_jsonl([{**GOOD, "id": str(i), "response": r} for i, r in enumerate(replies)]))
    before = pool.read_bytes()
    out = tmp_path / "out"
    out.mkdir()
    done = subprocess.run(
        [sys.executable, "-c", DISK_FULL, "score", str(pool), "-o", str(out / f"s.{fmt}"), *LENGTH],
        capture_output=True,
        text=True,
        env={**os.environ, "MIG_NO_PROGRESS": "1"},
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert [x for x in done.stderr.splitlines() if x.startswith("Error:")], done.stderr
    # nothing half-written; the finished batches stay in the checkpoint, so once there is
    # room again the same command resumes instead of annotating anew
    assert [p.name for p in out.iterdir()] == [f".s.{fmt}.mig-checkpoint"]
    assert pool.read_bytes() == before
    again = subprocess.run(
        [
            sys.executable,
            "-m",
            "mig_cli.cli",
            "score",
            str(pool),
            "-o",
            str(out / f"s.{fmt}"),
            *LENGTH,
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "MIG_NO_PROGRESS": "1"},
        timeout=120,
    )
    assert again.returncode == 0 and "300 rows resumed from a checkpoint" in again.stderr
    assert [p.name for p in out.iterdir()] == [f"s.{fmt}"]


def test_corpus_counts(corpus, capsys):
    """The corpus is at least 40 broken inputs and every probe ended cleanly (run last)."""
    assert len(POOL_NAMES) + len(OPTIONS) >= 40
    probes = len(POOL_PROBES) + len(OPTIONS)
    done = {k: v for k, v in RESULTS.items()}
    tracebacks = sum(1 for _, tb in done.values() if tb)
    clean = sum(1 for code, tb in done.values() if not tb and code in (1, 2))
    with capsys.disabled():
        print(
            f"\nbad-input corpus: {len(POOL_NAMES) + len(OPTIONS)} inputs, {probes} probes, "
            f"{len(done)} run, {clean} clean errors, {tracebacks} tracebacks"
        )
    assert tracebacks == 0
    if len(done) == probes:
        assert clean == probes
