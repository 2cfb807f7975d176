"""The label graph: nodes are labels, edges join labels whose embeddings are close.

`select_nodes` chooses the nodes, `similarity_edges` finds the label pairs with cosine >=
threshold block by block (memory stays bounded for 100K+ labels), and `build_graph` puts both
together from a pool's labels and an embedding function. The graph itself is
`mig_cli.records.label_graph.LabelGraph`.

The edge threshold belongs to the embedding model, not to the method: the paper's 0.9 was set
for its own 7B label embeddings, while MiniLM's cosines between related labels sit lower
(on the bundled taxonomy, "arithmetic word problem" / "money word problem" 0.72, "finance" /
"financial analysis" 0.74; only 1 of 632 tags has a neighbour at 0.9). So:

- `CALIBRATED_THRESHOLDS` holds a measured value per known model. MiniLM's 0.5 was measured on
  the bundled taxonomy's 650 tag and domain names (no pool involved): 82% of them get at least
  one neighbour (mean degree 3.2). Pairs just above it are closely related ("architecture" /
  "engineering", "code explanation" / "explanation", "dangerous activity" / "poisoning"), and
  the share of pairs inside one taxonomy domain is the same in [0.5, 0.55) as above 0.7 (0.60
  against 0.58): lowering the threshold to 0.5 adds related pairs, not noise. Below 0.5 the
  pairs loosen ("essay writing" / "slogan writing"). On the mixed real pool of
  `scripts/bench_selection.py` (benchmarks/SELECTION.md), 0.65 (30% of the tags joined) left
  the MIG subset less spread over the pool's categories than random; 0.5 spreads it more than
  random, and its prompts stay more varied than random's, on both draws.
- `auto_threshold` is the rule for any other model (`--edge-threshold auto`): the
  `AUTO_QUANTILE` (20th) percentile of the labels' nearest-neighbour cosines, clipped to
  `AUTO_RANGE`, i.e. about 80% of the labels get at least one edge whatever the model's
  cosine scale. On the bundled taxonomy with MiniLM the rule gives 0.51, in line with the
  table.
- A default threshold (calibrated or auto, not one the user gave) is raised when the graph it
  gives is denser than `MAX_MEAN_DEGREE` (a large open vocabulary, e.g. from an LLM tagger):
  `limit_degree` keeps the strongest edges, so propagation stays local and the propagated
  vectors stay sparse. The threshold used is recorded in the graph's meta.
- `graph_summary` / `sparse_warning` / `dense_warning` describe a graph (nodes, edges, mean
  degree, isolated nodes) and say when it is too empty for propagation to matter, or so dense
  that it spreads information everywhere.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..records.annotations import LabelColumn
from ..records.label_graph import LabelGraph


def select_nodes(
    vocab: list[str],
    counts: np.ndarray,
    *,
    max_nodes: int | None = None,
    min_count: int | None = None,
) -> tuple[list[str], np.ndarray]:
    """Labels kept as nodes: at least `min_count` records, then the `max_nodes` most frequent.

    Order: count descending, ties by label text. With neither limit every label is kept.
    """
    counts = np.asarray(counts, dtype=np.int64)
    order = sorted(range(len(vocab)), key=lambda i: (-int(counts[i]), vocab[i]))
    if min_count is not None:
        order = [i for i in order if counts[i] >= min_count]
    if max_nodes is not None:
        order = order[:max_nodes]
    return [vocab[i] for i in order], counts[order] if order else np.zeros(0, dtype=np.int64)


def similarity_edges(
    embeddings: np.ndarray,
    threshold: float,
    *,
    memory_bytes: int = 128 * 2**20,
    on_rows: Callable[[int], None] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All ordered pairs (i, j), i != j, with cosine(e_i, e_j) >= threshold, sorted.

    `embeddings` must be unit rows. Each unordered pair is computed once (row block against the
    columns at or after it), then stored in both directions with the same weight. A block of
    similarities never exceeds `memory_bytes` (float32): memory is O(M * d + block * M), never
    M x M.
    """
    emb = np.ascontiguousarray(embeddings, dtype=np.float32)
    m = emb.shape[0]
    block = max(1, min(m, memory_bytes // max(1, 4 * m)))
    lows, highs, ws = [], [], []
    for start in range(0, m, block):
        stop = min(m, start + block)
        sims = emb[start:stop] @ emb[start:].T
        rows, cols = np.nonzero(sims >= threshold)
        keep = cols > rows  # column offset `start` cancels: j > i within the upper triangle
        lows.append((rows[keep] + start).astype(np.int64))
        highs.append((cols[keep] + start).astype(np.int64))
        ws.append(sims[rows[keep], cols[keep]].astype(np.float32))
        if on_rows is not None:
            on_rows(stop - start)
    if not lows:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.copy(), np.zeros(0, dtype=np.float32)
    lo, hi, w = np.concatenate(lows), np.concatenate(highs), np.concatenate(ws)
    src = np.concatenate([lo, hi])
    dst = np.concatenate([hi, lo])
    weight = np.concatenate([w, w])
    order = np.lexsort((dst, src))
    return src[order], dst[order], weight[order]


CALIBRATED_THRESHOLDS: dict[str, float] = {"all-MiniLM-L6-v2": 0.5}
"""Edge threshold per embedding model (by `Embedder.name`), measured as the module says."""
PAPER_THRESHOLD = 0.9  # arXiv 2504.13835, for its own label embeddings (configs/paper.toml)
AUTO_QUANTILE = 0.2
AUTO_RANGE = (0.3, 0.95)
MAX_MEAN_DEGREE = 32.0  # a default threshold is raised above this (see `limit_degree`)
AUTO_SAMPLE = 5000  # labels whose nearest neighbour is measured (all of them when fewer)


def calibrated_threshold(model_name: str | None) -> float | None:
    """The measured threshold for a known model (case-insensitive name), else None."""
    if model_name is None:
        return None
    wanted = model_name.strip().lower().removeprefix("sentence-transformers/")
    for name, value in CALIBRATED_THRESHOLDS.items():
        if name.lower() == wanted:
            return value
    return None


def default_threshold(model_name: str) -> tuple[float | str, dict]:
    """The edge threshold used when none is given, and what to record in the graph's meta:
    the model's calibrated value ("calibrated for NAME"), else "auto" (`build_graph` records
    the auto rule itself). Either way the graph is built with `max_mean_degree=MAX_MEAN_DEGREE`.
    """
    found = calibrated_threshold(model_name)
    if found is None:
        return "auto", {}
    return found, {"edge_threshold_rule": f"calibrated for {model_name}"}


def nearest_neighbour_cosines(
    embeddings: np.ndarray, *, sample: int = AUTO_SAMPLE, memory_bytes: int = 128 * 2**20
) -> np.ndarray:
    """Best cosine of each (sampled) unit row to any other row: float32, shape (min(M, sample),).

    Rows are sampled with a fixed seed when there are more than `sample`; the neighbour is
    searched among all M rows, block by block, so memory stays O(block * M).
    """
    emb = np.ascontiguousarray(embeddings, dtype=np.float32)
    m = emb.shape[0]
    if m < 2:
        return np.zeros(0, dtype=np.float32)
    rows = np.arange(m)
    if m > sample:
        rows = np.sort(np.random.default_rng(0).choice(m, sample, replace=False))
    block = max(1, min(len(rows), memory_bytes // max(1, 4 * m)))
    out = np.empty(len(rows), dtype=np.float32)
    for start in range(0, len(rows), block):
        part = rows[start : start + block]
        sims = emb[part] @ emb.T
        sims[np.arange(len(part)), part] = -np.inf
        out[start : start + len(part)] = sims.max(axis=1)
    return out


def auto_threshold(embeddings: np.ndarray, *, quantile: float = AUTO_QUANTILE) -> float:
    """The `quantile` of the labels' nearest-neighbour cosines, clipped to `AUTO_RANGE`.

    `embeddings`: unit rows (M, d). With fewer than 2 labels the upper bound is returned.
    """
    nn = nearest_neighbour_cosines(embeddings)
    lo, hi = AUTO_RANGE
    if len(nn) == 0:
        return hi
    return float(np.clip(np.quantile(nn, quantile), lo, hi))


def graph_summary(graph: LabelGraph) -> dict:
    """Nodes, undirected edges, mean degree and isolated nodes of a graph."""
    degrees = graph.degrees()
    return {
        "nodes": graph.num_nodes,
        "edges": graph.num_edges,
        "mean_degree": float(degrees.mean()) if len(degrees) else 0.0,
        "isolated": int((degrees == 0).sum()),
    }


def sparse_warning(graph: LabelGraph, *, max_isolated_share: float = 0.9) -> str | None:
    """A one-line warning when more than `max_isolated_share` of the nodes have no edge."""
    info = graph_summary(graph)
    if info["nodes"] < 2 or info["isolated"] <= max_isolated_share * info["nodes"]:
        return None
    return (
        f"the label graph is nearly empty ({info['edges']:,} edges, {info['isolated']:,} of "
        f"{info['nodes']:,} nodes isolated): propagation has almost no effect; lower "
        "--edge-threshold or use --edge-threshold auto"
    )


def limit_degree(
    src: np.ndarray, dst: np.ndarray, weight: np.ndarray, nodes: int, max_mean_degree: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float | None]:
    """Keep the strongest edges so that the mean degree is at most `max_mean_degree`.

    Edges as `similarity_edges` gives them (both directions). Returns the kept edges and the
    raised threshold (the least weight kept), or None when nothing had to go. Ties at the cut
    are dropped together, so the result may fall a little under the limit.
    """
    undirected = len(src) // 2
    allowed = int(max_mean_degree * nodes / 2)
    if undirected <= allowed:
        return src, dst, weight, None
    upper = weight[src < dst]
    if allowed <= 0:
        cut = float("inf")
    else:
        cut = float(np.partition(upper, undirected - allowed)[undirected - allowed])
        if (upper >= cut).sum() > allowed:  # ties at the cut: drop them all
            cut = float(np.nextafter(np.float32(cut), np.float32(np.inf)))
    keep = weight >= cut
    kept_min = float(weight[keep].min()) if keep.any() else cut
    return src[keep], dst[keep], weight[keep], kept_min


def dense_warning(graph: LabelGraph, *, max_mean_degree: float = MAX_MEAN_DEGREE) -> str | None:
    """A one-line warning when the mean degree passes `max_mean_degree` (a threshold the user
    gave; a default one is raised instead, see `limit_degree`)."""
    info = graph_summary(graph)
    if info["nodes"] < 2 or info["mean_degree"] <= max_mean_degree:
        return None
    return (
        f"the label graph is dense (mean degree {info['mean_degree']:,.1f}): propagation spreads "
        "each label's information over many others and the propagated vectors grow; raise "
        f"--edge-threshold (the default threshold is raised to keep the mean degree <= "
        f"{max_mean_degree:g})"
    )


def graph_from_embeddings(
    labels: list[str],
    counts: np.ndarray,
    embeddings: np.ndarray,
    threshold: float,
    meta: dict | None = None,
    on_rows: Callable[[int], None] | None = None,
    max_mean_degree: float | None = None,
) -> LabelGraph:
    """Edges at cosine >= `threshold`; with `max_mean_degree`, `limit_degree` raises it."""
    src, dst, w = similarity_edges(embeddings, threshold, on_rows=on_rows)
    meta = dict(meta or {})
    if max_mean_degree is not None:
        src, dst, w, raised = limit_degree(src, dst, w, len(labels), max_mean_degree)
        if raised is not None:
            meta["edge_threshold_requested"] = meta.get("edge_threshold", threshold)
            meta["edge_threshold"] = raised
            meta["edge_threshold_rule"] = (
                f"{meta.get('edge_threshold_rule', 'given')}, raised to keep the mean degree "
                f"<= {max_mean_degree:g}"
            )
    return LabelGraph(list(labels), np.asarray(counts, dtype=np.int64), src, dst, w, meta)


def build_graph(
    labels: LabelColumn,
    embed: Callable[[list[str]], np.ndarray],
    *,
    edge_threshold: float | str = PAPER_THRESHOLD,
    max_nodes: int | None = None,
    min_count: int | None = None,
    meta: dict | None = None,
    on_rows: Callable[[int], None] | None = None,
    max_mean_degree: float | None = None,
) -> LabelGraph:
    """Nodes from the pool's labels (see `select_nodes`), edges where cosine >= threshold.

    `edge_threshold` is a cosine, or "auto" (`auto_threshold` on the nodes' embeddings); the
    value used is recorded in `meta["edge_threshold"]`. `max_mean_degree` (for a default
    threshold; `MAX_MEAN_DEGREE`) raises it where the graph would be denser (`limit_degree`).
    """
    vocab, counts = labels.vocabulary()
    nodes, node_counts = select_nodes(vocab, counts, max_nodes=max_nodes, min_count=min_count)
    vectors = embed(nodes) if nodes else np.zeros((0, 1), dtype=np.float32)
    rule = "given"
    if edge_threshold == "auto":
        edge_threshold = auto_threshold(vectors)
        rule = f"auto (nearest-neighbour cosine quantile {AUTO_QUANTILE})"
    edge_threshold = float(edge_threshold)
    info = {
        "edge_threshold": edge_threshold,
        "edge_threshold_rule": rule,
        "max_nodes": max_nodes,
        "min_count": min_count,
        "pool_labels": len(vocab),
    }
    info.update(meta or {})
    return graph_from_embeddings(
        nodes,
        node_counts,
        vectors,
        edge_threshold,
        meta=info,
        on_rows=on_rows,
        max_mean_degree=max_mean_degree,
    )


def graph_without_edges(labels: list[str], counts: np.ndarray | None = None) -> LabelGraph:
    """Labels as independent nodes (P = identity): what `stats` uses without --graph."""
    empty = np.zeros(0, dtype=np.int64)
    c = np.zeros(len(labels), dtype=np.int64) if counts is None else counts
    return LabelGraph(list(labels), c, empty, empty.copy(), np.zeros(0, np.float32), {})
