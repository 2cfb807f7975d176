"""`mig sample`: select the K records that add the most information."""

from __future__ import annotations

import time

import numpy as np
import typer

from ..records.graph_files import read_graph
from ..records.pool import Pool
from ..records.writers import record_line, write_pool_rows, write_table
from ..selection.sampler import information
from ..selection.selection import select, state_of
from .build_graph import graph_for
from .common import (
    config_option,
    default_output,
    err_console,
    parse_k,
    reports_errors,
    stdout_is_terminal,
)
from .options import (
    CACHE_DIR,
    EDGE_THRESHOLD,
    LABELS_FIELD,
    MAX_NODES,
    MIN_COUNT,
    MODEL,
    NORM,
    PHI,
    PHI_A,
    PHI_B,
    PHI_LAMBDA,
    POOL_ARG,
    PRESET,
    PROP_WEIGHT,
    SCORE_FIELD,
    Gain,
    Method,
    PhiName,
    Preset,
    annotations_of,
    phi_from_options,
    read_input,
)


def _given_rows(pool: Pool, given: Pool) -> np.ndarray:
    """Rows of `pool` that are records of `given` (matched by id, else by content)."""
    mask = np.zeros(len(pool), dtype=bool)
    given_ids = {x for x in given.ids() if x is not None}
    if given_ids:
        for row, rid in enumerate(pool.ids()):
            if rid in given_ids:
                mask[row] = True
        return mask
    keys = {record_line(r) for r in given.rows()}
    for row, record in enumerate(pool.rows()):
        if record_line(record) in keys:
            mask[row] = True
    return mask


@reports_errors
def sample_cmd(
    pool: str = POOL_ARG,
    k: str = typer.Option(..., "-k", help="How many: a count (5000), fraction (0.05) or 5%."),
    output: str = typer.Option(
        None,
        "-o",
        "--output",
        help="Subset file (.jsonl, .jsonl.gz, .parquet; '-' = stdout). Default: stdout when "
        "piped, else a file beside the pool.",
    ),
    graph_dir: str = typer.Option(None, "--graph", help="Label graph folder (from build-graph)."),
    method: Method = typer.Option(Method.mig, "--method", help="mig, or a baseline."),
    seed: int = typer.Option(0, "--seed", help="Seed for --method random."),
    labels_field: str = LABELS_FIELD,
    score_field: str = SCORE_FIELD,
    preset: Preset = PRESET,
    prop_weight: float = PROP_WEIGHT,
    edge_threshold: float = EDGE_THRESHOLD,
    max_nodes: int = MAX_NODES,
    min_count: int = MIN_COUNT,
    model: str = MODEL,
    cache_dir: str = CACHE_DIR,
    phi: PhiName = PHI,
    phi_a: float = PHI_A,
    phi_b: float = PHI_B,
    phi_lambda: float = PHI_LAMBDA,
    norm: bool = NORM,
    gain: Gain = typer.Option(Gain.gradient, "--gain", help="Gain rule (gradient = paper)."),
    given: str = typer.Option(
        None, "--given", help="Records already chosen (a previous subset): continue from them."
    ),
    ranking: str = typer.Option(
        None, "--ranking", help="Also write (row, id, rank, gain) to this .csv/.tsv/.parquet."
    ),
    config: str = config_option(),
) -> None:
    """Select the K records that add the most information.

    \b
    Examples:
      mig sample pool.jsonl -k 5% -o subset.jsonl --graph graph/
      mig sample pool.parquet -k 50000 --config configs/paper.toml -o subset.parquet
      cat pool.jsonl | mig sample - -k 0.1 --method top-score > subset.jsonl
    """
    started = time.perf_counter()
    phi_fn = phi_from_options(phi, phi_a, phi_b, phi_lambda)
    data = read_input(pool)
    count = parse_k(k, len(data))
    ann = annotations_of(data, labels_field, score_field, preset)
    exclude = None
    given_ann = None
    if given:
        given_pool = read_input(given, "reading given", allow_empty=True)
        if len(given_pool):
            given_ann = annotations_of(given_pool, labels_field, score_field, preset)
            exclude = _given_rows(data, given_pool)
    available = len(data) - (int(exclude.sum()) if exclude is not None else 0)
    if count > available:
        raise typer.BadParameter(
            f"K={count} is larger than the pool ({available:,} records to choose from)",
            param_hint="'-k'",
        )
    graph = None
    if method == Method.mig:
        if graph_dir:
            graph = read_graph(graph_dir)
        else:
            graph = graph_for(
                ann.labels,
                model=model,
                cache_dir=cache_dir,
                edge_threshold=edge_threshold,
                max_nodes=max_nodes,
                min_count=min_count,
                source=data.source,
            )
    target = output
    if target is None:
        target = "-" if not stdout_is_terminal() else default_output(pool, count)
    with err_console.status(f"selecting {count:,} of {len(data):,} records ({method.value})"):
        selection = select(
            ann,
            count,
            graph=graph,
            method=method.value,
            phi=phi_fn,
            gain=gain.value,
            prop_weight=prop_weight,
            norm=norm,
            seed=seed,
            given=given_ann,
            exclude=exclude,
        )
    if ranking:
        ids = data.ids()
        write_table(
            {
                "row": selection.rows,
                "id": [ids[r] for r in selection.rows.tolist()],
                "rank": np.arange(1, len(selection.rows) + 1),
                "gain": selection.gains,
            },
            ranking,
        )
    write_pool_rows(data, selection.rows.tolist(), target)
    where = "stdout" if target == "-" else target
    note = f"Selected {len(selection.rows):,} of {len(data):,} records ({method.value})"
    if graph is not None and method == Method.mig:
        start = (
            state_of(given_ann, graph, prop_weight=prop_weight, norm=norm)
            if given_ann is not None
            else None
        )
        before = information(start, phi_fn) if start is not None else None
        after = information(selection.state, phi_fn)
        gained = f"I(D) = {after:,.2f}" + (f" (from {before:,.2f})" if before is not None else "")
        note += f", {gained}, graph {graph.num_nodes:,} nodes"
    err_console.print(f"{note} -> {where} in {time.perf_counter() - started:.1f}s")
