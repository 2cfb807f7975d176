"""The numbers behind every chart of `mig report`, computed from arrays (no files, no plotting).

`build_report_data` takes the pool's annotations, the label graph and each subset as pool rows in
selection order, and returns a `ReportData`: `mig stats` for every input (`selection.stats`),
the prefix curves of information I(D) and node coverage (`selection.curves`) for each subset and
for recomputed baselines, the gain of each pick, score and score-component histograms, pool
share against subset share by a field and by the top labels, what each subset left out, and the
label graph's summary (`selection.graph_inspect`). Everything is aggregated (curves at <= 500
points, histograms, top-N tables) so that charts of a 1M-record pool stay small.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from ..records.annotations import Annotations, LabelColumn
from ..records.label_graph import LabelGraph
from ..records.pool import MISSING
from ..selection.curves import BinnedSeries, PrefixCurves, bin_series, pick_gains, prefix_curves
from ..selection.graph_inspect import GraphSummary, summarize_graph
from ..selection.phi import Phi, PowPhi
from ..selection.selection import mig_vectors, select
from ..selection.stats import PoolStats, pool_stats

BASELINES = ("mig", "random", "top-score")
MISSING_CATEGORY = "(missing)"
OTHER_CATEGORY = "(other)"


@dataclass
class SubsetInput:
    """One subset: its pool rows in selection order and what its files told about it."""

    name: str
    rows: np.ndarray  # int64 pool rows, selection order
    gains: np.ndarray | None = None  # gain of each pick from a --ranking file
    dedup_skipped: int | None = None  # records the sampler skipped as duplicates, if recorded
    repeated: int | None = None  # subset records repeating an earlier one's conversation


@dataclass
class ReportOptions:
    phi: Phi = field(default_factory=PowPhi)
    prop_weight: float = 1.0
    norm: bool = False
    seed: int = 0
    baselines: tuple[str, ...] = ("random", "top-score")
    top_labels: int = 15
    top_categories: int = 12
    max_points: int = 500
    score_bins: int = 40


@dataclass
class CurveLine:
    name: str
    kind: str  # "subset" | "baseline"
    curves: PrefixCurves


@dataclass
class GainLine:
    name: str
    source: str  # "ranking" | "recomputed"
    binned: BinnedSeries  # <= max_points bins: the dots
    coarse: BinnedSeries  # <= 25 bins: the trend line
    count: int


@dataclass
class Shares:
    """Share of each input's records per category (pool first): `shares[i][c]` in [0, 1]."""

    title: str
    categories: list[str]
    shares: list[np.ndarray]


@dataclass
class Histograms:
    """Share of each input's records per bin (pool first), bins [edges[b], edges[b+1])."""

    title: str
    edges: np.ndarray
    shares: list[np.ndarray]
    means: list[float]


@dataclass
class LeftOut:
    """What a subset did not take, and what it took that MIG could never choose."""

    name: str
    records: int
    not_taken: int  # pool records outside the subset
    unlabelled_taken: int  # subset records with no label on the graph
    zero_score_taken: int  # subset records with score 0
    dedup_skipped: int | None
    repeated: int | None
    uncovered_nodes: int  # nodes the pool carries and the subset does not
    uncovered_top: list[tuple[str, int]]  # the most frequent of those, with pool counts


@dataclass
class ReportData:
    names: list[str]  # pool first, then subsets
    stats: list[PoolStats]  # same order
    curves: list[CurveLine]
    gains: list[GainLine]
    num_nodes: int
    scores: Histograms
    components: list[Histograms]
    compositions: list[Shares]
    pool_unlabelled: int  # pool records with no label on the graph (never chosen by MIG)
    pool_zero_score: int  # pool records with score 0 (never chosen by MIG)
    pool_never: int  # either of the two
    left_out: list[LeftOut]
    graph: GraphSummary
    graph_given: bool
    pool_labels_off_graph: int  # distinct pool labels that are not nodes
    same_as: dict[str, str] = field(default_factory=dict)  # subset -> baseline it equals


def take_annotations(ann: Annotations, rows: np.ndarray) -> Annotations:
    """The annotations of `rows` (in that order, repeats allowed)."""
    rows = np.asarray(rows, dtype=np.int64)
    off = ann.labels.offsets
    starts = off[rows]
    lengths = off[rows + 1] - starts
    total = int(lengths.sum())
    flat = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths) + np.arange(total)
    values = ann.labels.values.take(pa.array(flat, type=pa.int64()))
    offsets = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return Annotations(LabelColumn(offsets, values), ann.scores[rows])


