"""`mig sample`: select the K records that add the most information."""

from __future__ import annotations

import time

import numpy as np
import typer

from ..errors import DataError
from ..records.graph_files import read_graph, write_graph
from ..records.manifest import is_manifest
from ..records.pool_index import Wanted
from ..records.writers import output_format, table_format, write_table
from ..selection.selection import select
from .build_graph import describe_graph, graph_for, warn_if_sparse
from .common import (
    config_option,
    default_output,
    err_console,
    format_information,
    reports_errors,
    stdout_is_terminal,
)
from .controls import (
    BUDGET,
    COST,
    EXCLUDE,
    GRAPH_MIN_COUNT,
    INCLUDE,
    K_OPTION,
    MANIFEST,
    MAX_SHARE,
    MIN_COUNT,
    MIN_SCORE,
    QUOTA,
    REPLAY,
    SAVE_GRAPH,
    TOKENIZER,
    costs_of,
    manifest_pool,
    match_in_order,
    match_mask,
    parse_sizes,
    quota_spec,
)
from .dedup_option import (
    DEDUP,
    Dedup,
    duplicate_rows,
    lazy_dedup,
    lazy_duplicates,
    record_text,
)
from .options import (
    CACHE_DIR,
    EDGE_THRESHOLD,
    LABELS_FIELD,
    MAX_NODES,
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
    phi_from_options,
    read_input,
)
from .output_checks import check_outputs
from .replay import replay as replay_manifest
from .sample_checks import (
    check_not_the_annotated_copy,
    check_save_graph,
    checked_quota_values,
    filters_named,
    refuse_overlap,
    refuse_replay_with_options,
    stop_reason,
    warn_if_replacing_graph,
)
from .sample_input import check_graph_options, open_pool, read_given, report_coverage
from .subsets import SampleRun, remove_outputs, write_subsets


