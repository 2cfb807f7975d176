"""`mig graph summary|sweep|neighbours|export`: inspect a label graph before sampling with it."""

from __future__ import annotations

import json
import sys

import numpy as np
import typer

from ..annotate.embedding import label_embedder
from ..errors import DataError
from ..records.annotations import read_labels, resolve_fields
from ..records.embedding_cache import EmbeddingCache
from ..records.graph_export import export_format, write_graph_file
from ..records.graph_files import read_graph
from ..selection.graph import select_nodes, similarity_edges
from ..selection.graph_inspect import (
    Histogram,
    components_of,
    find_label,
    neighbours,
    ranked_components,
    summarize_graph,
    threshold_sweep,
)
from .common import cached_embed, config_option, err_console, reports_errors
from .options import (
    CACHE_DIR,
    LABELS_FIELD,
    MAX_NODES,
    MIN_COUNT,
    MODEL,
    PRESET,
    Preset,
    read_input,
)
from .output_checks import check_outputs

graph_app = typer.Typer(
    help="Inspect a label graph: summary, threshold sweep, a label's neighbours, export.",
    no_args_is_help=True,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)

GRAPH_ARG = typer.Argument(..., metavar="GRAPH", help="Label graph folder (from build-graph).")


def _bar(count: int, most: int, width: int = 40) -> str:
    return "#" * (max(1, round(width * count / most)) if count and most else 0)


def _histogram_lines(hist: Histogram, integer: bool) -> list[str]:
    rows = hist.rows()
    most = max((c for _, _, c in rows), default=0)
    out = []
    for lo, hi, count in rows:
        if integer:
            span = f"{int(lo)}" if hi - lo <= 1 else f"{int(lo)}-{int(hi) - 1}"
        else:
            span = f"{lo:.3f}-{hi:.3f}"
        out.append(f"  {span:>13} {count:>9,} {_bar(count, most)}")
    return out


@graph_app.command("summary")
@reports_errors
def summary_cmd(
    graph_dir: str = GRAPH_ARG,
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of text."),
    bins: int = typer.Option(10, "--bins", min=1, max=200, help="Bins of the weight histogram."),
    show: int = typer.Option(10, "--show", min=0, help="How many labels to list per group."),
    config: str = config_option(),
) -> None:
    """Nodes, edges, mean degree, components, largest component, isolated labels, histograms.

    \b
    Example:
      mig graph summary graph/
      mig graph summary graph/ --json | jq .isolated_share
    """
    graph = read_graph(graph_dir)
    s = summarize_graph(graph, bins=bins, show=show)
    if as_json:
        payload = {"graph": graph_dir, **s.as_dict()}
        payload["meta"] = graph.meta
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
        return
    meta = ", ".join(
        f"{k} {graph.meta[k]:.4g}" if isinstance(graph.meta[k], float) else f"{k} {graph.meta[k]}"
        for k in ("model", "edge_threshold", "edge_threshold_rule")
        if k in graph.meta
    )
    lines = [
        f"Label graph {graph_dir}" + (f" ({meta})" if meta else ""),
        f"  nodes              {s.nodes:,}",
        f"  edges              {s.edges:,}",
        f"  mean degree        {s.mean_degree:.2f}",
        f"  components         {s.components:,} ({s.components_2plus:,} of 2+ labels)",
        f"  largest component  {s.largest_component:,} labels ({s.largest_share:.1%})",
        f"  isolated labels    {s.isolated:,} ({s.isolated_share:.1%})",
    ]
    if s.largest_labels:
        lines.append("  largest component, most frequent: " + ", ".join(s.largest_labels))
    if s.isolated_labels:
        lines.append("  isolated, most frequent: " + ", ".join(s.isolated_labels))
    lines.append("Degree histogram (labels per degree)")
    lines += _histogram_lines(s.degree_histogram, integer=True)
    if s.edges:
        lines.append("Weight histogram (edges per cosine similarity)")
        lines += _histogram_lines(s.weight_histogram, integer=False)
    typer.echo("\n".join(lines))


def parse_thresholds(text: str) -> list[float]:
    """`0.6:0.95:0.05` (start:stop:step, stop included) or a list `0.8,0.85,0.9`."""
    raw = text.strip()
    try:
        if ":" in raw:
            start, stop, step = (float(x) for x in raw.split(":"))
            if step <= 0 or stop < start:
                raise ValueError
            count = int(np.floor((stop - start) / step + 1e-9)) + 1
            values = [round(start + i * step, 10) for i in range(count)]
        else:
            values = sorted({float(x) for x in raw.split(",") if x.strip()})
        if not values or any(not -1.0 <= v <= 1.0 for v in values):
            raise ValueError
    except ValueError:
        raise typer.BadParameter(
            f"'{text}' is not START:STOP:STEP (0.6:0.95:0.05) or a list (0.8,0.9) of "
            "cosine thresholds in [-1, 1]",
            param_hint="'--thresholds'",
        ) from None
    return values


