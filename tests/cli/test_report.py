"""`mig report` through the CLI: the numbers behind the charts equal `mig stats`; bad input."""

from __future__ import annotations

import csv
import json
import re

import pytest

from tests.report.run_fixtures import make_run, report_payload, run


@pytest.fixture
def sampled(tiny_pool, tiny_graph, tmp_path):
    return make_run(tiny_pool, tiny_graph, tmp_path)


def make_report(sampled, out, *extra):
    args = [
        "report",
        sampled["pool"],
        sampled["mig"],
        sampled["random"],
        sampled["top-score"],
        "--graph",
        sampled["graph"],
        "--by",
        "source",
        "--ranking",
        sampled["ranking"],
        "-o",
        out,
        *extra,
    ]
    result = run(*args)
    assert result.exit_code == 0, result.output
    return out.read_text()


def test_report_numbers_equal_mig_stats(sampled, tmp_path):
    html = make_report(sampled, tmp_path / "report.html")
    data = report_payload(html)
    paths = [sampled[k] for k in ("pool", "mig", "random", "top-score")]
    stats = json.loads(run("stats", *paths, "--graph", sampled["graph"], "--json").stdout)
    for ours, theirs in zip(data["inputs"], stats["inputs"]):
        for key in (
            "records",
            "labelled_records",
            "distinct_labels",
            "covered_nodes",
            "node_coverage",
            "label_entropy",
            "score_mean",
            "score_p50",
        ):
            assert ours[key] == pytest.approx(theirs[key]), key
        assert ours["information"] == pytest.approx(theirs["information"], rel=1e-12)
        assert ours["top_labels"] == theirs["top_labels"]
    # each subset's curve ends at its I(D) and coverage; starts at 0 records
    subsets = [c for c in data["curves"] if c["kind"] == "subset"]
    assert [c["name"] for c in subsets] == [
        "subset-mig.jsonl",
        "subset-random.jsonl",
        "subset-top-score.jsonl",
    ]
    for curve, theirs in zip(subsets, stats["inputs"][1:]):
        assert curve["taken"][0] == 0 and curve["taken"][-1] == theirs["records"]
        assert curve["information"][-1] == pytest.approx(theirs["information"], rel=1e-12)
        assert curve["covered"][-1] == theirs["covered_nodes"]
    # gains of the MIG subset come from its ranking file, the others are recomputed
    with open(sampled["ranking"]) as fh:
        ranked = [float(r["gain"]) for r in csv.DictReader(fh)]
    gains = {g["name"]: g for g in data["gains"]}
    assert gains["subset-mig.jsonl"]["source"] == "ranking"
    assert gains["subset-mig.jsonl"]["mean"] == pytest.approx(ranked)
    assert gains["subset-random.jsonl"]["source"] == "recomputed"
    # the random subset was drawn with seed 3, the baseline with seed 0: both drawn;
    # the top-score subset *is* the top-score order, so no second line for it
    baselines = [c["name"] for c in data["curves"] if c["kind"] == "baseline"]
    assert baselines == ["random (seed 0), recomputed"]
    assert data["same_as"] == {"subset-top-score.jsonl": "top-score"}
    # composition by source: shares per input sum to 1 and match a direct count
    by = data["compositions"][0]
    assert by["by"] == "source" and "(missing)" in by["categories"]
    records = [json.loads(x) for x in sampled["mig"].read_text().splitlines()]
    for category, share in zip(by["categories"], by["shares"][1]):
        value = category if category != "(missing)" else None
        assert share == pytest.approx(sum(r["source"] == value for r in records) / len(records))
    assert all(sum(s) == pytest.approx(1.0) for s in by["shares"])
    # left out: MIG never takes score-0 or unlabelled records (k=10 of 30 leaves room)
    pool = [json.loads(x) for x in sampled["pool"].read_text().splitlines()]
    never = sum(1 for r in pool if r["score"] == 0 or not r["labels"])
    assert data["pool_never"]["either"] == never > 0
    left = {lo["name"]: lo for lo in data["left_out"]}
    assert left["subset-mig.jsonl"]["unlabelled_taken"] == 0
    assert left["subset-mig.jsonl"]["zero_score_taken"] == 0
    assert left["subset-mig.jsonl"]["not_taken"] == 20
    # the label graph section is the graph summary
    summary = json.loads(run("graph", "summary", sampled["graph"], "--json").stdout)
    for key in ("nodes", "edges", "components", "isolated", "largest_component"):
        assert data["graph"][key] == summary[key]
    # score components found in the records
    assert [c["name"] for c in data["components"]] == ["length", "quality"]
    assert data["components"][0]["means"][0] == pytest.approx(sum(range(30)) / 3 / 30)