def category_codes(values: list, top: int) -> tuple[list[str], np.ndarray]:
    """Categories of a field (most frequent first, at most `top`, then '(other)') and codes.

    Missing values are the category '(missing)'; other non-strings are shown as text.
    """
    text = [
        v[:60]
        if isinstance(v, str)
        else (MISSING_CATEGORY if v is None or v is MISSING else str(v)[:60])
        for v in values
    ]
    encoded = pa.array(text, type=pa.string()).dictionary_encode()
    names = encoded.dictionary.to_pylist()
    codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    counts = np.bincount(codes, minlength=len(names))
    order = sorted(range(len(names)), key=lambda i: (-int(counts[i]), names[i]))
    keep = order[:top]
    rank = np.full(len(names), len(keep), dtype=np.int64)
    rank[keep] = np.arange(len(keep))
    categories = [names[i] for i in keep]
    if len(order) > top:
        categories.append(OTHER_CATEGORY)
    return categories, rank[codes]


def score_components(values: list, most: int = 9) -> dict[str, np.ndarray]:
    """Per-record score components (a dict of numbers per record, e.g. `score_components`
    written by `mig score --explain`) as name -> float64 array, NaN where a record lacks one.

    The `most` components carried by the most records are kept; {} when no record has a dict.
    """
    dicts = [v for v in values if isinstance(v, dict)]
    seen: dict[str, int] = {}
    for d in dicts:
        for key, x in d.items():
            if isinstance(x, (int, float)) and not isinstance(x, bool):
                seen[str(key)] = seen.get(str(key), 0) + 1
    names = sorted(seen, key=lambda k: (-seen[k], k))[:most]
    out = {name: np.full(len(values), np.nan) for name in names}
    for row, v in enumerate(values):
        if not isinstance(v, dict):
            continue
        for name in names:
            x = v.get(name)
            if isinstance(x, (int, float)) and not isinstance(x, bool) and np.isfinite(x):
                out[name][row] = float(x)
    return out


def _shares(codes: np.ndarray, k: int) -> np.ndarray:
    return np.bincount(codes, minlength=k).astype(np.float64) / max(1, len(codes))


def score_histograms(
    title: str, pool_values: np.ndarray, subsets: list[np.ndarray], bins: int
) -> Histograms:
    """Shared bins over the pool's range (NaN ignored); each input's share of records per bin."""
    finite = pool_values[np.isfinite(pool_values)]
    lo, hi = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
    if hi - lo < 1e-12:
        lo, hi = lo - 0.5, hi + 0.5
    edges = np.linspace(lo, hi, bins + 1)
    shares, means = [], []
    for values in [pool_values, *subsets]:
        v = values[np.isfinite(values)]
        counts, _ = np.histogram(np.clip(v, lo, hi), bins=edges)
        shares.append(counts / max(1, len(v)))
        means.append(float(v.mean()) if len(v) else float("nan"))
    return Histograms(title, edges, shares, means)


def label_shares(pool: Annotations, subsets: list[Annotations], top: int) -> Shares:
    """Share of records carrying each of the pool's `top` most frequent labels, per input."""
    vocab, counts = pool.labels.vocabulary()
    order = sorted(range(len(vocab)), key=lambda i: (-int(counts[i]), vocab[i]))[:top]
    labels = [vocab[i] for i in order]
    shares = [counts[order].astype(np.float64) / max(1, len(pool.scores))]
    for ann in subsets:
        sub_vocab, sub_counts = ann.labels.vocabulary()
        index = dict(zip(sub_vocab, sub_counts.tolist()))
        shares.append(
            np.array([index.get(x, 0) for x in labels], dtype=np.float64) / max(1, len(ann.scores))
        )
    return Shares("top labels", labels, shares)


def _left_out(
    s: SubsetInput,
    indptr: np.ndarray,
    ids: np.ndarray,
    carried: np.ndarray,
    unlabelled: np.ndarray,
    zero: np.ndarray,
    labels: list[str],
) -> LeftOut:
    """What subset `s` left out of the pool, and what it took that MIG never chooses."""
    starts = indptr[s.rows]
    lengths = indptr[s.rows + 1] - starts
    flat = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
    taken = np.zeros(len(carried), dtype=bool)
    taken[ids[flat + np.arange(int(lengths.sum()))]] = True
    missing = np.flatnonzero((carried > 0) & ~taken)
    top = sorted(missing.tolist(), key=lambda j: (-int(carried[j]), labels[j]))[:10]
    return LeftOut(
        name=s.name,
        records=len(s.rows),
        not_taken=len(zero) - len(np.unique(s.rows)),
        unlabelled_taken=int(unlabelled[s.rows].sum()),
        zero_score_taken=int((zero[s.rows] & ~unlabelled[s.rows]).sum()),
        dedup_skipped=s.dedup_skipped,
        repeated=s.repeated,
        uncovered_nodes=len(missing),
        uncovered_top=[(labels[j], int(carried[j])) for j in top],
    )


