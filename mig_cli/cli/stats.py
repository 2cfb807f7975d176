"""`mig stats`: compare pools and subsets side by side."""

from __future__ import annotations

import json
import math
import sys

import typer

from ..errors import DataError
from ..records.annotations import Annotations, resolve_fields
from ..records.graph_files import read_graph
from ..records.pool import Pool
from ..report.provenance import subset_notes
from ..selection.graph import graph_without_edges
from ..selection.stats import pool_stats
from .common import config_option, err_console, reports_errors
from .options import (
    LABELS_FIELD,
    NORM,
    PHI,
    PHI_A,
    PHI_B,
    PHI_LAMBDA,
    PRESET,
    PROP_WEIGHT,
    SCORE_FIELD,
    PhiName,
    Preset,
    annotations_of,
    phi_from_options,
    read_input,
)
from .raw_subsets import annotation_fields, annotations_through, lacks_labels
from .replay import not_as_sampled


def _annotated_copy_hint(path: str) -> str:
    """A pointer to POOL.mig-annotated.jsonl when mig sample kept one beside this raw pool."""
    from .auto_annotate import kept_copy

    copy = kept_copy(path)
    if copy is None or not copy.is_file():
        return ""
    return f"; {copy} beside it holds this pool annotated by mig sample"


def _fmt(value: float, digits: int = 2) -> str:
    if isinstance(value, float) and math.isnan(value):
        return "-"
    return f"{value:,.{digits}f}"


@reports_errors
def stats_cmd(
    pools: list[str] = typer.Argument(
        ..., metavar="POOL", help="One or more annotated pools or subsets."
    ),
    graph_dir: str = typer.Option(
        None, "--graph", help="Label graph; without it, labels are independent nodes."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    labels_field: str = LABELS_FIELD,
    score_field: str = SCORE_FIELD,
    preset: Preset = PRESET,
    prop_weight: float = PROP_WEIGHT,
    phi: PhiName = PHI,
    phi_a: float = PHI_A,
    phi_b: float = PHI_B,
    phi_lambda: float = PHI_LAMBDA,
    norm: bool = NORM,
    top: int = typer.Option(5, "--top", min=0, help="How many top labels to list."),
    config: str = config_option(),
) -> None:
    """Compare pools and subsets side by side: size, coverage, information, entropy, scores.

    A subset without labels (raw records, as `mig sample` copies them from a raw pool it
    annotated) takes its annotations from the first input when that holds the same records.

    \b
    Examples:
      mig stats pool.jsonl subset-mig.jsonl subset-random.jsonl --graph graph/
      mig stats raw.mig-annotated.jsonl subset-from-raw.jsonl --graph graph/
    """
    phi_fn = phi_from_options(phi, phi_a, phi_b, phi_lambda)
    _, labels_at, _ = resolve_fields(preset.value if preset else None, labels_field, None)
    inputs = []
    first: tuple[Pool, Annotations] | None = None
    for path in pools:
        data = read_input(path)
        if first is not None and lacks_labels(data, labels_at):
            # raw records (a subset sampled from a raw pool): their annotations are the first
            # input's, which holds the same records annotated
            ann, how = annotations_through(
                first[0], first[1], data, annotation_fields(labels_at, score_field)
            )
            err_console.print(
                f"{data.source} has no labels: its {len(data):,} records take their "
                f"annotations from {first[0].source} (matched by {how})"
            )
        else:
            try:
                ann = annotations_of(data, labels_field, score_field, preset)
            except DataError as exc:
                hint = _annotated_copy_hint(path) if first is None else ""
                if not hint:
                    raise
                exc.message += hint
                raise DataError(
                    exc.message, source=exc.source, line=exc.line, field=exc.field
                ) from None
        if first is None:
            first = (data, ann)
        inputs.append((path, ann))
    if graph_dir:
        graph = read_graph(graph_dir)
        graph_note = f"{graph_dir} ({graph.num_nodes:,} nodes, {graph.num_edges:,} edges)"
    else:
        union: dict[str, None] = {}
        for _, ann in inputs:
            union.update(dict.fromkeys(ann.labels.vocabulary()[0]))
        graph = graph_without_edges(sorted(union))
        graph_note = f"none: {graph.num_nodes:,} labels as independent nodes"
    try:
        results = [
            (path, pool_stats(ann, graph, phi=phi_fn, prop_weight=prop_weight, norm=norm, top=top))
            for path, ann in inputs
        ]
    except ValueError as exc:  # options the sampler's arithmetic cannot use (core checks)
        raise typer.BadParameter(str(exc)) from None
    for path, found in results[1:]:
        text = not_as_sampled(subset_notes(path), found.information, graph_dir, "this table has")
        if text:
            err_console.print(f"[yellow]Warning:[/] {path}: {text}", markup=True)
    if as_json:
        payload = {
            "graph": graph_dir,
            "nodes": graph.num_nodes,
            "inputs": [{"path": p, **s.as_dict()} for p, s in results],
        }
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"mig stats (graph: {graph_note})", title_justify="left")
    table.add_column("")
    for path, _ in results:
        table.add_column(path, justify="right", overflow="fold")
    rows = [
        ("records", lambda s: f"{s.records:,}"),
        ("labelled records", lambda s: f"{s.labelled_records:,}"),
        ("distinct labels", lambda s: f"{s.distinct_labels:,}"),
        ("node coverage", lambda s: f"{s.node_coverage:.1%} ({s.covered_nodes:,})"),
        ("information I(D)", lambda s: _fmt(s.information)),
        ("label entropy (norm.)", lambda s: _fmt(s.label_entropy, 3)),
        ("labels / record", lambda s: _fmt(s.labels_per_record)),
        ("score mean", lambda s: _fmt(s.score_mean)),
        (
            "score p10 / p50 / p90",
            lambda s: " / ".join(_fmt(v) for v in (s.score_p10, s.score_p50, s.score_p90)),
        ),
    ]
    for name, fn in rows:
        table.add_row(name, *[fn(s) for _, s in results])
    for i in range(top):
        table.add_row(
            "top labels" if i == 0 else "",
            *[
                f"{s.top_labels[i][0]} ({s.top_labels[i][1]:,})" if i < len(s.top_labels) else ""
                for _, s in results
            ],
        )
    Console(width=max(100, 30 + 28 * len(results))).print(table)