def test_manifest_agrees_without_a_warning(sampled, tmp_path):
    out = tmp_path / "r.html"
    result = run("report", sampled["pool"], sampled["mig"], "--graph", sampled["graph"], "-o", out)
    assert result.exit_code == 0 and "Warning" not in result.stderr
    assert "method mig (manifest)" in out.read_text()


def test_report_is_self_contained(sampled, tmp_path):
    import os

    html = make_report(sampled, tmp_path / "report.html")
    mask = os.umask(0)
    os.umask(mask)
    assert (tmp_path / "report.html").stat().st_mode & 0o777 == 0o666 & ~mask  # shareable
    assert html.startswith("<!DOCTYPE html>")
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    assert html.count("<svg") >= 9
    # nothing is fetched: no external src/href, no <link>, no remote url outside SVG namespaces
    assert not re.search(r"<(link|iframe|object|embed)\b", html)
    assert not re.search(r"\b(src|href)\s*=\s*['\"]?(https?:|//)", html)
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", html))
    assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}, urls
    # svg ids are unique across the page (every figure has its own id salt)
    ids = re.findall(r"\bid=\"([^\"]+)\"", html)
    assert len(ids) == len(set(ids))
    # the header names every input with its sha256
    import hashlib

    digest = hashlib.sha256(sampled["pool"].read_bytes()).hexdigest()
    assert digest in html and "Made by mig 0.1.0" in html


def test_report_without_graph_or_ranking_recomputes(sampled, tmp_path):
    out = tmp_path / "r.html"
    result = run(
        "report", sampled["pool"], sampled["mig"], "-o", out, "--baselines", "mig,random,top-score"
    )
    assert result.exit_code == 0, result.output
    data = report_payload(out.read_text())
    stats = json.loads(run("stats", sampled["pool"], sampled["mig"], "--json").stdout)
    assert data["inputs"][1]["information"] == pytest.approx(stats["inputs"][1]["information"])
    assert data["graph"]["given"] is False and data["graph"]["edges"] == 0
    assert data["gains"][0]["source"] == "recomputed"
    assert {c["name"] for c in data["curves"] if c["kind"] == "baseline"} == {
        "mig, recomputed",
        "random (seed 0), recomputed",
        "top-score, recomputed",
    }
    assert "No <code>--graph</code> given" in out.read_text()
    # the MIG subset's manifest recorded I(D) over the graph: this page, without it, differs
    assert "its manifest says I(D) =" in result.stderr
    assert "its manifest says I(D) =" in out.read_text()


def test_parquet_pool_and_subset_matched_by_content(sampled, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    pool = [json.loads(x) for x in sampled["pool"].read_text().splitlines()]
    for r in pool:
        del r["id"]
        r["source"] = r["source"] or "none"
    pq.write_table(pa.Table.from_pylist(pool), tmp_path / "pool.parquet")
    result = run(
        "sample",
        tmp_path / "pool.parquet",
        "-k",
        "6",
        "--graph",
        sampled["graph"],
        "-o",
        tmp_path / "s.parquet",
    )
    assert result.exit_code == 0, result.output
    out = tmp_path / "r.html"
    args = ["report", tmp_path / "pool.parquet", tmp_path / "s.parquet", "-o", out]
    result = run(*args, "--graph", sampled["graph"])
    assert result.exit_code == 0, result.output
    assert "rows from its manifest, checked record by record" in out.read_text()
    (tmp_path / "s.manifest.json").unlink()  # without it: matched against the whole pool
    result = run(*args, "--graph", sampled["graph"])
    assert result.exit_code == 0, result.output
    html = out.read_text()
    assert "matched by content" in html
    stats = json.loads(
        run("stats", tmp_path / "s.parquet", "--graph", sampled["graph"], "--json").stdout
    )
    assert report_payload(html)["inputs"][1]["information"] == pytest.approx(
        stats["inputs"][0]["information"]
    )


def one_line_error(result, code=1):
    assert result.exit_code == code, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]


