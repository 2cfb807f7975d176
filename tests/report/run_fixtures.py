"""A small run (pool, graph, three subsets, a ranking) made with the real `mig sample`."""

from __future__ import annotations

import json
import re
from pathlib import Path

from typer.testing import CliRunner

from mig_cli.cli import app

runner = CliRunner()


def run(*args, input=None):
    return runner.invoke(app, [str(a) for a in args], input=input, catch_exceptions=False)


def report_payload(html: str) -> dict:
    """The numbers a report embeds (script#mig-report-data)."""
    m = re.search(
        r"<script type='application/json' id='mig-report-data'>(.*?)</script>", html, re.S
    )
    assert m, "no embedded report data"
    return json.loads(m.group(1).replace("<\\/", "</"))


def make_run(tiny_pool: Path, tiny_graph: Path, tmp_path: Path) -> dict[str, Path]:
    """tiny_pool with a `source` field, and MIG / random / top-score subsets of 10 records."""
    lines = tiny_pool.read_text().splitlines()
    with_source = []
    for i, line in enumerate(lines):
        record = json.loads(line)
        record["source"] = ["alpha", "beta", "gamma"][i % 3] if i % 7 else None
        record["score_components"] = {"length": i / 3, "quality": (i % 5) + 0.5}
        with_source.append(json.dumps(record))
    pool = tmp_path / "annotated.jsonl"
    pool.write_text("\n".join(with_source) + "\n")
    out = {"pool": pool, "graph": tiny_graph}
    for method, extra in (
        ("mig", ["--graph", tiny_graph, "--ranking", tmp_path / "ranking-mig.csv"]),
        ("random", ["--seed", "3"]),
        ("top-score", []),
    ):
        target = tmp_path / f"subset-{method}.jsonl"
        result = run("sample", pool, "-k", "10", "--method", method, "-o", target, *extra)
        assert result.exit_code == 0, result.output
        out[method] = target
    out["ranking"] = tmp_path / "ranking-mig.csv"
    return out
