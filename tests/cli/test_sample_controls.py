"""`mig sample` selection controls through the CLI: nested sizes, filters, budget, quotas,
manifests and replay."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from mig_cli.annotate.costs import record_costs
from mig_cli.cli import app
from mig_cli.records.annotations import read_annotations
from mig_cli.records.formats import read_pool
from mig_cli.records.graph_files import read_graph
from mig_cli.selection.phi import PowPhi
from mig_cli.selection.sampler import information
from mig_cli.selection.selection import select, state_of

runner = CliRunner()
LABELS = ["python programming", "sql query", "arithmetic word problem", "role play", "poem"]


def run(*args, input=None):
    return runner.invoke(app, [str(a) for a in args], input=input, catch_exceptions=False)


@pytest.fixture
def pool(tmp_path: Path) -> Path:
    """120 records from three sources, with ids and chat text of varied length."""
    rng = np.random.default_rng(3)
    path = tmp_path / "pool.jsonl"
    with path.open("w") as fh:
        for i in range(120):
            labels = [LABELS[j] for j in rng.choice(5, int(rng.integers(1, 3)), replace=False)]
            record = {
                "id": f"r{i}",
                "source": ["alpaca", "flan", "math"][i % 3],
                "messages": [
                    {"role": "user", "content": "question " * int(rng.integers(1, 30))},
                    {"role": "assistant", "content": "answer words " * int(rng.integers(1, 60))},
                ],
                "labels": labels,
                "score": round(float(rng.uniform(1, 36)), 3),
                "n_tokens": int(rng.integers(10, 400)),
            }
            fh.write(json.dumps(record) + "\n")
    return path


def api_rows(pool: Path, graph: Path, k, **kw) -> list[int]:
    ann = read_annotations(read_pool(str(pool)))
    return select(ann, k, graph=read_graph(str(graph)), **kw).rows.tolist()


def ids_of(path: Path) -> list[str]:
    return [json.loads(line)["id"] for line in path.read_text().splitlines()]


def test_nested_sizes_write_each_prefix_and_the_ranking_lists_the_whole_order(
    pool, tiny_graph, tmp_path
):
    out = tmp_path / "subset.jsonl"
    ranking = tmp_path / "ranking.csv"
    result = run(
        "sample", pool, "-k", "40,10,25", "--graph", tiny_graph, "-o", out, "--ranking", ranking
    )
    assert result.exit_code == 0, result.output
    lines = pool.read_bytes().splitlines(keepends=True)
    order = api_rows(pool, tiny_graph, 40)
    for k in (10, 25, 40):
        part = tmp_path / f"subset.k{k}.jsonl"
        assert part.read_bytes() == b"".join(lines[r] for r in order[:k])
        assert api_rows(pool, tiny_graph, k) == order[:k]  # nested: the smaller runs agree
        manifest = json.loads((tmp_path / f"subset.k{k}.manifest.json").read_text())
        assert manifest["subset"]["rows"] == order[:k]
    assert not out.exists()
    table = ranking.read_text().splitlines()
    assert len(table) == 41 and table[0].replace('"', "") == "row,id,rank,gain,duplicates_skipped"
    assert [int(x.split(",")[0]) for x in table[1:]] == order


def test_several_sizes_need_a_file(pool, tiny_graph):
    result = run("sample", pool, "-k", "5,10", "--graph", tiny_graph, "-o", "-")
    assert result.exit_code == 2 and "several sizes" in result.output


def test_min_score_never_picks_low_scores(pool, tiny_graph, tmp_path):
    out = tmp_path / "s.jsonl"
    result = run("sample", pool, "-k", "30", "--graph", tiny_graph, "-o", out, "--min-score", 20)
    assert result.exit_code == 0, result.output
    scores = [json.loads(x)["score"] for x in out.read_text().splitlines()]
    assert len(scores) == 30 and min(scores) >= 20
    expected = api_rows(pool, tiny_graph, 30, min_score=20.0)
    assert ids_of(out) == [f"r{r}" for r in expected]
    manifest = json.loads((tmp_path / "s.manifest.json").read_text())
    below = sum(1 for x in pool.read_text().splitlines() if json.loads(x)["score"] < 20)
    assert manifest["counts"]["below_min_score"] == below > 0


def test_manifest_records_inputs_options_graph_and_information(pool, tiny_graph, tmp_path):
    out = tmp_path / "subset.jsonl"
    result = run(
        "sample", pool, "-k", "12", "--graph", tiny_graph, "-o", out, "--seed", 4, "--dedup", "none"
    )
    assert result.exit_code == 0, result.output
    m = json.loads((tmp_path / "subset.manifest.json").read_text())
    assert m["format"] == "mig-manifest" and m["mig_version"]
    assert m["inputs"]["pool"]["sha256"] == hashlib.sha256(pool.read_bytes()).hexdigest()
    nodes = (tiny_graph / "nodes.parquet").read_bytes()
    assert m["inputs"]["graph_dir"]["files"]["nodes.parquet"] == hashlib.sha256(nodes).hexdigest()
    assert m["graph"]["fingerprint"].startswith("sha256:") and m["graph"]["nodes"] == 5
    assert m["options"]["k"] == "12" and m["options"]["seed"] == 4 == m["seed"]
    assert m["options"]["pool"] == str(pool.resolve())
    assert m["annotations"]["tagger"].startswith("unknown")
    assert m["subset"]["ids"] == ids_of(out)
    assert m["counts"] == {"pool": 120, "selected": 12}
    ann = read_annotations(read_pool(str(out)))
    x = state_of(ann, read_graph(str(tiny_graph)))
    assert m["information"] == pytest.approx(information(x, PowPhi()), rel=1e-9)


def test_replay_identical_and_first_difference(pool, tiny_graph, tmp_path, monkeypatch):
    out = tmp_path / "subset.jsonl"
    assert run("sample", pool, "-k", "15", "--graph", tiny_graph, "-o", out).exit_code == 0
    manifest = tmp_path / "subset.manifest.json"
    monkeypatch.chdir(tmp_path.parent)  # replay works from another folder
    result = run("sample", "--replay", manifest)
    assert result.exit_code == 0, result.output
    assert "replayed: identical (15 records in the same order" in result.stderr
    data = json.loads(manifest.read_text())
    data["subset"]["ids"][3], data["subset"]["ids"][4] = (
        data["subset"]["ids"][4],
        data["subset"]["ids"][3],
    )
    tampered = tmp_path / "tampered.manifest.json"
    tampered.write_text(json.dumps(data))
    result = run("sample", "--replay", tampered)
    assert result.exit_code == 1
    assert "Error: replay differs" in result.stderr and "position 4" in result.stderr


def test_replay_of_a_changed_pool_warns_and_fails(pool, tiny_graph, tmp_path):
    out = tmp_path / "subset.jsonl"
    assert run("sample", pool, "-k", "15", "--graph", tiny_graph, "-o", out).exit_code == 0
    records = [json.loads(x) for x in pool.read_text().splitlines()]
    best = json.loads(out.read_text().splitlines()[0])["id"]
    for r in records:
        if r["id"] == best:
            r["score"] = 0.0
    pool.write_text("".join(json.dumps(r) + "\n" for r in records))
    result = run("sample", "--replay", tmp_path / "subset.manifest.json")
    assert result.exit_code == 1
    assert "has changed since the manifest" in result.stderr
    assert f"position 1: manifest has '{best}'" in result.stderr


def test_replay_with_a_budget_quota_and_config_table(pool, tiny_graph, tmp_path):
    config = tmp_path / "run.toml"
    config.write_text(
        '[sample]\nmin_score = 2\n[sample.quota]\nfield = "source"\n'
        'max_share = { "*" = 0.4 }\nmin_count = { math = 5 }\n'
    )
    out = tmp_path / "b.jsonl"
    args = ["--budget-tokens", 3000, "--cost", "n_tokens", "--config", config]
    result = run("sample", pool, "--graph", tiny_graph, "-o", out, *args)
    assert result.exit_code == 0, result.output
    m = json.loads((tmp_path / "b.manifest.json").read_text())
    assert m["quota"]["max_share"] == {"*": 0.4} and m["quota"]["min_count"] == {"math": 5}
    assert m["config"]["sample"]["quota"]["field"] == "source"
    assert m["cost"]["total"] <= 3000 and m["budget"] == 3000
    config.write_text("[sample]\nmin_score = 30\n")  # replay uses the resolved options
    result = run("sample", "--replay", tmp_path / "b.manifest.json")
    assert result.exit_code == 0, result.output
    assert "replayed: identical" in result.stderr


def test_given_accepts_a_manifest(pool, tiny_graph, tmp_path):
    first = tmp_path / "first.jsonl"
    assert run("sample", pool, "-k", "10", "--graph", tiny_graph, "-o", first).exit_code == 0
    by_subset, by_manifest = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    common = ["-k", "10", "--graph", tiny_graph]
    assert run("sample", pool, *common, "--given", first, "-o", by_subset).exit_code == 0
    manifest = tmp_path / "first.manifest.json"
    result = run("sample", pool, *common, "--given", manifest, "-o", by_manifest)
    assert result.exit_code == 0, result.output
    assert ids_of(by_manifest) == ids_of(by_subset)
    assert not set(ids_of(by_manifest)) & set(ids_of(first))


def test_include_first_in_file_order_and_exclude_never(pool, tiny_graph, tmp_path):
    lines = pool.read_text().splitlines(keepends=True)
    inc, exc = tmp_path / "inc.jsonl", tmp_path / "exc.jsonl"
    inc.write_text(lines[77] + lines[5] + lines[40])
    order = api_rows(pool, tiny_graph, 20)
    exc.write_text("".join(lines[r] for r in order[:5]))
    out = tmp_path / "s.jsonl"
    result = run(
        "sample",
        pool,
        "-k",
        20,
        "--graph",
        tiny_graph,
        "-o",
        out,
        "--include",
        inc,
        "--exclude",
        exc,
    )
    assert result.exit_code == 0, result.output
    got = ids_of(out)
    assert got[:3] == ["r77", "r5", "r40"] and len(got) == 20
    assert not {f"r{r}" for r in order[:5]} & set(got)
    mask = np.zeros(120, dtype=bool)
    mask[order[:5]] = True
    expected = api_rows(pool, tiny_graph, 20, include=[77, 5, 40], exclude=mask)
    assert got == [f"r{r}" for r in expected]
    stranger = tmp_path / "stranger.jsonl"
    stranger.write_text(json.dumps({"id": "nope", "labels": [], "score": 1}) + "\n")
    result = run("sample", pool, "-k", 5, "--graph", tiny_graph, "-o", out, "--include", stranger)
    assert (
        result.exit_code == 1
        and "stranger.jsonl:1: --include: this record is not in the pool" in result.stderr
    )


@pytest.mark.parametrize("cost", ["chars", "n_tokens", "tokens"])
def test_budget_keeps_the_total_cost_under_it_and_matches_the_api(pool, tiny_graph, tmp_path, cost):
    out = tmp_path / "s.jsonl"
    result = run(
        "sample", pool, "--graph", tiny_graph, "-o", out, "--budget-tokens", 2000, "--cost", cost
    )
    assert result.exit_code == 0, result.output
    data = read_pool(str(pool))
    costs, _ = record_costs(data, cost)
    expected = api_rows(pool, tiny_graph, None, cost=costs, budget=2000)
    got = ids_of(out)
    assert got == [f"r{r}" for r in expected]
    assert costs[expected].sum() <= 2000 < costs.sum()
    m = json.loads((tmp_path / "s.manifest.json").read_text())
    assert m["cost"]["total"] == pytest.approx(costs[expected].sum())
    assert f"{cost} of 2,000" in result.stderr


def test_tokens_are_counted_by_the_bundled_tokenizer_and_cached(pool, tiny_graph, tmp_path):
    tokenizers = pytest.importorskip("tokenizers")
    from mig_cli.annotate.embedding import bundled_model_path

    folder = bundled_model_path()
    if folder is None:
        pytest.skip("bundled model not installed")
    tok = tokenizers.Tokenizer.from_file(str(Path(folder) / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    records = [json.loads(x) for x in pool.read_text().splitlines()]
    texts = ["\n".join(t["content"] for t in r["messages"]) for r in records]
    data = read_pool(str(pool))
    costs, info = record_costs(data, "tokens")
    expected = [len(tok.encode(t, add_special_tokens=False).ids) for t in texts]
    assert costs.tolist() == expected
    assert max(expected) > 128  # the model's 128-token truncation is off for counting
    again, info2 = record_costs(data, "tokens")
    assert (again == costs).all() and info2["cached"] == 120 and info2["counted"] == 0
    out = tmp_path / "s.jsonl"
    args = ["--budget-tokens", 3000, "--tokenizer", str(Path(folder) / "tokenizer.json")]
    result = run("sample", pool, "--graph", tiny_graph, "-o", out, *args)
    assert result.exit_code == 0, result.output
    m = json.loads((tmp_path / "s.manifest.json").read_text())
    assert m["cost"]["tokenizer_fingerprint"] == info["tokenizer_fingerprint"]


def test_quota_caps_and_minimums_through_the_cli(pool, tiny_graph, tmp_path):
    out = tmp_path / "s.jsonl"
    result = run(
        "sample",
        pool,
        "-k",
        30,
        "--graph",
        tiny_graph,
        "-o",
        out,
        "--quota",
        "source",
        "--max-share",
        "*=0.4",
        "--max-share",
        "flan=0.2",
        "--min-count",
        "math=9",
    )
    assert result.exit_code == 0, result.output
    sources = [json.loads(x)["source"] for x in out.read_text().splitlines()]
    assert sources[:9] == ["math"] * 9
    assert sources.count("flan") <= 6 and max(sources.count(s) for s in set(sources)) <= 12
    m = json.loads((tmp_path / "s.manifest.json").read_text())
    assert m["quota"]["groups"] == {s: sources.count(s) for s in set(sources)}


def test_infeasible_quotas_exit_1_before_selection(pool, tiny_graph, tmp_path):
    out = tmp_path / "s.jsonl"
    result = run(
        "sample",
        pool,
        "-k",
        30,
        "--graph",
        tiny_graph,
        "-o",
        out,
        "--quota",
        "source",
        "--min-count",
        "math=41",
        "--dedup",
        "none",  # the fixture repeats a few conversations; count every record here
    )
    assert result.exit_code == 1
    assert "Error: --min-count math=41 cannot be met: the pool has 40 records" in result.stderr
    assert not out.exists() and not (tmp_path / "s.manifest.json").exists()
    result = run(
        "sample",
        pool,
        "-k",
        30,
        "--graph",
        tiny_graph,
        "-o",
        out,
        "--quota",
        "source",
        "--max-share",
        "nope=0.1",
    )
    assert result.exit_code == 1 and "no record has source = 'nope'" in result.stderr


@pytest.mark.parametrize(
    "args,message",
    [
        ([], "give -k, --budget-tokens, or both"),
        (["-k", 5, "--max-share", "a=0.2"], "need --quota FIELD"),
        (["-k", 5, "--quota", "source", "--max-share", "a:0.2"], "is not VALUE="),
        (["-k", 5, "--quota", "source", "--min-count", "math=x"], "is not VALUE="),
    ],
)
def test_usage_errors(pool, tiny_graph, args, message):
    result = run("sample", pool, "--graph", tiny_graph, "-o", "-", *args)
    assert result.exit_code == 2 and message in result.output


def test_empty_text_costs_nothing_and_is_a_data_error(tmp_path, tiny_graph):
    path = tmp_path / "p.jsonl"
    rows = [
        {"messages": [{"role": "user", "content": "hello there"}], "labels": ["poem"], "score": 1},
        {"messages": [{"role": "user", "content": ""}], "labels": ["poem"], "score": 2},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    result = run("sample", path, "--graph", tiny_graph, "--budget-tokens", 10, "--cost", "chars")
    assert result.exit_code == 1 and "p.jsonl:2: the record's text is empty" in result.stderr


def test_bare_min_count_points_to_graph_min_count(pool, tiny_graph, tmp_path):
    result = run("sample", pool, "-k", 5, "--graph", tiny_graph, "--min-count", 2)
    assert result.exit_code == 2 and "--graph-min-count" in result.output


def test_budget_with_a_baseline_and_too_many_includes_are_usage_errors(pool, tiny_graph, tmp_path):
    result = run(
        "sample", pool, "--method", "top-score", "--budget-tokens", 100, "--cost", "n_tokens"
    )
    assert result.exit_code == 2 and "--method mig only" in result.output
    inc = tmp_path / "inc.jsonl"
    inc.write_text("".join(pool.read_text().splitlines(keepends=True)[:6]))
    result = run("sample", pool, "-k", 5, "--graph", tiny_graph, "--include", inc, "-o", "-")
    assert result.exit_code == 2 and "more than K=5" in result.output


def test_stdout_runs_write_a_manifest_only_when_asked_and_stdin_cannot_be_replayed(
    pool, tiny_graph, tmp_path
):
    where = tmp_path / "m.manifest.json"
    result = run(
        "sample", "-", "-k", 4, "--graph", tiny_graph, "--manifest", where, input=pool.read_text()
    )
    assert result.exit_code == 0, result.output
    m = json.loads(where.read_text())
    assert m["inputs"]["pool"] == {"path": "<stdin>", "sha256": None}
    assert m["subset"]["path"] == "<stdout>" and len(m["subset"]["ids"]) == 4
    assert [json.loads(x)["id"] for x in result.stdout.splitlines()] == m["subset"]["ids"]
    result = run("sample", "--replay", where)
    assert result.exit_code == 1 and "read from stdin" in result.stderr


def test_k_larger_than_what_min_score_leaves_is_a_usage_error(pool, tiny_graph):
    result = run("sample", pool, "-k", 100, "--graph", tiny_graph, "--min-score", 30, "-o", "-")
    assert result.exit_code == 2
    assert "K=100 is larger than the pool" in result.output and "--min-score" in result.output


def test_tokenizer_folder_bad_tokenizer_and_missing_cost_field(pool, tiny_graph, tmp_path):
    from mig_cli.annotate.embedding import bundled_model_path

    folder = bundled_model_path()
    if folder is None:
        pytest.skip("bundled model not installed")
    out = tmp_path / "s.jsonl"
    budget = ["--budget-tokens", 2500, "-o", out]
    result = run("sample", pool, "--graph", tiny_graph, *budget, "--tokenizer", folder)
    assert result.exit_code == 0, result.output
    default = tmp_path / "d.jsonl"
    result = run("sample", pool, "--graph", tiny_graph, "--budget-tokens", 2500, "-o", default)
    assert ids_of(out) == ids_of(default)  # the folder is the default tokenizer
    result = run("sample", pool, "--graph", tiny_graph, *budget, "--tokenizer", tmp_path)
    assert result.exit_code == 1 and "Error: cannot load tokenizer" in result.stderr
    result = run("sample", pool, "--graph", tiny_graph, *budget, "--cost", "nope")
    assert result.exit_code == 1
    assert "pool.jsonl:1: field 'nope': the cost must be a number > 0" in result.stderr
