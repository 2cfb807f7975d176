"""`--engine ray` against the local engine, record by record, on a real local Ray instance.

One Ray instance (2 CPUs) serves the whole module. The fast tests use a keyword embedder that
is shipped to the actors by value (cloudpickle), so that the annotation itself costs nothing
and what is checked is the sharding, ordering, writing and resuming; one test runs the real
bundled model in the actors.
"""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

ray = pytest.importorskip("ray")

from mig_cli.annotate.engine import run_annotation  # noqa: E402
from mig_cli.annotate.labelling import TextTagAnnotator  # noqa: E402
from mig_cli.annotate.ray_engine import RayOptions, run_ray_annotation  # noqa: E402
from mig_cli.annotate.taggers import VocabTagger  # noqa: E402
from mig_cli.annotate.text import TextSource  # noqa: E402
from mig_cli.cli.app import app  # noqa: E402
from mig_cli.errors import MigError  # noqa: E402
from mig_cli.records.rows import iter_rows  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = ["python", "sql", "poem", "math", "story"]


@pytest.fixture(scope="module", autouse=True)
def local_ray():
    """A real local Ray instance with 2 CPUs, started once and shut down at the end."""
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        object_store_memory=128 * 1024**2,
        logging_level="WARNING",
        log_to_driver=False,
    )
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    yield
    ray.shutdown()


class KeywordEmbed:
    """A stand-in embedding: one axis per keyword. Can log what it saw and fail on a marker."""

    def __init__(self, log: str | None = None, fail_on: str | None = None) -> None:
        self.log, self.fail_on = log, fail_on

    def __call__(self, texts):
        if self.fail_on and any(self.fail_on in t for t in texts):
            raise RuntimeError("worker lost")
        if self.log:
            with open(self.log, "a") as fh:
                fh.writelines(t.replace("\n", " ") + "\n" for t in texts)
        vecs = np.full((len(texts), len(KEYWORDS) + 1), 0.05, dtype=np.float32)
        for i, t in enumerate(texts):
            for j, k in enumerate(KEYWORDS):
                if k in t.lower():
                    vecs[i, j] = 1.0
        return vecs / np.linalg.norm(vecs, axis=1, keepdims=True)


def keyword_annotator(log: str | None = None, fail_on: str | None = None) -> TextTagAnnotator:
    """The recipe an actor runs: everything is built inside the actor."""
    tagger = VocabTagger(
        KeywordEmbed(log, fail_on),
        KEYWORDS,
        top_k=2,
        min_similarity=0.3,
        tag_embed=KeywordEmbed(),
    )
    source = TextSource("first-user", None, 200)
    return TextTagAnnotator(tagger, "vocab", source, {"vocab": KEYWORDS}, "labels")


def write_pool(path: Path, n: int = 150) -> Path:
    lines = []
    for i in range(n):
        if i == 17:
            lines.append("{broken json")  # dropped, reported with its line
            continue
        if i % 23 == 4:
            lines.append("")  # blank: not a row
        text = f"record {i}: {KEYWORDS[i % 5]} " + ("x" * 300 if i % 31 == 0 else "")
        if i % 19 == 7:
            text = "   "  # empty text: skipped with a reason
        answer = {"role": "assistant", "content": "ok " * (i % 9)}
        messages = [{"role": "user", "content": text}, answer]
        lines.append(json.dumps({"id": i, "messages": messages}))
    path.write_text("\n".join(lines) + "\n")
    return path


def line_of(pool: Path, content: str) -> int:
    return pool.read_text().splitlines().index(content) + 1


def run_local(pool: Path, out: Path, batch_size: int):
    return run_annotation(str(pool), str(out), keyword_annotator(), batch_size=batch_size)


def run_ray(pool: Path, out: Path, batch_size: int, factory=keyword_annotator, **kw):
    options = RayOptions(num_workers=2, batches_per_shard=2)
    return run_ray_annotation(
        str(pool),
        str(out),
        keyword_annotator(),
        factory,
        batch_size=batch_size,
        options=options,
        **kw,
    )


def records(path: Path) -> list[dict]:
    return [r.record for r in iter_rows(str(path))]