@reports_errors
def sample_cmd(
    ctx: typer.Context,
    pool: str = typer.Argument(None, metavar="POOL", help=POOL_ARG.help + " Not with --replay."),
    k: str = K_OPTION,
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
    edge_threshold: str = EDGE_THRESHOLD,
    max_nodes: int = MAX_NODES,
    graph_min_count: int = GRAPH_MIN_COUNT,
    model: str = MODEL,
    cache_dir: str = CACHE_DIR,
    phi: PhiName = PHI,
    phi_a: float = PHI_A,
    phi_b: float = PHI_B,
    phi_lambda: float = PHI_LAMBDA,
    norm: bool = NORM,
    gain: Gain = typer.Option(Gain.gradient, "--gain", help="Gain rule (gradient = paper)."),
    given: str = typer.Option(
        None,
        "--given",
        help="Records already chosen (a previous subset, or its manifest): continue from them.",
    ),
    ranking: str = typer.Option(
        None,
        "--ranking",
        help="Also write (row, id, rank, gain, duplicates_skipped) to this .csv/.tsv/.parquet.",
    ),
    min_score: float = MIN_SCORE,
    dedup: Dedup = DEDUP,
    exclude: str = EXCLUDE,
    include: str = INCLUDE,
    budget_tokens: int = BUDGET,
    cost: str = COST,
    tokenizer: str = TOKENIZER,
    quota: str = QUOTA,
    max_share: list[str] = MAX_SHARE,
    min_count: list[str] = MIN_COUNT,
    manifest: str = MANIFEST,
    save_graph: str = SAVE_GRAPH,
    replay: str = REPLAY,
    annotate: bool = typer.Option(
        True,
        "--annotate/--no-annotate",
        help="When no record has labels or scores, add them with the default offline tagger "
        "and scorer first (kept as POOL.mig-annotated.jsonl); --no-annotate refuses instead.",
    ),
    config: str = config_option(),
) -> list[dict] | None:
    """Select the K records that add the most information.

    \b
    Examples:
      mig sample pool.jsonl -k 5% -o subset.jsonl --graph graph/
      mig sample pool.parquet -k 50000 --config configs/paper.toml -o subset.parquet
      cat pool.jsonl | mig sample - -k 0.1 --method top-score > subset.jsonl
      mig sample pool.jsonl --graph graph/ --budget-tokens 5000000 --quota source \\
          --max-share '*=0.25' -k 5000,10000 -o subset.jsonl
      mig sample --replay subset.k5000.manifest.json
      mig sample raw-pool.jsonl -k 50000      # tags and scores it first, once

    Only labels, scores, ids and each line's place are held in memory; the selected lines are
    then copied from the file. Stdin (-) is first spooled to a temporary file in $TMPDIR.
    """
    options = {name: value for name, value in locals().items() if name != "ctx"}
    if replay:
        refuse_replay_with_options(ctx)
        replay_manifest(replay, sample_cmd, ctx)
        return None
    started = time.perf_counter()
    if pool is None:
        raise typer.BadParameter("give the POOL to select from", param_hint="'POOL'")
    if k is None and budget_tokens is None:
        raise typer.BadParameter("give -k, --budget-tokens, or both", param_hint="'-k'")
    inputs = [pool, given, graph_dir, include, exclude]
    written_to = [("-o", output), ("--ranking", ranking), ("--manifest", manifest)]
    check_outputs(inputs, written_to)
    check_not_the_annotated_copy(pool, written_to)
    if output is not None:
        output_format(output)
    if ranking:
        table_format(ranking)
    phi_fn = phi_from_options(phi, phi_a, phi_b, phi_lambda)
    check_graph_options(ctx, graph_dir if method == Method.mig else None)
    check_save_graph(save_graph, graph_dir, method.value)
    spec = quota_spec(quota, max_share, min_count, config)
    options.update(spec.as_options())
    wanted = Wanted.for_method(method.value, labels_field, score_field, preset and preset.value)
    wanted.extra_fields = [spec.field] if spec.field else []
    if min_score is not None and wanted.score_field is None:  # random reads scores to filter
        wanted.score_field = Wanted.for_method(
            "top-score", labels_field, score_field, preset and preset.value
        ).score_field
    data = open_pool(pool, wanted, annotate=annotate, cache_dir=cache_dir)
    ctx.call_on_close(data.close)
    sizes = parse_sizes(k, len(data))
    count = sizes[-1] if sizes else None
    ann = data.annotations()
    exclude_mask = np.zeros(len(data), dtype=bool)
    counts: dict = {"pool": len(data)}
    given_ann = None
    if given:
        given_pool = (
            manifest_pool(given)
            if is_manifest(given)
            else read_input(given, "reading given", allow_empty=True)
        )
        if len(given_pool):
            given_ann, mask = read_given(
                data, ann, given_pool, method == Method.mig, labels_field, score_field, preset
            )
            exclude_mask |= mask
        counts["given"] = len(given_pool)
    outside = []  # given and excluded records: their copies in the pool are never picked
    if given and dedup != Dedup.none:
        outside += [record_text(r) for r in given_pool.rows()]
    excluded = None
    if exclude:
        exclude_pool = read_input(exclude, "reading", allow_empty=True)
        excluded = match_mask(data, exclude_pool)
        counts["excluded"] = int(excluded.sum())
        exclude_mask |= excluded
        if dedup != Dedup.none:
            outside += [record_text(r) for r in exclude_pool.rows()]
    include_rows = None
    if include:
        include_rows = match_in_order(data, read_input(include, "reading"), "--include")
        counts["included"] = len(include_rows)
        refuse_overlap(include_rows, excluded)
    blocking = exclude_mask.copy()  # rows whose copies may not be picked
    if include_rows is not None:
        blocking[include_rows] = True
    duplicates = groups = None
    if lazy_dedup(dedup, method.value, budget_tokens, spec.field):
        with err_console.status("reading the given, excluded and included records"):
            duplicates = lazy_duplicates(data, blocking, outside)
    else:
        groups, dups = duplicate_rows(data, dedup, ann.scores, blocking, outside)
        if dedup != Dedup.none:
            counts["duplicates_skipped"] = int((dups & ~exclude_mask).sum())
        exclude_mask |= dups
    if min_score is not None:
        counts["below_min_score"] = int((ann.scores < min_score).sum())
    blocked = exclude_mask if min_score is None else exclude_mask | (ann.scores < min_score)
    available = len(data) - int(blocked.sum())
    if available == 0:
        raise typer.BadParameter(f"no record is left to choose from{filters_named(options)}")
    if count is not None and count > available and budget_tokens is None:
        why = filters_named(options)
        raise typer.BadParameter(
            f"K={count} is larger than the pool ({available:,} records to choose from{why})",
            param_hint="'-k'",
        )
    costs = cost_info = None
    if budget_tokens is not None:
        costs, cost_info = costs_of(data.whole_pool(), cost, tokenizer)  # needs the text
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
                min_count=graph_min_count,
                source=data.source,
            )
    target = output
    if target is None:
        target = "-" if not stdout_is_terminal() else default_output(pool, count or 0)
    if len(sizes) > 1 and target == "-":
        raise typer.BadParameter("several sizes need -o FILE (one file each)", param_hint="'-k'")
    what = f"{count:,}" if count is not None else f"up to {budget_tokens:,} {cost}"
    if method != Method.mig and (budget_tokens is not None or spec.field):
        raise typer.BadParameter("budgets and quotas apply to --method mig only")
    if include_rows is not None and count is not None and len(include_rows) > count:
        raise typer.BadParameter(
            f"--include holds {len(include_rows):,} records, more than K={count:,}",
            param_hint="'-k'",
        )
    with err_console.status(f"selecting {what} of {len(data):,} records ({method.value})"):
        try:
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
                exclude=exclude_mask,
                include=include_rows,
                min_score=min_score,
                cost=costs,
                budget=budget_tokens,
                quota=checked_quota_values(data, spec.field) if spec.field else None,
                max_share=spec.max_share,
                min_count=spec.min_count,
                quota_field=spec.field or "group",
                duplicates=duplicates,
            )
        except ValueError as exc:  # options the sampler cannot use together (core checks)
            raise typer.BadParameter(str(exc)) from None
    if len(selection.rows) == 0:
        raise DataError(f"nothing was selected: {stop_reason(options, selection, cost)}")
    if duplicates is not None:  # the copies the greedy met, per picked row
        assert selection.duplicates is not None
        counts["duplicates_skipped"] = len(selection.duplicates)
        copies = duplicates.copies_met(selection.rows, selection.duplicates)
    else:
        assert groups is not None
        copies = np.bincount(groups, minlength=len(groups))[groups[selection.rows]] - 1
    run = SampleRun(data, ann, graph, selection, phi_fn, prop_weight, norm, given_ann, costs)
    run.why = stop_reason(options, selection, cost)
    run.lazy_copies = copies if duplicates is not None else None  # per-prefix counts
    run.save_graph = save_graph
    try:
        written = write_outputs(
            run,
            ranking,
            copies,
            sizes,
            target,
            manifest,
            options,
            counts,
            spec,
            cost_info,
            labels_field,
            score_field,
            preset,
        )
    except BaseException:
        remove_outputs(run)
        raise
    where = "stdout" if target == "-" else ", ".join(w["subset"]["path"] for w in written)
    note = f"Selected {len(selection.rows):,} of {len(data):,} records ({method.value})"
    if dedup != Dedup.none:
        note += f", {counts['duplicates_skipped']:,} duplicates skipped ({dedup.value}"
        if duplicates is not None and duplicates.rows_read < len(data):
            # only the copies the greedy met are counted: say how much of the pool was read
            note += f"; among the {duplicates.rows_read:,} records read"
        note += ")"
    if costs is not None:
        note += f", {selection.cost:,.0f} {cost} of {budget_tokens:,}"
        if selection.guard:
            note += " (the best single record beat the greedy set)"
    if selection.information is not None and graph is not None:
        gained = f"I(D) = {format_information(selection.information)}"
        if selection.start_information is not None:
            gained += f" (from {format_information(selection.start_information)})"
        note += f", {gained}, graph {describe_graph(graph)}"
    # the rows actually chosen: with duplicates skipped there may be fewer than K
    report_coverage(selection.coverage, len(selection.rows), graph_given=bool(graph_dir))
    err_console.print(f"{note} -> {where} in {time.perf_counter() - started:.1f}s")
    if graph is not None and method == Method.mig:
        warn_if_sparse(graph)
    return written


def write_outputs(
    run: SampleRun,
    ranking: str | None,
    copies: np.ndarray,
    sizes: list[int],
    target: str,
    manifest: str | None,
    *rest,
) -> list[dict]:
    """The subsets and their manifests, then the ranking; each path lands in `run.files` so that
    a failure part-way can remove them all. `copies`: per selected row, the copies of it
    skipped (every copy in the pool; with lazy dedup, the copies the greedy met)."""
    written = write_subsets(run, sizes, target, manifest, *rest)
    if ranking:
        rows = run.selection.rows
        ids = run.pool.ids()
        write_table(
            {
                "row": rows,
                "id": [ids[r] for r in rows.tolist()],
                "rank": np.arange(1, len(rows) + 1),
                "gain": run.selection.gains,
                "duplicates_skipped": copies,
            },
            ranking,
        )
        run.files.append(ranking)
    if run.save_graph and run.graph is not None:  # last: a folder, written whole or not at all
        warn_if_replacing_graph(run.save_graph, run.graph)
        write_graph(run.graph, run.save_graph)
    return written
