"""Inputs and outputs through the CLI: shapes found, pipes read once, outputs never inputs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mig_cli.annotate.scoring import LengthScoreAnnotator
from mig_cli.annotate.text import text_source
from mig_cli.cli import app
from mig_cli.records.checkpoint import OutputLock

from ..records.test_shapes import DOLLY, LLAMA_FACTORY_PARTS

runner = CliRunner()
MIG = [sys.executable, "-m", "mig_cli.cli"]
ENV = {**os.environ, "MIG_NO_PROGRESS": "1"}


def run(*args, input=None):
    return runner.invoke(app, [str(a) for a in args], input=input)


def write(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def read(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text().splitlines()]


def expected_length_score(record: dict, text_field=None, answer_field=None) -> float:
    source = text_source("first-user", text_field, 200_000, answer_field)
    return LengthScoreAnnotator(source, "score").annotate([record])[0]


def test_issue_examples_are_scored_from_their_answers(tmp_path):
    pool = write(tmp_path / "p.jsonl", [DOLLY, LLAMA_FACTORY_PARTS])
    out = tmp_path / "s.jsonl"
    result = run("score", pool, "-o", out, "--strict", "--scorer", "length")
    assert result.exit_code == 0, result.output
    assert "2 of 2 records annotated" in result.stderr
    scores = [r["score"] for r in read(out)]
    assert scores == [expected_length_score(DOLLY), expected_length_score(LLAMA_FACTORY_PARTS)]
    assert all(s > 0 for s in scores)


def test_answer_field_option(tmp_path):
    records = [{"ask": f"q{i}", "best": "one two three"} for i in range(3)]
    pool = write(tmp_path / "p.jsonl", records)
    out = tmp_path / "s.jsonl"
    result = run(
        "score",
        pool,
        "-o",
        out,
        "--text-field",
        "ask",
        "--answer-field",
        "best",
        "--scorer",
        "length",
    )
    assert result.exit_code == 0, result.output
    expected = expected_length_score(records[0], "ask", "best")
    assert isinstance(expected, float) and expected > 0
    assert [r["score"] for r in read(out)] == [expected] * 3


def test_no_answer_is_never_a_silent_zero(tmp_path):
    records = [{"prompt": f"question {i}", "response": "an answer"} for i in range(10)]
    records[3] = {"prompt": "no reply here"}
    pool = write(tmp_path / "p.jsonl", records)
    out = tmp_path / "s.jsonl"
    result = run("score", pool, "-o", out)
    assert result.exit_code == 0
    assert "1 of 10 records (10.0%) yielded no text or no answer" in result.stderr
    assert "line 4: no answer found" in result.stderr and "--answer-field" in result.stderr
    result = run("score", pool, "-o", out, "--strict")
    assert result.exit_code == 1
    assert "p.jsonl:4: no answer found" in result.stderr


def test_a_pool_with_no_answer_at_all_fails_and_writes_nothing(tmp_path):
    pool = write(tmp_path / "p.jsonl", [{"prompt": f"q{i}"} for i in range(5)])
    out = tmp_path / "s.jsonl"
    result = run("score", pool, "-o", out)
    assert result.exit_code == 1
    line = [x for x in result.stderr.splitlines() if x.startswith("Error:")][0]
    assert "all 5 were skipped" in line and "line 1: no answer found" in line
    assert "--answer-field" in line
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["p.jsonl"]
    pool = write(tmp_path / "t.jsonl", [{"body": "x"}] * 3)  # no text: tag fails the same way
    result = run("tag", pool, "-o", out, "--tagger", "field", "--from", "nope")
    assert result.exit_code == 1 and not out.exists()


def test_alpaca_history_is_scored_from_every_turn(tmp_path):
    record = {
        "history": [["Write a loop.", "for i in range(10):\n    print(i)"]],
        "instruction": "Now sum them.",
        "output": "print(sum(range(10)))",
    }
    pool = write(tmp_path / "p.jsonl", [record])
    out = tmp_path / "s.jsonl"
    assert run("score", pool, "-o", out, "--scorer", "length").exit_code == 0
    one_turn = {"instruction": "Now sum them.", "output": "print(sum(range(10)))"}
    assert read(out)[0]["score"] == expected_length_score(record)
    assert read(out)[0]["score"] > expected_length_score(one_turn)


def shell(cmd: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", "-c", cmd], cwd=cwd, env=ENV, capture_output=True, text=True, timeout=120
    )


def test_pipe_and_fifo_inputs_are_read_once(tmp_path):
    pool = write(tmp_path / "p.jsonl", [DOLLY] * 3)
    mig = " ".join(MIG)
    done = shell(f"{mig} score <(cat p.jsonl) -o piped.jsonl", tmp_path)
    assert done.returncode == 0, done.stderr
    assert len(read(tmp_path / "piped.jsonl")) == 3
    os.mkfifo(tmp_path / "fifo")
    feeder = threading.Thread(target=lambda: (tmp_path / "fifo").write_bytes(pool.read_bytes()))
    feeder.start()
    done = shell(f"{mig} score fifo -o fifo.jsonl", tmp_path)
    feeder.join(timeout=30)
    assert done.returncode == 0, done.stderr
    assert read(tmp_path / "fifo.jsonl") == read(tmp_path / "piped.jsonl")
    done = shell(f"cat p.jsonl | {mig} score - -o - | {mig} score - -o stdin.jsonl", tmp_path)
    assert done.returncode == 0, done.stderr
    assert len(read(tmp_path / "stdin.jsonl")) == 3


@pytest.fixture
def annotated(tmp_path) -> Path:
    records = [
        {"id": f"r{i}", "prompt": f"q{i}", "response": "a b", "labels": ["x", "y"], "score": i + 1}
        for i in range(6)
    ]
    return write(tmp_path / "pool.jsonl", records)


def test_no_output_may_be_an_input_for_any_command(annotated, tmp_path):
    before = annotated.read_bytes()
    link = tmp_path / "link.jsonl"
    link.symlink_to(annotated)
    graph = tmp_path / "g"
    assert run("build-graph", annotated, "-o", graph, "--edge-threshold", "0.5").exit_code == 0
    cases = [
        ["sample", annotated, "-k", "2", "-o", annotated, "--graph", graph],
        ["sample", annotated, "-k", "2", "-o", link, "--graph", graph],
        ["sample", annotated, "-k", "2", "-o", tmp_path / "s.jsonl", "--ranking", annotated],
        ["sample", annotated, "-k", "2", "--graph", graph, "--ranking", graph / "x.csv"],
        ["sample", annotated, "-k", "2", "-o", tmp_path / "s.csv", "--ranking", tmp_path / "s.csv"],
        [
            "sample",
            annotated,
            "-k",
            "2",
            "-o",
            tmp_path / "s.jsonl",
            "--given",
            tmp_path / "s.jsonl",
        ],
        ["tag", annotated, "-o", link, "--tagger", "field", "--from", "labels"],
        ["score", annotated, "-o", annotated],
        ["build-graph", annotated, "-o", tmp_path],  # the folder holding the pool
        ["build-graph", tmp_path / "g" / ".." / "pool.jsonl", "-o", annotated],
    ]
    for args in cases:
        result = run(*args)
        assert result.exit_code == 2, ([str(a)[-12:] for a in args], result.output[-300:])
        assert "Traceback" not in result.output
    assert annotated.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g", "link.jsonl", "pool.jsonl"]


def test_failed_sample_leaves_no_ranking(annotated, tmp_path):
    ranking = tmp_path / "r.csv"
    result = run("sample", annotated, "-k", "2", "-o", tmp_path / "s.txt", "--ranking", ranking)
    assert result.exit_code == 2 and "cannot write records" in result.stderr
    assert not ranking.exists()


def test_unknown_output_extension_is_refused_before_any_work(annotated, tmp_path):
    for cmd in (["tag", "--tagger", "field", "--from", "labels"], ["score"]):
        for name in ("x.csv", "x.txt"):
            result = run(cmd[0], annotated, "-o", tmp_path / name, *cmd[1:])
            assert result.exit_code == 2 and "cannot write records" in result.stderr
            assert not (tmp_path / name).exists()
    result = run("score", annotated, "-o", tmp_path / "x.json", "--scorer", "length")
    assert result.exit_code == 0
    assert [r["score"] for r in json.loads((tmp_path / "x.json").read_text())] == [
        expected_length_score(r) for r in read(annotated)
    ]


def test_misspelt_config_key_is_an_error(annotated, tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[sample]\nk = "2"\nmethod = "top-score"\n[score]\nscorer = "length"\n')
    out = tmp_path / "s.jsonl"
    assert run("sample", annotated, "-o", out, "--config", cfg).exit_code == 0
    cfg.write_text('kk = "2"\n[sample]\nmethod = "top-score"\n')
    result = run("sample", annotated, "-k", "2", "-o", out, "--config", cfg)
    assert result.exit_code == 2 and "unknown option 'kk'" in result.output
    cfg.write_text('[sampel]\nk = "2"\n')
    result = run("sample", annotated, "-k", "2", "-o", out, "--config", cfg)
    assert result.exit_code == 2 and "unknown table [sampel]" in result.output
    cfg.write_text("edge-threshold = 0.5\n[run]\npool = 'x'\n")  # another command's option: fine
    assert run("sample", annotated, "-k", "2", "-o", out, "--config", cfg, "--method", "random")
    result = run("sample", annotated, "-k", "2", "-o", out, "--config", tmp_path)
    assert result.exit_code == 2 and "is a folder" in result.output


def test_checkpoint_is_keyed_on_content_and_options(tmp_path):
    records = [{"prompt": f"q{i}", "response": "a " * (i + 1)} for i in range(4)]
    pool = write(tmp_path / "p.jsonl", records)
    out = tmp_path / "s.jsonl"
    checkpoint = tmp_path / ".s.jsonl.mig-checkpoint"
    # a run that stopped after its first batch (written by hand: the header of this input)
    assert run("score", pool, "-o", out, "--batch-size", "2").exit_code == 0
    first = read(out)
    stat = pool.stat()
    edited = pool.read_bytes().replace(b'"q0"', b'"Q0"')  # same size, same mtime
    pool.write_bytes(edited)
    os.utime(pool, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    from mig_cli.annotate.engine import run_annotation

    class Stop(Exception):
        pass

    calls = []

    def stop_after_one(n):
        calls.append(n)
        if len(calls) == 1:
            raise Stop

    source = text_source("first-user", None, 200_000)
    with pytest.raises(Stop):
        run_annotation(
            str(pool),
            str(out),
            LengthScoreAnnotator(source, "score"),
            batch_size=2,
            on_rows=stop_after_one,
        )
    assert checkpoint.exists()
    header = json.loads(checkpoint.read_text().splitlines()[0])["header"]
    assert header["input"].startswith("sha256:") and str(pool) not in json.dumps(header)
    # other options: the checkpoint is not reused
    result = run("score", pool, "-o", out, "--batch-size", "2", "--max-chars", "999")
    assert result.exit_code == 0 and "was discarded" in result.stderr
    assert read(out)[0]["prompt"] == "Q0" and len(read(out)) == len(first)


def test_a_second_run_on_the_same_output_fails_at_once(tmp_path):
    pool = write(tmp_path / "p.jsonl", [DOLLY])
    out = tmp_path / "s.jsonl"
    with OutputLock(str(out)):
        result = run("score", pool, "-o", out)
        assert result.exit_code == 1
        assert "another mig run is writing this output" in result.stderr
        assert not out.exists()
    assert run("score", pool, "-o", out).exit_code == 0
    assert not (tmp_path / ".s.jsonl.mig-lock").exists()


def test_llm_credentials_never_reach_messages_or_the_checkpoint(tmp_path, monkeypatch):
    from ..fake_openai import FakeOpenAI

    monkeypatch.setenv("MIG_TEST_KEY", "sk-live-topsecret-42")
    pool = write(tmp_path / "p.jsonl", [{"prompt": f"explain topic {i}"} for i in range(3)])
    out = tmp_path / "t.jsonl"
    with FakeOpenAI(lifetime=30.0) as server:
        server.when("topic 1", "400")
        host = server.base_url.split("//", 1)[1]
        url = f"http://bob:hunter2-pw@{host}"
        args = ["tag", pool, "-o", out, "--tagger", "llm", "--model", "m", "--base-url", url]
        args += ["--api-key-env", "MIG_TEST_KEY", "--batch-size", "1", "--concurrency", "1"]
        result = run(*args)
    assert result.exit_code == 1, result.output
    checkpoint = (tmp_path / ".t.jsonl.mig-checkpoint").read_text()
    assert '"batch":0' in checkpoint and "http://***@127.0.0.1" in checkpoint
    for secret in ("hunter2-pw", "bob:", "topsecret"):
        assert secret not in result.output and secret not in checkpoint


def test_ctrl_c_stops_an_llm_run_at_once(tmp_path):
    import signal
    import time

    from ..fake_openai import FakeOpenAI, Fault

    pool = write(tmp_path / "p.jsonl", [{"prompt": f"q{i}", "response": "r"} for i in range(8)])
    with FakeOpenAI(lifetime=60.0) as server:
        server.when("", Fault("slow", delay=50.0))
        proc = subprocess.Popen(
            [*MIG, "score", str(pool), "-o", str(tmp_path / "s.jsonl"), "--scorer", "llm",
             "--model", "m", "--base-url", server.base_url, "--timeout", "40",
             "--max-retries", "5", "--concurrency", "4"],
            env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while len(server.requests) < 4 and time.monotonic() < deadline:
            time.sleep(0.1)
        start = time.monotonic()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
        took = time.monotonic() - start
    assert proc.returncode == 130, err
    assert "Interrupted" in err and "Traceback" not in err
    assert took < 3.0, took
    assert not (tmp_path / "s.jsonl").exists()


def test_values_pass_through_tag_and_score_exactly_or_are_refused(tmp_path):
    big = b'{"id": 18446744073709551616, "n": NaN, "prompt": "p", "response": "r s"}\n'
    pool = tmp_path / "p.jsonl"
    pool.write_bytes(big)
    out = tmp_path / "s.jsonl"
    assert run("score", pool, "-o", out).exit_code == 0
    assert out.read_bytes().startswith(b'{"id":18446744073709551616,"n":NaN,')
    # a field that is `true` in the first batch and 7 in the next is refused for Parquet
    pool = write(tmp_path / "q.jsonl", [{**DOLLY, "x": True}, {**DOLLY, "x": 7}])
    result = run("score", pool, "-o", tmp_path / "q.parquet", "--batch-size", "1")
    assert result.exit_code == 1
    assert "field 'x' holds bool in earlier records and int64" in result.stderr
    assert not (tmp_path / "q.parquet").exists()


def test_alpaca_data_json_array_is_read_whole(tmp_path):
    records = [{"instruction": f"Task {i}", "input": "", "output": "Done well."} for i in range(5)]
    for name, text in (("a.json", json.dumps(records, indent=4)), ("b.json", json.dumps(records))):
        (tmp_path / name).write_text(text)
        out = tmp_path / f"{name}.scored.jsonl"
        result = run("score", tmp_path / name, "-o", out)
        assert result.exit_code == 0 and "5 of 5 records annotated" in result.stderr
        assert [r["instruction"] for r in read(out)] == [f"Task {i}" for i in range(5)]


def test_sample_never_replaces_a_parquet_pool(annotated, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pylist(read(annotated))
    pq.write_table(table, tmp_path / "pool.parquet")
    before = (tmp_path / "pool.parquet").read_bytes()
    for extra in (["-o", tmp_path / "pool.parquet"], ["--ranking", tmp_path / "pool.parquet"]):
        result = run(
            "sample", tmp_path / "pool.parquet", "-k", "2", "--method", "top-score", *extra
        )
        assert result.exit_code == 2 and "would overwrite the input" in result.stderr
    assert (tmp_path / "pool.parquet").read_bytes() == before


def test_failed_build_graph_leaves_the_old_graph_whole(annotated, tmp_path, monkeypatch):
    import pyarrow.parquet as pq

    from mig_cli.records import graph_files

    graph = tmp_path / "g"
    assert run("build-graph", annotated, "-o", graph, "--edge-threshold", "0.5").exit_code == 0
    before = {p.name: p.read_bytes() for p in graph.iterdir()}
    real = pq.write_table

    def fail_on_edges(table, where, *args, **kwargs):
        if str(where).endswith("edges.parquet"):
            raise OSError(28, "No space left on device", str(where))
        return real(table, where, *args, **kwargs)

    monkeypatch.setattr(graph_files.pq, "write_table", fail_on_edges)
    result = run("build-graph", annotated, "-o", graph, "--edge-threshold", "0.2")
    assert result.exit_code == 1 and "No space left on device" in result.stderr
    assert {p.name: p.read_bytes() for p in graph.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g", "pool.jsonl"]


def test_an_unwritable_embedding_cache_is_a_warning(tmp_path, capsys):
    import numpy as np

    from mig_cli.cli.common import cached_embed
    from mig_cli.records.embedding_cache import EmbeddingCache

    class Letters:  # stands in for the model: the cache is what is tested
        key = name = "letters"

        def encode(self, texts, on_batch=None):
            return np.array([[len(t), t.count("a")] for t in texts], dtype=np.float32)

    cache = EmbeddingCache(tmp_path / "cache")
    embed = cached_embed(Letters(), cache)
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "letters").write_text("a file where the model's folder goes")
    vectors = embed(["abc", "aa"])
    assert vectors.tolist() == [[3.0, 1.0], [2.0, 2.0]]
    assert "embedding cache was not written" in capsys.readouterr().err
    with pytest.raises(Exception, match="is a file, not a folder"):
        cached_embed(Letters(), EmbeddingCache(tmp_path / "cache" / "letters" / "deeper"))


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_an_unwritable_output_folder_is_refused_before_any_work(annotated, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        result = run("score", annotated, "-o", locked / "s.jsonl")
        assert result.exit_code == 2 and "permission denied" in result.stderr
    finally:
        locked.chmod(0o755)


@pytest.mark.parametrize("how", ["SIGKILL", "SIGTERM"])
def test_temp_files_of_a_killed_write_never_stay(tmp_path, how):
    """kill -9 leaves a temp file that the next run removes; SIGTERM removes it on the way out."""
    import signal
    import time

    rows = [{"prompt": f"q{i}", "response": f"answer number {i} " * 8} for i in range(50_000)]
    pool = write(tmp_path / "p.jsonl", rows)
    out = tmp_path / "o" / "s.jsonl.gz"
    out.parent.mkdir()
    child = subprocess.Popen(
        [*MIG, "score", str(pool), "-o", str(out)], env=ENV, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 120
    temps: list[Path] = []
    while time.monotonic() < deadline and not temps and child.poll() is None:
        temps = list(out.parent.glob(".s.jsonl.gz.*.tmp"))
        time.sleep(0.005)
    child.send_signal(getattr(signal, how))
    _, err = child.communicate(timeout=60)
    if not temps:
        pytest.skip("the write finished before it could be killed")
    assert not out.exists()
    if how == "SIGTERM":
        assert child.returncode == 143 and "Terminated" in err and "Traceback" not in err
        assert not any(t.exists() for t in temps)
    else:
        assert all(t.exists() for t in temps)
    done = subprocess.run([*MIG, "score", str(pool), "-o", str(out)], env=ENV, timeout=300)
    assert done.returncode == 0
    assert sorted(p.name for p in out.parent.iterdir()) == ["s.jsonl.gz"]