def test_a_killed_run_redoes_only_unfinished_shards_and_equals_local(tmp_path):
    pool = write_pool(tmp_path / "pool.jsonl", 120)
    local = run_local(pool, tmp_path / "local.jsonl", 8)
    out = tmp_path / "ray.jsonl"
    log = tmp_path / "seen.txt"
    dying = functools.partial(keyword_annotator, log=str(log), fail_on="record 100:")
    with pytest.raises(MigError, match="re-run the same command"):
        run_ray(pool, out, 8, factory=dying)
    assert not out.exists()  # never a partial output
    state = tmp_path / ".ray.jsonl.mig-ray"
    done = {int(p.stem.split("-")[1]) for p in state.glob("part-*.json")}
    assert 6 not in done  # rows 96-111 (record 100) never finished
    log.unlink(missing_ok=True)
    report = run_ray(pool, out, 8, factory=functools.partial(keyword_annotator, log=str(log)))
    # the same bytes as the local engine, and the same report
    assert out.read_bytes() == (tmp_path / "local.jsonl").read_bytes()
    assert (report.rows, report.annotated) == (local.rows, local.annotated)
    assert report.rows == 120 and 100 < report.annotated < 119
    assert report.problems == local.problems
    assert [line for line, _ in report.dropped] == [line_of(pool, "{broken json")]
    # only the unfinished shards were annotated again: shard s holds rows [16s, 16s + 16)
    redone = {int(line.split(":")[0].split()[1]) // 16 for line in log.read_text().splitlines()}
    assert redone == set(range(8)) - done
    assert report.resumed_rows == sum(16 for s in done if s < 7) + (8 if 7 in done else 0)
    assert not state.exists()


def test_strict_reports_the_first_bad_record_of_a_shard(tmp_path):
    from mig_cli.annotate.ray_workers import ShardWorker
    from mig_cli.records.shards import plan_shards

    pool = write_pool(tmp_path / "pool.jsonl", 40)
    shards = plan_shards(str(pool), 16)
    job = {"state": str(tmp_path), "source": "pool.jsonl", "output": "o.jsonl"}
    job.update(field="labels", batch_size=8, strict=True, columns=False)
    worker = ShardWorker(keyword_annotator, job)  # what each actor runs, here in-process
    first, second = (
        json.loads(worker({"shard": [json.dumps(s)]})["summary"][0]) for s in shards[:2]
    )
    broken = line_of(pool, "{broken json")
    assert first["error"].startswith("pool.jsonl:1: text too long") and first["exit"] == 1
    assert second["error"].startswith(f"pool.jsonl:{broken}: not valid JSON")
    job["strict"] = False
    ok = json.loads(
        ShardWorker(keyword_annotator, job)({"shard": [json.dumps(shards[1])]})["summary"][0]
    )
    assert ok["rows"] == 16 and [line for line, _ in ok["dropped"]] == [broken]
    assert (tmp_path / "part-00001.parquet").exists() and (tmp_path / "part-00001.json").exists()


def run_cli(*args) -> object:
    return CliRunner().invoke(app, [str(a) for a in args])


def test_cli_score_on_ray_writes_a_folder_of_shards_every_command_reads(tmp_path):
    pool = write_pool(tmp_path / "pool.jsonl", 90)
    local = run_cli("score", pool, "-o", tmp_path / "local.jsonl", "--batch-size", "5")
    assert local.exit_code == 0, local.output
    args = ["--engine", "ray", "--batch-size", "5", "--num-workers", "2"]
    out = run_cli("score", pool, "-o", tmp_path / "scored", *args)
    assert out.exit_code == 0, out.output
    parts = sorted(p.name for p in (tmp_path / "scored").iterdir())
    assert parts == [f"part-{i:05d}.parquet" for i in range(3)]  # 40 rows per shard
    assert records(tmp_path / "scored") == records(tmp_path / "local.jsonl")
    # the folder is a pool: the local engine reads it (and so does every reader)
    length = ["--scorer", "length"]  # a score of the text alone, whatever it is read from
    again = run_cli("score", tmp_path / "scored", "-o", tmp_path / "again.jsonl", *length)
    plain = run_cli("score", pool, "-o", tmp_path / "plain.jsonl", *length)
    assert again.exit_code == 0 and plain.exit_code == 0, again.output + plain.output
    assert [r["score"] for r in records(tmp_path / "again.jsonl")] == [
        r["score"] for r in records(tmp_path / "plain.jsonl")
    ]


@pytest.mark.slow
def test_cli_tag_with_the_real_model_on_ray_equals_local(tmp_path):
    lines = (ROOT / "data" / "sample-pool.jsonl").read_text().splitlines()[:47]
    for n, q in enumerate(("富士山の高さは？", "猫の飼い方を教えて", "東京でおすすめの公園は？")):
        chat = [{"role": "user", "content": q}, {"role": "assistant", "content": "はい。"}]
        record = {"id": f"ja{n}", "source": "ja", "messages": chat}
        lines.append(json.dumps(record, ensure_ascii=False))
    pool = tmp_path / "pool.jsonl"
    pool.write_text("\n".join(lines) + "\n")
    # different batch sizes: a record's labels must not depend on its batch (FINDINGS #6)
    local = run_cli("tag", pool, "--batch-size", "7", "-o", tmp_path / "local.jsonl")
    assert local.exit_code == 0, local.output
    base = ["tag", pool, "--batch-size", "10"]
    out = run_cli(*base, "-o", tmp_path / "tagged", "--engine", "ray", "--num-workers", "2")
    assert out.exit_code == 0, out.output
    assert len(list((tmp_path / "tagged").glob("part-*.parquet"))) == 1  # 50 rows < 80 per shard
    got, want = records(tmp_path / "tagged"), records(tmp_path / "local.jsonl")
    assert [r["labels"] for r in got] == [r["labels"] for r in want]
    assert got == want
    assert all(r["labels"] for r in got)
    # the script warning counts the actors' records as the local run counts its own
    warning = "3 of the 50 records tagged in this run"
    assert warning in " ".join(local.stderr.split()) and warning in " ".join(out.stderr.split())


def test_usage_errors_exit_2(tmp_path, monkeypatch):
    pool = write_pool(tmp_path / "pool.jsonl", 5)
    piped = CliRunner().invoke(
        app, ["score", "-", "-o", str(tmp_path / "o.jsonl"), "--engine", "ray"], input="{}\n"
    )
    assert piped.exit_code == 2 and "reads a file" in piped.output
    monkeypatch.setitem(sys.modules, "ray", None)  # as if Ray were not installed
    missing = run_cli("score", pool, "-o", tmp_path / "o.jsonl", "--engine", "ray")
    assert missing.exit_code == 2
    assert "pip install 'mig-cli[ray]'" in missing.output
    assert not (tmp_path / "o.jsonl").exists()