def test_bad_inputs_give_one_line_and_no_file(sampled, tmp_path):
    out = tmp_path / "r.html"
    stranger = tmp_path / "stranger.jsonl"
    lines = sampled["mig"].read_text().splitlines()
    record = json.loads(lines[2])
    record["id"] = "not-in-pool"
    stranger.write_text("\n".join([lines[0], lines[1], json.dumps(record)]) + "\n")
    line = one_line_error(run("report", sampled["pool"], stranger, "-o", out))
    assert f"{stranger}:3:" in line and "this record is not in the pool" in line
    # a ranking of another subset
    line = one_line_error(
        run(
            "report", sampled["pool"], sampled["random"], "--ranking", sampled["ranking"], "-o", out
        )
    )
    assert "ranking-mig.csv" in line and "not the ranking of this subset" in line
    line = one_line_error(run("report", sampled["pool"], sampled["mig"], "--by", "nope", "-o", out))
    assert "no record has the field 'nope'" in line
    line = one_line_error(
        run("report", sampled["pool"], sampled["mig"], "--graph", tmp_path / "missing", "-o", out)
    )
    assert "no such graph folder" in line
    assert not out.exists() and not list(tmp_path.glob(".r.html*"))


def test_bad_options_are_usage_errors(sampled, tmp_path):
    out = tmp_path / "r.html"
    result = run("report", sampled["pool"], sampled["mig"], "-o", out, "--baselines", "greedy")
    assert result.exit_code == 2 and "'greedy' is not one of" in result.output
    result = run("report", sampled["pool"], sampled["mig"], "-o", sampled["mig"])
    assert result.exit_code == 2 and "would overwrite the input" in result.output
    result = run(
        "report",
        sampled["pool"],
        sampled["mig"],
        "-o",
        out,
        "--ranking",
        sampled["ranking"],
        "--ranking",
        sampled["ranking"],
    )
    assert result.exit_code == 2 and "2 ranking files for 1 subsets" in result.output
    assert not out.exists()


def test_report_help_has_an_example():
    result = run("report", "--help")
    assert (
        result.exit_code == 0 and "Example" in result.stdout and "-o report.html" in result.stdout
    )


def test_duplicates_skipped_read_from_the_ranking_or_the_manifest(sampled, tmp_path):
    """Never required; when the sampler recorded skipped duplicates, the report shows them."""
    rows = list(csv.DictReader(open(sampled["ranking"])))
    ranking = tmp_path / "ranking-dups.csv"
    with open(ranking, "w", newline="") as fh:
        names = [k for k in rows[0] if k != "duplicates_skipped"]  # `mig sample` writes one
        writer = csv.DictWriter(fh, [*names, "duplicates_skipped"])
        writer.writeheader()
        for i, r in enumerate(rows):
            writer.writerow({**r, "duplicates_skipped": 2 if i == 0 else (1 if i == 3 else 0)})
    for name in ("subset-random.manifest.json", "subset-mig.manifest.json"):
        manifest = sampled["mig"].with_name(name)
        body = json.loads(manifest.read_text())
        body["counts"].pop("duplicates_skipped", None)  # as a sampler without --dedup wrote it
        manifest.write_text(json.dumps(body))
    out = tmp_path / "r.html"
    args = [
        "report",
        sampled["pool"],
        sampled["mig"],
        sampled["random"],
        "--graph",
        sampled["graph"],
        "--ranking",
        ranking,
        "-o",
        out,
    ]
    result = run(*args)
    assert result.exit_code == 0, result.output
    left = {lo["name"]: lo for lo in report_payload(out.read_text())["left_out"]}
    assert left["subset-mig.jsonl"]["dedup_skipped"] == 3
    assert left["subset-random.jsonl"]["dedup_skipped"] is None
    assert "not recorded" in out.read_text()
    body = json.loads(manifest.read_text())
    body["counts"]["duplicates_skipped"] = 7
    manifest.write_text(json.dumps(body))
    assert run(*args).exit_code == 0
    left = {lo["name"]: lo for lo in report_payload(out.read_text())["left_out"]}
    assert left["subset-mig.jsonl"]["dedup_skipped"] == 7
    manifest.write_text("{not json")  # a damaged manifest only means fewer notes
    assert run(*args).exit_code == 0
