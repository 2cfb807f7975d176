"""Checks of `mig sample`'s options and results that turn confusing outcomes into clear ones.

Kept apart from `sample.py` so that the command stays a short list of steps: `--replay` with other
options, a record both included and excluded, filters that leave nothing, a quota field that
records lack, and the reason a selection stopped short of K.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import typer

from ..errors import UsageError
from ..records.pool import Pool
from .controls import quota_values
from .dedup_option import Dedup, lazy_dedup
from .sample_input import warn

# parameters that may accompany --replay: itself, and --config (its defaults do not count)
REPLAY_ALONE = ("replay", "config")


def refuse_replay_with_options(ctx: typer.Context) -> None:
    """`--replay` with a POOL or any option given on the command line: a usage error (exit 2).

    Values from a config file (`DEFAULT_MAP`) or the defaults do not count.
    """
    given = []
    for param in ctx.command.params:
        if not param.name or param.name in REPLAY_ALONE:
            continue
        found = ctx.get_parameter_source(param.name)
        if found is not None and found.name in ("COMMANDLINE", "ENVIRONMENT"):
            given.append(param.opts[0] if param.opts and param.opts[0].startswith("-") else "POOL")
    if given:
        raise typer.BadParameter(
            f"--replay takes no other options (got {', '.join(given)}); it re-runs the "
            "manifest's own options",
            param_hint="'--replay'",
        )


def refuse_overlap(include_rows: np.ndarray, excluded: np.ndarray | None) -> None:
    """Records named by both --include and --exclude: a usage error giving how many."""
    if excluded is None or not len(include_rows):
        return
    both = int(excluded[include_rows].sum())
    if both:
        raise typer.BadParameter(
            f"{both:,} record{'s are' if both != 1 else ' is'} in both --include and --exclude; "
            "a record cannot be both always and never picked",
            param_hint="'--include' / '--exclude'",
        )


def filters_named(options: dict[str, Any]) -> str:
    """' after --min-score, --exclude' for the filters that were given (or '')."""
    names = [
        flag
        for name, flag in (
            ("min_score", "--min-score"),
            ("exclude", "--exclude"),
            ("given", "--given"),
        )
        if options.get(name) is not None
    ]
    dedup = getattr(options.get("dedup"), "value", options.get("dedup"))
    method = getattr(options.get("method"), "value", options.get("method")) or "mig"
    lazy = dedup is not None and lazy_dedup(
        Dedup(dedup), method, options.get("budget_tokens"), options.get("quota")
    )
    if dedup not in (None, "none") and not lazy:  # lazy dedup has not looked for copies yet
        names.append(f"--dedup {dedup}")
    return f" after {', '.join(names)}" if names else ""


def checked_quota_values(pool: Pool, field: str) -> list[object]:
    """The quota groups of every row; the field missing on every record is a usage error, on
    more than half of them a warning giving the share (they all fall in '(missing)')."""
    values = quota_values(pool, field)
    missing = sum(v is None for v in values)
    if missing == len(values):
        raise UsageError(
            f"--quota {field}: no record has the field '{field}' (all {len(values):,} would be "
            "one group '(missing)'); check the field name"
        )
    if missing * 2 > len(values):
        warn(
            f"--quota {field}: {missing / len(values):.0%} of the records ({missing:,} of "
            f"{len(values):,}) lack the field '{field}'; they form the one group '(missing)'"
        )
    return values


def stop_reason(options: dict[str, Any], selection: Any, cost_kind: str) -> str:
    """Why the selection holds fewer records than asked: the budget, the quota caps, or the
    records left after the filters."""
    reasons = []
    budget = options.get("budget_tokens")
    if budget is not None:
        used = selection.cost or 0.0
        reasons.append(
            f"the budget --budget-tokens {budget:,} ({cost_kind}; {used:,.0f} used) affords "
            "no further record"
        )
    if options.get("max_share"):
        field = options.get("quota")
        reasons.append(f"the --max-share caps closed every group of --quota {field}")
    if not reasons:
        reasons.append(f"no further record could be chosen{filters_named(options)}")
    return " or ".join(reasons)


def check_save_graph(save_graph: str | None, graph_dir: str | None, method: str) -> None:
    """--save-graph keeps the graph `mig sample` builds: a usage error with --graph (nothing is
    built) or a baseline method (no graph); its folder is checked before the work."""
    if not save_graph:
        return
    if graph_dir:
        raise typer.BadParameter(
            "keeps a graph built on the fly; with --graph none is built (it is already a folder)",
            param_hint="'--save-graph'",
        )
    if method != "mig":
        raise typer.BadParameter(
            f"--method {method} uses no label graph", param_hint="'--save-graph'"
        )
    from ..records.atomic_files import check_folder_target
    from ..records.graph_files import GRAPH_FILES

    check_folder_target(save_graph, GRAPH_FILES)


def check_not_the_annotated_copy(pool: str, outputs: list[tuple[str, str | None]]) -> None:
    """An output may not be the file where `mig sample` keeps a raw pool's annotated copy
    (POOL.mig-annotated.jsonl beside it): writing the subset there would destroy the copy that
    the next run trusts. A usage error, before any work."""
    from pathlib import Path

    from .auto_annotate import kept_copy

    copy = kept_copy(pool)
    if copy is None:
        return
    for flag, path in outputs:
        if path and path != "-" and Path(path).resolve() == copy.resolve():
            raise typer.BadParameter(
                f"{path} is where the annotated copy of {pool} is kept; name another file",
                param_hint=f"'{flag}'",
            )


def warn_if_replacing_graph(folder: str, graph) -> None:
    """--save-graph over a graph built from other labels: say so (subsets sampled with the old
    one name this folder in their manifests)."""
    import json
    from pathlib import Path

    meta_path = Path(folder) / "meta.json"
    try:
        old = json.loads(meta_path.read_text())
    except (OSError, ValueError):
        return
    if not isinstance(old, dict):
        return
    if old.get("input_fingerprint") != graph.meta.get("input_fingerprint"):
        warn(
            f"{folder} held a graph built from other labels ({old.get('input', 'unknown input')}); "
            "it is replaced, and subsets sampled with it no longer match it"
        )
