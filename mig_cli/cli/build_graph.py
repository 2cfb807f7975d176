"""`mig build-graph`: nodes = labels, edges where label embeddings are close."""

from __future__ import annotations

import time

import typer

from .. import __version__
from ..annotate.embedding import label_embedder
from ..records.annotations import LabelColumn, read_labels, resolve_fields
from ..records.atomic_files import check_folder_target
from ..records.embedding_cache import EmbeddingCache
from ..records.graph_files import GRAPH_FILES, write_graph
from ..records.label_graph import LabelGraph
from ..selection.graph import (
    MAX_MEAN_DEGREE,
    build_graph,
    default_threshold,
    dense_warning,
    graph_summary,
    sparse_warning,
)
from .common import (
    cached_embed,
    config_option,
    err_console,
    fingerprint,
    reports_errors,
)
from .options import (
    CACHE_DIR,
    EDGE_THRESHOLD,
    LABELS_FIELD,
    MAX_NODES,
    MIN_COUNT,
    MODEL,
    POOL_ARG,
    PRESET,
    Preset,
    read_input,
)
from .output_checks import check_outputs


def _embed_fn(model: str | None, cache_dir: str | None, what: str = "embedding labels"):
    """Embed labels through the on-disk cache keyed by model and label text."""
    embedder = label_embedder(model)
    return cached_embed(embedder, EmbeddingCache(cache_dir), what), embedder


def is_default(value) -> bool:
    """--edge-threshold was not given (the calibrated or auto value applies)."""
    return value is None or (isinstance(value, str) and not value.strip())


def edge_threshold_of(value) -> float | str:
    """--edge-threshold as given: a cosine in [-1, 1], or 'auto' (usage error otherwise)."""
    text = str(value).strip().lower()
    if text == "auto":
        return "auto"
    try:
        number = float(text)
    except ValueError:
        number = float("nan")
    if not -1.0 <= number <= 1.0:
        raise typer.BadParameter(
            f"expected a cosine in [-1, 1] or 'auto', got '{value}'",
            param_hint="'--edge-threshold'",
        )
    return number


def describe_graph(graph: LabelGraph) -> str:
    """'N nodes, E edges (mean degree D, I isolated, threshold T)' for summaries."""
    info = graph_summary(graph)
    threshold = graph.meta.get("edge_threshold")
    at = f", threshold {threshold:.3g}" if isinstance(threshold, (int, float)) else ""
    asked = graph.meta.get("edge_threshold_requested")
    if at and isinstance(asked, (int, float)):
        at += f", raised from {asked:.3g} to keep the mean degree <= {MAX_MEAN_DEGREE:g}"
    return (
        f"{info['nodes']:,} {'node' if info['nodes'] == 1 else 'nodes'}, {info['edges']:,} "
        f"{'edge' if info['edges'] == 1 else 'edges'} (mean degree "
        f"{info['mean_degree']:.2f}, {info['isolated']:,} isolated{at})"
    )


def warn_if_sparse(graph: LabelGraph) -> None:
    """Warn when the graph is nearly empty, or dense (the two ways propagation goes wrong)."""
    for message in (sparse_warning(graph), dense_warning(graph)):
        if message:
            err_console.print(f"[yellow]Warning:[/] {message}")


def graph_for(
    labels: LabelColumn,
    *,
    model,
    cache_dir,
    edge_threshold,
    max_nodes,
    min_count,
    source: str,
) -> LabelGraph:
    embed, embedder = _embed_fn(model, cache_dir)
    vocab, counts = labels.vocabulary()
    if is_default(edge_threshold):
        threshold, rule = default_threshold(embedder.name)
        limit = MAX_MEAN_DEGREE
    else:
        threshold, rule, limit = edge_threshold_of(edge_threshold), {}, None
    graph = build_graph(
        labels,
        embed,
        edge_threshold=threshold,
        max_nodes=max_nodes,
        min_count=min_count,
        max_mean_degree=limit,
        meta={
            "model": embedder.name,
            "input": source,
            "input_fingerprint": fingerprint(vocab, counts),
            "mig_version": __version__,
            **rule,
        },
    )
    return graph


@reports_errors
def build_graph_cmd(
    pool: str = POOL_ARG,
    output: str = typer.Option(..., "-o", "--output", help="Graph folder to write."),
    labels_field: str = LABELS_FIELD,
    preset: Preset = PRESET,
    max_nodes: int = MAX_NODES,
    min_count: int = MIN_COUNT,
    edge_threshold: str = EDGE_THRESHOLD,
    model: str = MODEL,
    cache_dir: str = CACHE_DIR,
    config: str = config_option(),
) -> None:
    """Build the label graph: nodes = labels, edges where label embeddings are close.

    The default threshold is calibrated for the embedding model (0.5 for the bundled
    MiniLM; 'auto' for other models: the 20th percentile of the labels' nearest-neighbour
    cosines, so ~80% of labels get a neighbour), raised where the graph would have a mean
    degree above 32. The paper's 0.9 suits its own label embeddings (configs/paper.toml).

    \b
    Examples:
      mig build-graph pool.jsonl -o graph/
      mig build-graph pool.jsonl -o graph/ --edge-threshold auto
      mig build-graph pool.jsonl -o graph/ --max-nodes 4531 --edge-threshold 0.9
    """
    started = time.perf_counter()
    check_outputs([pool], [("-o", output)])
    check_folder_target(output, GRAPH_FILES)
    data = read_input(pool)
    _, lf, _ = resolve_fields(preset.value if preset else None, labels_field, None)
    labels = read_labels(data, lf)
    graph = graph_for(
        labels,
        model=model,
        cache_dir=cache_dir,
        edge_threshold=edge_threshold,
        max_nodes=max_nodes,
        min_count=min_count,
        source=data.source,
    )
    write_graph(graph, output)
    err_console.print(
        f"Wrote {output}: {describe_graph(graph)} in {time.perf_counter() - started:.1f}s"
    )
    warn_if_sparse(graph)
