"""`mig sample`: select the K records that add the most information."""

from __future__ import annotations

import time

import numpy as np
import typer

from ..records.graph_files import read_graph
from ..records.matching import RecordsKeys
from ..records.writers import output_format, table_format, write_pool_rows, write_table
from ..selection.selection import select
from .build_graph import graph_for
from .common import (
    check_outputs,
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
from .sample_input import check_graph_options, given_rows, report_coverage


@reports_errors
def sample_cmd(
    ctx: typer.Context,
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
    seed: int = typer.Option(0, "--seed", min=0, help="Seed for --method random."),
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
    check_outputs([pool, given, graph_dir], [("-o", output), ("--ranking", ranking)])
    if output is not None:
        output_format(output)
    if ranking:
        table_format(ranking)
    phi_fn = phi_from_options(phi, phi_a, phi_b, phi_lambda)
    check_graph_options(ctx, graph_dir if method == Method.mig else None)
    data = read_input(pool)
    count = parse_k(k, len(data))
    ann = annotations_of(data, labels_field, score_field, preset)
    exclude = None
    given_ann = None
    if given:
        given_pool = read_input(given, "reading given", allow_empty=True)
        if len(given_pool):
            given_ann = annotations_of(given_pool, labels_field, score_field, preset)
            exclude = given_rows(
                RecordsKeys(data.rows(), data.lines),
                RecordsKeys(given_pool.rows(), given_pool.lines),
                given_pool.source,
            )
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
    write_pool_rows(data, selection.rows.tolist(), target)
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
    where = "stdout" if target == "-" else target
    note = f"Selected {len(selection.rows):,} of {len(data):,} records ({method.value})"
    if selection.information is not None and graph is not None:
        gained = f"I(D) = {selection.information:,.2f}"
        if selection.start_information is not None:
            gained += f" (from {selection.start_information:,.2f})"
        note += f", {gained}, graph {graph.num_nodes:,} nodes"
    report_coverage(selection.coverage, count, graph_given=bool(graph_dir))
    err_console.print(f"{note} -> {where} in {time.perf_counter() - started:.1f}s")
