"""Select a subset from annotations and a label graph, with MIG or a baseline.

`mig_vectors` builds the propagated vectors u (design.md "The MIG sampler, exactly", steps 1-2),
`select` runs the chosen sampler, `state_of` gives the state X of a set of records. `select`
takes what `mig sample` takes: K as a count, a fraction or a percentage (`parse_count`), and no
graph for MIG (one is built from the pool's labels with the default model and threshold, as the
CLI does). It refuses a pool with nothing to select by (`coverage.refuse_without_information`)
and keeps the arithmetic finite for scores near 1e308 (`scaling`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from ..records.annotations import Annotations, LabelColumn
from ..records.label_graph import LabelGraph
from .baselines import RandomSampler, TopScoreSampler
from .coverage import coverage, refuse_without_information
from .lazy_dedup import LazyDuplicates
from .phi import Phi, PowPhi
from .propagation import propagate, propagation_matrix, record_vectors
from .quota import quota_limits
from .sampler import MigSampler, Selection, information
from .scaling import Scale, scale_for

METHODS = ("mig", "random", "top-score")
DEFAULT_EDGE_THRESHOLD = 0.9

_PERCENT = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*%\s*$")


def parse_count(k: str | int | float, n: int) -> int:
    """K as `mig sample -k` reads it: a count (5000), a fraction (0.05) or a percentage ("5%").

    Ints (and strings of digits) are counts; floats and other strings are fractions of the n
    records, rounded, at least 1. Raises ValueError with the CLI's message otherwise.
    """
    if isinstance(k, (bool, np.bool_)):
        raise ValueError(f"'{k}' is not a count (5000), a fraction (0.05) or a percentage (5%)")
    if isinstance(k, (int, np.integer)):
        if k <= 0:
            raise ValueError(f"'{k}' must be above 0 and at most 100%")
        return int(k)
    raw = str(k).strip()
    try:
        if m := _PERCENT.match(raw):
            fraction = float(m.group(1)) / 100.0
        elif re.fullmatch(r"\d+", raw):
            count = int(raw)
            if count <= 0:
                raise ValueError
            return count
        else:
            fraction = float(raw)
            if fraction >= 1.0 and fraction != 1.0:
                raise ValueError
    except ValueError:
        raise ValueError(
            f"'{raw}' is not a count (5000), a fraction (0.05) or a percentage (5%)"
        ) from None
    if not 0 < fraction <= 1:
        raise ValueError(f"'{raw}' must be above 0 and at most 100%")
    return max(1, int(round(fraction * n)))


def check_finite(**values: float | None) -> None:
    """ValueError naming the first option that is NaN or infinite."""
    for name, value in values.items():
        if value is not None and not math.isfinite(float(value)):
            raise ValueError(f"{name} must be a finite number, got {value}")


def default_graph(
    labels: LabelColumn,
    *,
    model: str | None = None,
    cache_dir: str | None = None,
    edge_threshold: float | str | None = None,
) -> LabelGraph:
    """The graph `mig sample` builds without --graph: every label a node, edges at cosine >=
    `edge_threshold` with `model` (default: the bundled MiniLM), embeddings cached on disk.
    `edge_threshold` None = the model's calibrated value (`graph.calibrated_threshold`), else
    "auto", raised where the graph would be denser than `graph.MAX_MEAN_DEGREE`; the paper's
    0.9 (`graph.PAPER_THRESHOLD`) suits its own label embeddings."""
    from ..annotate.embedding import label_embedder
    from ..records.embedding_cache import EmbeddingCache
    from .graph import MAX_MEAN_DEGREE, build_graph, default_threshold

    embedder = label_embedder(model)
    meta, limit = {"model": embedder.name}, None
    if edge_threshold is None:
        edge_threshold, rule = default_threshold(embedder.name)
        meta.update(rule)
        limit = MAX_MEAN_DEGREE
    cache = EmbeddingCache(cache_dir)

    def embed(texts: list[str]) -> np.ndarray:
        found = cache.load(embedder.key, texts)
        missing = [x for x in dict.fromkeys(texts) if x not in found]
        if missing:
            vectors = embedder.encode(missing)
            cache.store(embedder.key, missing, vectors)
            found.update(zip(missing, vectors))
        return np.stack([found[x] for x in texts]).astype(np.float32)

    return build_graph(
        labels,
        embed,
        edge_threshold=edge_threshold,
        meta=meta,
        max_mean_degree=limit,
    )


@dataclass
class MigModel:
    """Propagated vectors of a pool over a graph: the input of the sampler and of I(D)."""

    u: sp.csr_matrix
    p: sp.csr_matrix
    labelled: np.ndarray  # bool: record keeps >= 1 graph node
    scale: Scale = field(default_factory=Scale)  # u is in the domain scaled by 2^-exponent


def _vectors(indptr, ids, scores, graph, norm, scale: Scale) -> sp.csr_matrix:
    return record_vectors(indptr, ids, scale.scores(scores), graph.num_nodes, norm)


def mig_vectors(
    annotations: Annotations,
    graph: LabelGraph,
    *,
    prop_weight: float = 1.0,
    norm: bool = False,
    scale: Scale | None = None,
) -> MigModel:
    """u = v P for every record (N x M CSR); `scale` defaults to the one the scores need."""
    _check_prop_weight(prop_weight)
    indptr, ids = annotations.labels.encode(graph.labels)
    if scale is None:
        scale = scale_for((annotations.scores, np.diff(indptr)))
    v = _vectors(indptr, ids, annotations.scores, graph, norm, scale)
    p = _propagation(graph, prop_weight)
    return MigModel(propagate(v, p), p, np.diff(indptr) > 0, scale)


def _propagation(graph: LabelGraph, prop_weight: float) -> sp.csr_matrix:
    """P of design.md step 2; ValueError when alpha times a column of W overflows float64."""
    weights = graph.weight_matrix()
    if weights.nnz and prop_weight > 0:
        with np.errstate(over="ignore"):
            largest = prop_weight * float(np.asarray(abs(weights).sum(axis=0)).max())
        if not math.isfinite(largest) or largest > 1e300:
            raise ValueError(
                f"prop_weight {prop_weight:g} is too large for this graph: a column of "
                "1 + alpha W would overflow float64"
            )
    return propagation_matrix(weights, prop_weight)


def _check_prop_weight(prop_weight: float) -> None:
    check_finite(prop_weight=prop_weight)
    if prop_weight < 0:
        raise ValueError(f"prop_weight must be >= 0, got {prop_weight}")


def select(
    annotations: Annotations,
    k: int | float | str | Sequence[int | float | str] | None,
    *,
    graph: LabelGraph | None = None,
    method: str = "mig",
    phi: Phi | None = None,
    gain: str = "gradient",
    prop_weight: float = 1.0,
    norm: bool = False,
    seed: int = 0,
    given: Annotations | None = None,
    exclude: np.ndarray | None = None,
    include: Sequence[int] | np.ndarray | None = None,
    min_score: float | None = None,
    cost: np.ndarray | None = None,
    budget: float | None = None,
    quota: Sequence[object] | None = None,
    max_share: Mapping[str, float] | None = None,
    min_count: Mapping[str, int] | None = None,
    quota_field: str = "group",
    backend: str = "auto",
    duplicates: LazyDuplicates | None = None,
) -> Selection:
    """Choose k rows: the MIG greedy (design.md) or a baseline (`random`, `top-score`).

    k: a count, a fraction of the pool (0.1) or a percentage ("5%"); a list of them selects
    the largest, whose prefixes are the nested smaller subsets (`nested`); None with a budget
    = as many as the budget allows. `given` records (already chosen, e.g. a previous subset)
    start the state X; `exclude` (bool per row) masks rows that may not be chosen. Without
    `graph`, MIG builds one from the pool's labels with the bundled model and its calibrated
    threshold
    (see `default_graph`; needs the `embed` extra).

    Selection controls (README "Selection controls"): `include` rows are picked first, in
    order, counted in k, their information starting the state; `min_score` masks rows scored
    below it; `cost` (float64 (N,), > 0) with `budget` runs the cost-benefit greedy under that
    budget (`budget.py`); `quota` (one group value per row) with `max_share` (value -> share
    of the largest k, or of the budget; '*' = every group) and `min_count` (value -> records)
    enforces the quota inside the greedy (`quota.py`). Budget and quotas apply to MIG only.
    `duplicates` (MIG only): lazy exact dedup, a row read and dropped when a copy of it is
    already chosen or blocked (`lazy_dedup.py`; rows dropped in `Selection.duplicates`).

    Raises ValueError for bad options (unknown method, non-finite parameters, k larger than
    the rows that may be chosen) and `DataError` when no record gives anything to select by
    (every score 0, or no record has a label on the graph); `QuotaError` / `BudgetError`
    (both `MigError`) when the quotas or the budget cannot be met.
    """
    if method not in METHODS:
        raise ValueError(f"unknown method '{method}' (choose from {', '.join(METHODS)})")
    n = len(annotations.scores)
    if k is None:
        count = None
        if budget is None:
            raise ValueError("give k, a budget, or both")
    elif isinstance(k, (list, tuple, np.ndarray)):
        count = max(parse_count(x, n) for x in k)
    else:
        count = parse_count(k, n)
    include_rows = np.zeros(0, np.int64) if include is None else np.asarray(include, np.int64)
    mask = np.zeros(n, dtype=bool) if exclude is None else np.array(exclude, dtype=bool)
    if min_score is not None:
        check_finite(min_score=min_score)
        mask |= annotations.scores < min_score
    if method != "mig":
        if budget is not None or quota is not None:
            raise ValueError("budgets and quotas apply to the mig method only")
        if duplicates is not None:
            raise ValueError("lazy dedup applies to the mig method only")
        if count is None:
            raise ValueError("give k")
        cov = coverage(annotations, method, exclude=mask)
        refuse_without_information(cov)
        mask[include_rows] = True
        sampler = RandomSampler(seed) if method == "random" else TopScoreSampler()
        base = sampler.select(annotations.scores, count - len(include_rows), exclude=mask)
        lead = annotations.scores[include_rows] if method == "top-score" else np.nan
        chosen = Selection(
            np.concatenate([include_rows, base.rows]),
            np.concatenate([np.broadcast_to(lead, len(include_rows)), base.gains]),
            included=len(include_rows),
        )
        chosen.coverage = cov
        return chosen
    _check_prop_weight(prop_weight)
    phi = phi or PowPhi()
    if graph is None:
        graph = default_graph(annotations.labels)
    indptr, ids = annotations.labels.encode(graph.labels)
    given_enc = None
    parts = [(annotations.scores, np.diff(indptr))]
    if given is not None and len(given.scores):
        given_enc = given.labels.encode(graph.labels)
        parts.append((given.scores, np.diff(given_enc[0])))
    scale = scale_for(*parts)
    labelled = np.diff(indptr) > 0
    cov = coverage(annotations, method, graph=graph, on_graph=labelled, exclude=mask)
    refuse_without_information(cov)
    p = _propagation(graph, prop_weight)
    u = propagate(_vectors(indptr, ids, annotations.scores, graph, norm, scale), p)
    start = None
    if given_enc is not None:
        assert given is not None
        v_given = _vectors(*given_enc, given.scores, graph, norm, scale)
        start = np.asarray(p.T @ np.asarray(v_given.sum(axis=0)).ravel()).ravel()
    limits = None
    if quota is not None:
        if budget is None and count is None:
            raise ValueError("quotas need k or a budget")
        size = float(budget if budget is not None else count)
        limits = quota_limits(
            quota_field, quota, max_share=max_share, min_count=min_count, size=size
        )
    scaled_phi = scale.phi(phi)
    chosen = MigSampler(scaled_phi, gain, backend).select(
        u,
        count,
        start=start,
        exclude=mask,
        include=include_rows,
        cost=cost,
        budget=budget,
        groups=limits,
        duplicates=duplicates,
    )
    chosen.gains = scale.unscale(chosen.gains, phi)  # clipped to the float64 range
    chosen.information = scale.unscale(information(chosen.state, scaled_phi), phi)
    if start is not None:
        chosen.start_information = scale.unscale(information(start, scaled_phi), phi)
    chosen.state = scale.state(chosen.state)
    chosen.coverage = cov
    return chosen


def nested(selection: Selection, sizes: Sequence[int]) -> dict[int, np.ndarray]:
    """The first k rows of the selection for each k (fewer when the selection is shorter)."""
    return {k: selection.rows[:k] for k in sorted(sizes)}


def state_of(
    annotations: Annotations,
    graph: LabelGraph,
    *,
    prop_weight: float = 1.0,
    norm: bool = False,
    p: sp.csr_matrix | None = None,
) -> np.ndarray:
    """X = sum of u_i over all records (`p`: the propagation matrix, when already built)."""
    return encoded_state(annotations, graph, prop_weight, norm, p)[1]


def encoded_state(
    annotations: Annotations,
    graph: LabelGraph,
    prop_weight: float,
    norm: bool,
    p: sp.csr_matrix | None = None,
    scale: Scale | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The records' node ids (flat, as `LabelColumn.encode` gives them) and X.

    X is in the domain scaled by `scale` when one is given (else unscaled, and entries beyond
    the float64 range are inf).
    """
    _check_prop_weight(prop_weight)
    indptr, ids = annotations.labels.encode(graph.labels)
    v = _vectors(indptr, ids, annotations.scores, graph, norm, scale or Scale())
    if p is None:
        p = _propagation(graph, prop_weight)
    total = np.asarray(v.sum(axis=0)).ravel()
    return ids, np.asarray(p.T @ total).ravel()


def information_of(
    annotations: Annotations,
    graph: LabelGraph,
    phi: Phi,
    *,
    prop_weight: float = 1.0,
    norm: bool = False,
) -> tuple[np.ndarray, float]:
    """(node ids as `encoded_state` gives them, I(D) of all the records), finite for any
    finite scores (computed in the scaled domain of `scaling`)."""
    indptr, _ = annotations.labels.encode(graph.labels)
    scale = scale_for((annotations.scores, np.diff(indptr)))
    ids, x = encoded_state(annotations, graph, prop_weight, norm, scale=scale)
    return ids, scale.unscale(information(x, scale.phi(phi)), phi)
