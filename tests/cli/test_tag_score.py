"""`mig tag` and `mig score` through the CLI: field/LLM paths, bad records, kill -9 and resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mig_cli.cli import app

from ..fake_openai import FakeOpenAI, words_as_tags

runner = CliRunner()


def run(*args, input=None):
    return runner.invoke(app, [str(a) for a in args], input=input, catch_exceptions=False)


def exchanges(*texts: str) -> dict:
    """A record of alternating user and assistant messages."""
    roles = ("user", "assistant")
    return {"messages": [{"role": roles[i % 2], "content": t} for i, t in enumerate(texts)]}


def chat(i: int, text: str, reply: str = "Sure, here you go.") -> dict:
    return {
        "id": f"c{i}",
        "messages": [{"role": "user", "content": text}, {"role": "assistant", "content": reply}],
        "meta": {"tags": ["Python  Programming", "python programming", "SQL"]},
    }


def write(path: Path, rows: list) -> Path:
    with path.open("wb") as fh:
        for r in rows:
            fh.write(r if isinstance(r, bytes) else (json.dumps(r) + "\n").encode())
    return path


def read(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text().splitlines()]


def test_field_tagger_tagnum_and_length_scores(tmp_path):
    pool = write(
        tmp_path / "p.jsonl", [chat(i, f"question {i}", "word " * (i + 1)) for i in range(5)]
    )
    tagged = tmp_path / "t.jsonl"
    assert run("tag", pool, "-o", tagged, "--tagger", "field", "--from", "meta.tags").exit_code == 0
    rows = read(tagged)
    assert rows[0]["labels"] == ["python programming", "sql"]  # normalised, deduplicated
    assert rows[0]["messages"] == read(pool)[0]["messages"]  # nothing else changed
    scored = tmp_path / "s.jsonl"
    assert run("score", tagged, "-o", scored, "--scorer", "tagnum").exit_code == 0
    assert [r["score"] for r in read(scored)] == [2.0] * 5
    assert run("score", tagged, "-o", scored, "--scorer", "length").exit_code == 0
    import math

    assert [round(r["score"], 6) for r in read(scored)] == [
        round(math.log1p(i + 1), 6) for i in range(5)
    ]


def test_xsample_preset_score(tmp_path):
    rec = {"annotation": {"deita": {"quality_scores": [2, 4], "complexity_scores": [3, 5]}}}
    pool = write(tmp_path / "p.jsonl", [rec])
    out = tmp_path / "o.jsonl"
    assert run("score", pool, "-o", out, "--preset", "xsample").exit_code == 0
    assert read(out)[0]["score"] == (2 * 3 + 4 * 5) / 2


def test_llm_tagger_and_scorer_against_a_real_server(tmp_path, monkeypatch):
    monkeypatch.setenv("MIG_TEST_KEY", "sk-secret-123")
    texts = [
        "Explain recursion using python generators",
        "Compute compound interest yearly",
        "BROKEN request here",
        "Write haiku about autumn leaves",
    ]
    pool = write(tmp_path / "p.jsonl", [chat(i, t) for i, t in enumerate(texts)])
    with FakeOpenAI() as server:
        server.when("BROKEN", "garbage")
        server.schedule("429", "500")
        tagged = tmp_path / "t.jsonl"
        result = run(
            "tag",
            pool,
            "-o",
            tagged,
            "--tagger",
            "llm",
            "--model",
            "fake-model",
            "--base-url",
            server.base_url,
            "--api-key-env",
            "MIG_TEST_KEY",
            "--concurrency",
            "2",
        )
        assert result.exit_code == 0, result.output
        rows = read(tagged)
        assert rows[0]["labels"] == [w.lower() for w in words_as_tags(texts[0])]
        assert rows[2]["labels"] == []  # unusable reply: no labels, counted, not fatal
        assert "unusable" in result.stderr and "sk-secret-123" not in result.output
        assert any(
            r.headers.get("authorization") == "Bearer sk-secret-123" for r in server.requests
        )
        scored = tmp_path / "s.jsonl"
        result = run(
            "score",
            tagged,
            "-o",
            scored,
            "--scorer",
            "llm",
            "--model",
            "fake-model",
            "--base-url",
            server.base_url,
            "--endpoint",
            "completions",
        )
        assert result.exit_code == 0, result.output
        scores = [r["score"] for r in read(scored)]
        assert all(1.0 <= s <= 36.0 for i, s in enumerate(scores) if i != 2)
        assert scores[2] == 0.0  # the judge's replies for it are garbage: skipped, score 0
    assert "sk-secret-123" not in tagged.read_text() + scored.read_text()


def test_llm_server_down_is_one_line_error(tmp_path):
    pool = write(tmp_path / "p.jsonl", [chat(0, "hello there friend")])
    out = tmp_path / "o.jsonl"
    result = run(
        "tag",
        pool,
        "-o",
        out,
        "--tagger",
        "llm",
        "--model",
        "m",
        "--base-url",
        "http://127.0.0.1:9/v1",
        "--max-retries",
        "0",
        "--timeout",
        "1",
    )
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1].startswith("Error: ")
    assert not out.exists()


def test_bad_records_are_skipped_with_warning_or_stop_with_strict(tmp_path):
    rows = [
        chat(0, "fine question number one"),
        {"id": "x1", "nothing": "here"},
        chat(2, "   "),
        chat(3, "a" * 1_100_000),
        b'{"id": "bad utf8 \xff\xfe"}\n',
        chat(5, "fine question number five"),
    ]
    pool = write(tmp_path / "p.jsonl", rows)
    out = tmp_path / "o.jsonl"
    result = run("tag", pool, "-o", out, "--tagger", "field", "--from", "meta.tags")
    assert result.exit_code == 0, result.output
    assert "Warning" in result.stderr and "line 2" in result.stderr
    got = read(out)
    assert [r["id"] for r in got] == ["c0", "x1", "c2", "c3", "c5"]  # unreadable line 5 left out
    assert got[1]["labels"] == []
    scored = tmp_path / "s.jsonl"
    result = run("score", pool, "-o", scored)
    assert result.exit_code == 0
    assert all(f"line {n}:" in result.stderr for n in (2, 4, 5))
    result = run("score", pool, "-o", scored, "--strict")
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1].startswith(f"Error: {pool}:2:")


def test_stdin_to_stdout_pipeline(tmp_path):
    pool = write(tmp_path / "p.jsonl", [chat(i, f"q{i}") for i in range(3)])
    result = run(
        "tag", "-", "-o", "-", "--tagger", "field", "--from", "meta.tags", input=pool.read_text()
    )
    assert result.exit_code == 0
    assert [json.loads(x)["labels"] for x in result.stdout.splitlines()] == [
        ["python programming", "sql"]
    ] * 3


def _tag_cmd(pool: Path, out: Path, base_url: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "mig_cli.cli",
        "tag",
        str(pool),
        "-o",
        str(out),
        "--tagger",
        "llm",
        "--model",
        "fake-model",
        "--base-url",
        base_url,
        "--batch-size",
        "4",
        "--concurrency",
        "1",
    ]


def test_kill_minus_nine_then_resume_gives_the_same_file(tmp_path):
    words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"]
    pool = write(
        tmp_path / "p.jsonl",
        [
            chat(i, f"{words[i % 8]}ing {words[(i * 3) % 8]}ed question {i:03d} number")
            for i in range(48)
        ],
    )
    env = {**os.environ, "MIG_NO_PROGRESS": "1"}
    with FakeOpenAI(jitter=0.04, max_requests=5000) as server:
        reference = tmp_path / "ref.jsonl"
        done = subprocess.run(
            _tag_cmd(pool, reference, server.base_url), env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        out = tmp_path / "out.jsonl"
        checkpoint = tmp_path / ".out.jsonl.mig-checkpoint"
        child = subprocess.Popen(
            _tag_cmd(pool, out, server.base_url),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.time() + 60
        while time.time() < deadline:  # wait until some (not all) batches are saved
            if checkpoint.exists() and checkpoint.read_bytes().count(b"\n") >= 4:
                break
            time.sleep(0.02)
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        assert not out.exists(), "killed before the end: no output yet"
        saved = checkpoint.read_bytes().count(b"\n") - 1
        assert 0 < saved < 12
        before = len(server.requests)
        resumed = subprocess.run(
            _tag_cmd(pool, out, server.base_url), env=env, capture_output=True, text=True
        )
        assert resumed.returncode == 0, resumed.stderr
        assert "resumed" in resumed.stderr
        # finished rows are not tagged again
        assert len(server.requests) - before <= 48 - 4 * saved + 4
    assert out.read_bytes() == reference.read_bytes()
    assert not checkpoint.exists()


def test_checkpoint_from_another_run_is_discarded_with_a_warning(tmp_path):
    pool = write(tmp_path / "p.jsonl", [chat(i, f"q{i}") for i in range(3)])
    out = tmp_path / "o.jsonl"
    stale = '{"header": {"other": 1}}\n{"batch": 0, "values": [["stale"]], "skipped": []}\n'
    (tmp_path / ".o.jsonl.mig-checkpoint").write_text(stale)
    result = run("tag", pool, "-o", out, "--tagger", "field", "--from", "meta.tags")
    assert result.exit_code == 0 and "discarded" in result.stderr
    assert [r["labels"] for r in read(out)] == [["python programming", "sql"]] * 3
    assert not (tmp_path / ".o.jsonl.mig-checkpoint").exists()
    # the warning names what changed: here the annotator's source field only
    run_one = run("tag", pool, "-o", out, "--tagger", "field", "--from", "meta.tags")
    assert run_one.exit_code == 0
    header = {"header": _header_of(pool, "meta.other")}  # the same run but for --from
    lines = [json.dumps(header), '{"batch": 0, "values": [["x"]], "skipped": []}']
    (tmp_path / ".o.jsonl.mig-checkpoint").write_text("\n".join(lines) + "\n")
    again = run("tag", pool, "-o", out, "--tagger", "field", "--from", "meta.tags")
    assert again.exit_code == 0 and "changed: annotator.from" in again.stderr, again.stderr


def _header_of(pool, source_field):
    from mig_cli.records.rows import content_hash

    return {
        "version": 2,
        "input": content_hash(str(pool)),
        "field": "labels",
        "annotator": {"tagger": "field", "from": source_field},
        "batch_size": 4096,
        "strict": False,
    }


@pytest.mark.slow
def test_taxonomy_tagger_on_real_records(tmp_path):
    """The offline default tagger with the real bundled model on real records."""
    source = Path(__file__).resolve().parents[2] / "data" / "sample-pool.jsonl"
    lines = source.read_text().splitlines()
    picked = {}
    for line in lines:
        r = json.loads(line)
        picked.setdefault(r["source"], r)
    pool = write(tmp_path / "p.jsonl", list(picked.values()))
    out = tmp_path / "t.jsonl"
    result = run("tag", pool, "-o", out, "--top-k", "4")
    assert result.exit_code == 0, result.output
    by_source = {r["source"]: r["labels"] for r in read(out)}
    assert all(by_source.values())
    assert any("math" in t or "arithmetic" in t for t in by_source["gsm8k"])
    assert any("cod" in t or "programming" in t for t in by_source["gpteacher-codegen"])
    # the turns are read too: a conversation's shape comes after the request's own tags
    chat = exchanges("What is the capital of Italy?", "Rome.", "And of Spain?", "Madrid.")
    result = run("tag", write(tmp_path / "c.jsonl", [chat]), "-o", tmp_path / "c.t.jsonl")
    assert result.exit_code == 0, result.output
    labels = read(tmp_path / "c.t.jsonl")[0]["labels"]
    assert labels[-2:] == ["multi-turn conversation", "short answer"]
    assert not any("translation" in t for t in labels)


class KeywordEmbedder:
    """A deterministic stand-in for the embedding model: one axis per keyword."""

    KEYWORDS = ["python", "sql", "poem", "math"]
    seen: list[str] = []

    def __init__(self, model=None, **kw):
        self.name = model or "keyword-test"
        self.key = "keyword-test"

    def encode(self, texts, on_batch=None):
        import numpy as np

        KeywordEmbedder.seen.extend(texts)
        vecs = np.full((len(texts), len(self.KEYWORDS) + 1), 0.05, dtype=np.float32)
        for i, t in enumerate(texts):
            for j, k in enumerate(self.KEYWORDS):
                if k in t.lower():
                    vecs[i, j] = 1.0
        return vecs / np.linalg.norm(vecs, axis=1, keepdims=True)


@pytest.mark.parametrize(
    "mode,expected_text",
    [
        ("first-user", "write python code"),
        ("all-user", "write python code\n\nnow some sql"),
        ("all", "user: write python code\nassistant: ok\nuser: now some sql\nassistant: done"),
    ],
)
def test_vocab_tagger_and_text_modes(tmp_path, monkeypatch, mode, expected_text):
    monkeypatch.setattr("mig_cli.annotate.embedding.Embedder", KeywordEmbedder)
    KeywordEmbedder.seen = []
    vocab = tmp_path / "tags.txt"
    vocab.write_text("# my tags\nPython Programming\nsql query\n\npoem writing\n")
    rec = exchanges("write python code", "ok", "now some sql", "done")
    pool = write(tmp_path / "p.jsonl", [rec])
    out = tmp_path / "o.jsonl"
    result = run(
        "tag",
        pool,
        "-o",
        out,
        "--tagger",
        "vocab",
        "--vocab",
        vocab,
        "--text",
        mode,
        "--top-k",
        "2",
        "--min-similarity",
        "0.5",
    )
    assert result.exit_code == 0, result.output
    assert expected_text in KeywordEmbedder.seen
    labels = read(out)[0]["labels"]
    assert labels[0] == "python programming"
    assert ("sql query" in labels) == (mode != "first-user")
    assert "multi-turn conversation" not in labels  # shape labels are the taxonomy tagger's


def test_vocab_tagger_bad_vocab_file(tmp_path, monkeypatch):
    monkeypatch.setattr("mig_cli.annotate.embedding.Embedder", KeywordEmbedder)
    pool = write(tmp_path / "p.jsonl", [chat(0, "python")])
    result = run(
        "tag",
        pool,
        "-o",
        tmp_path / "o.jsonl",
        "--tagger",
        "vocab",
        "--vocab",
        tmp_path / "missing.txt",
    )
    assert result.exit_code == 1 and "missing.txt" in result.stderr
    result = run("tag", pool, "-o", tmp_path / "o.jsonl", "--tagger", "vocab")
    assert result.exit_code == 2 and "--vocab" in result.stderr


@pytest.mark.parametrize("command", ["tag", "score"])
def test_a_model_path_that_does_not_exist_is_a_usage_error(tmp_path, command):
    pool = write(tmp_path / "p.jsonl", [chat(0, "Hello there")])
    out = tmp_path / "o.jsonl"
    result = run(command, pool, "-o", out, "--model", str(tmp_path / "no-such-model"))
    assert result.exit_code == 2 and "no such folder" in result.output
    assert not out.exists()


def test_a_hub_name_not_in_the_cache_says_how_to_get_it():
    from mig_cli.annotate.embedding import _local_folder, looks_like_path
    from mig_cli.errors import ModelError

    assert looks_like_path("./m") and looks_like_path("/m") and looks_like_path("a/b/c")
    assert not looks_like_path("sentence-transformers/all-mpnet-base-v2")
    with pytest.raises(ModelError, match="nothing is downloaded at run time"):
        _local_folder("no-such-org/no-such-model-xyz")