@graph_app.command("sweep")
@reports_errors
def sweep_cmd(
    pool: str = typer.Argument(..., metavar="POOL", help="Pool with labels (tagged/annotated)."),
    thresholds: str = typer.Option(
        "0.4:0.95:0.05", "--thresholds", help="START:STOP:STEP (stop included) or a list."
    ),
    labels_field: str = LABELS_FIELD,
    preset: Preset = PRESET,
    max_nodes: int = MAX_NODES,
    min_count: int = MIN_COUNT,
    model: str = MODEL,
    cache_dir: str = CACHE_DIR,
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    config: str = config_option(),
) -> None:
    """Edges, mean degree, components and isolated share for each edge threshold.

    The labels are embedded once (through the label-embedding cache) and the similar pairs found
    once, at the lowest threshold; each row is the graph `build-graph --edge-threshold T` would
    build from the same nodes. Pick a threshold that joins related labels without merging
    everything into one component.

    \b
    Example:
      mig graph sweep annotated.jsonl --thresholds 0.6:0.95:0.05
      mig graph sweep annotated.jsonl --thresholds 0.8,0.85,0.9 --max-nodes 5000 --json
    """
    values = parse_thresholds(thresholds)
    data = read_input(pool)
    _, lf, _ = resolve_fields(preset.value if preset else None, labels_field, None)
    vocab, counts = read_labels(data, lf).vocabulary()
    nodes, _ = select_nodes(vocab, counts, max_nodes=max_nodes, min_count=min_count)
    if not nodes:
        raise DataError("no labels to build a graph from", source=data.source, field=lf)
    embedder = label_embedder(model)
    vectors = cached_embed(embedder, EmbeddingCache(cache_dir))(nodes)
    with err_console.status(f"similar pairs of {len(nodes):,} labels at >= {min(values)}"):
        src, dst, w = similarity_edges(vectors, min(values))
    rows = threshold_sweep(len(nodes), src, dst, w, values)
    if as_json:
        payload = {
            "pool": pool,
            "nodes": len(nodes),
            "model": embedder.name,
            "rows": [r.__dict__ for r in rows],
        }
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
        return
    lines = [
        f"{len(nodes):,} labels of {pool} embedded with {embedder.name}",
        f"{'threshold':>9} {'edges':>11} {'mean degree':>11} {'components':>10} "
        f"{'largest':>8} {'isolated':>8}",
    ]
    for r in rows:
        lines.append(
            f"{r.threshold:>9.3f} {r.edges:>11,} {r.mean_degree:>11.2f} {r.components:>10,} "
            f"{r.largest_share:>8.1%} {r.isolated_share:>8.1%}"
        )
    typer.echo("\n".join(lines))


@graph_app.command("neighbours")
@reports_errors
def neighbours_cmd(
    graph_dir: str = GRAPH_ARG,
    label: str = typer.Argument(..., metavar="LABEL", help="A label (close spellings match)."),
    top: int = typer.Option(20, "--top", min=1, help="How many neighbours to list."),
    config: str = config_option(),
) -> None:
    """A label's neighbours in the graph with their weights, heaviest first.

    When LABEL is not a node, the closest label text is used (and said so).

    \b
    Example:
      mig graph neighbours graph/ "python programming" --top 10
    """
    graph = read_graph(graph_dir)
    match = find_label(graph.labels, label)
    if match.node is None:
        raise DataError(
            f"'{label}' is not a node of the graph and no label is close "
            f"({graph.num_nodes:,} nodes; see `mig graph summary`)",
            source=graph_dir,
        )
    name = graph.labels[match.node]
    lines = []
    if not match.exact:
        others = ", ".join(f"'{c}' ({r:.2f})" for c, r in match.close[1:])
        lines.append(
            f"'{label}' is not a node; showing the closest label '{name}'"
            + (f" (also close: {others})" if others else "")
        )
    found = neighbours(graph, match.node, top)
    total = int(((graph.sources == match.node) & (graph.targets != match.node)).sum())
    lines.append(
        f"'{name}' ({int(graph.counts[match.node]):,} records): {total:,} neighbour"
        f"{'' if total == 1 else 's'}" + (f", top {len(found)}" if total > len(found) else "")
    )
    for other, weight, count in found:
        lines.append(f"  {weight:.3f}  {other}  ({count:,} records)")
    typer.echo("\n".join(lines))


@graph_app.command("export")
@reports_errors
def export_cmd(
    graph_dir: str = GRAPH_ARG,
    output: str = typer.Option(
        ..., "-o", "--output", help="File to write: .graphml or .gexf (by extension)."
    ),
    config: str = config_option(),
) -> None:
    """Write the graph as GraphML or GEXF for Gephi, Cytoscape or yEd (networkx writers).

    Nodes carry `count`, `degree` and `component` (0 = the largest); each edge its `weight`.

    \b
    Example:
      mig graph export graph/ -o graph.graphml
      mig graph export graph/ -o graph.gexf
    """
    check_outputs([graph_dir], [("-o", output)])
    if export_format(output) is None:
        raise typer.BadParameter(
            f"'{output}': unknown extension (use .graphml or .gexf)", param_hint="'-o'"
        )
    graph = read_graph(graph_dir)
    components = ranked_components(components_of(graph.num_nodes, graph.sources, graph.targets))
    kind = write_graph_file(graph, output, components)
    err_console.print(
        f"Wrote {output} ({kind}): {graph.num_nodes:,} nodes, {graph.num_edges:,} edges"
    )