def build_report_data(
    pool: Annotations,
    graph: LabelGraph,
    subsets: list[SubsetInput],
    options: ReportOptions | None = None,
    *,
    pool_name: str = "pool",
    graph_given: bool = True,
    by: tuple[str, list] | None = None,
    components: dict[str, np.ndarray] | None = None,
) -> ReportData:
    """Every number the report plots. `by` = (field name, value per pool row); `components` =
    score component name -> value per pool row (NaN where a record has none)."""
    o = options or ReportOptions()
    model = mig_vectors(pool, graph, prop_weight=o.prop_weight, norm=o.norm)
    indptr, ids = pool.labels.encode(graph.labels)
    subset_ann = [take_annotations(pool, s.rows) for s in subsets]

    def stats_of(ann: Annotations) -> PoolStats:
        return pool_stats(ann, graph, phi=o.phi, prop_weight=o.prop_weight, norm=o.norm)

    stats = [stats_of(pool)] + [stats_of(a) for a in subset_ann]

    def curve(order: np.ndarray) -> PrefixCurves:
        return prefix_curves(model.u, indptr, ids, order, o.phi, max_points=o.max_points)

    curves = [CurveLine(s.name, "subset", curve(s.rows)) for s in subsets]
    k = max((len(s.rows) for s in subsets), default=0)
    same_as: dict[str, str] = {}
    for method in o.baselines:
        if method not in BASELINES:
            raise ValueError(f"unknown baseline '{method}' (choose from {', '.join(BASELINES)})")
        if k == 0:
            continue
        chosen = select(
            pool,
            k,
            graph=graph,
            method=method,
            phi=o.phi,
            prop_weight=o.prop_weight,
            norm=o.norm,
            seed=o.seed,
        ).rows
        label = f"{method} (seed {o.seed})" if method == "random" else method
        twin = next(
            (s.name for s in subsets if np.array_equal(s.rows, chosen[: len(s.rows)])), None
        )
        if twin is not None:  # a subset already is this order: one line is enough
            same_as[twin] = label
            continue
        curves.append(CurveLine(f"{label}, recomputed", "baseline", curve(chosen)))

    gains = []
    for s in subsets:
        if s.gains is not None:
            g, source = np.asarray(s.gains, dtype=np.float64), "ranking"
        else:
            g, source = pick_gains(model.u, s.rows, o.phi), "recomputed"
        gains.append(
            GainLine(s.name, source, bin_series(g, o.max_points), bin_series(g, 25), len(g))
        )

    scores = score_histograms("score", pool.scores, [a.scores for a in subset_ann], o.score_bins)
    component_hists = [
        score_histograms(name, values, [values[s.rows] for s in subsets], o.score_bins)
        for name, values in (components or {}).items()
    ]

    compositions = []
    if by is not None:
        name, values = by
        categories, codes = category_codes(values, o.top_categories)
        shares = [_shares(codes, len(categories))]
        shares += [_shares(codes[s.rows], len(categories)) for s in subsets]
        compositions.append(Shares(name, categories, shares))
    compositions.append(label_shares(pool, subset_ann, o.top_labels))

    unlabelled = ~model.labelled
    zero = pool.scores == 0
    carried = np.bincount(ids, minlength=graph.num_nodes)  # records carrying each node
    left_out = [_left_out(s, indptr, ids, carried, unlabelled, zero, graph.labels) for s in subsets]
    vocab, _ = pool.labels.vocabulary()
    nodes = set(graph.labels)
    return ReportData(
        names=[pool_name] + [s.name for s in subsets],
        stats=stats,
        curves=curves,
        gains=gains,
        num_nodes=graph.num_nodes,
        scores=scores,
        components=component_hists,
        compositions=compositions,
        pool_unlabelled=int(unlabelled.sum()),
        pool_zero_score=int((zero & ~unlabelled).sum()),
        pool_never=int((unlabelled | zero).sum()),
        left_out=left_out,
        graph=summarize_graph(graph),
        graph_given=graph_given,
        pool_labels_off_graph=sum(1 for x in vocab if x not in nodes),
        same_as=same_as,
    )
