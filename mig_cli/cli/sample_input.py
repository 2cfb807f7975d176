"""The input side of `mig sample`: the records already given, option clashes, what to warn about.

Kept apart from `sample.py` so that the command itself stays a short list of steps.
"""

from __future__ import annotations

import numpy as np
import typer

from ..errors import DataError
from ..records.matching import KeySource, Match, RecordsKeys, match_rows
from ..records.pool import Pool
from ..records.pool_index import PoolIndex, Wanted, index_pool
from ..selection.coverage import Coverage, coverage_warnings
from .auto_annotate import annotate_pool, can_annotate
from .common import err_console

# options that only shape a graph built on the fly: with --graph they would do nothing
GRAPH_BUILD_OPTIONS = ("edge_threshold", "max_nodes", "graph_min_count", "model")


def warn(message: str) -> None:
    err_console.print(f"[yellow]Warning:[/] {message}", markup=True)


def check_graph_options(ctx: typer.Context, graph_dir: str | None) -> None:
    """--edge-threshold / --max-nodes / --graph-min-count / --model with --graph: a usage error on
    the command line, a warning when a config file sets them (configs hold both stages)."""
    if not graph_dir:
        return
    from_config = []
    for name in GRAPH_BUILD_OPTIONS:
        found = ctx.get_parameter_source(name)
        source = found.name if found is not None else None  # typer may vendor its own click
        flag = "--" + name.replace("_", "-")
        if source in ("COMMANDLINE", "ENVIRONMENT"):
            raise typer.BadParameter(
                f"{flag} shapes a graph built on the fly and does nothing with --graph; "
                "rebuild the graph with mig build-graph instead",
                param_hint=f"'{flag}'",
            )
        if source == "DEFAULT_MAP":
            from_config.append(flag)
    if from_config:
        warn(f"{', '.join(from_config)} from the config file ignored: --graph is given")


def given_rows(pool: KeySource, given: KeySource, given_source: str) -> np.ndarray:
    """Mask of the pool's rows that are records of `given` (by bytes, content, unique ids)."""
    match: Match = match_rows(pool, given)
    if match.unmatched:
        warn(
            f"{match.unmatched:,} of the {len(given):,} records in {given_source} are not in the "
            "pool; they count in the starting state only"
        )
    return match.pool_mask()


def read_given(data, ann, given: Pool, mig: bool, labels_field, score_field, preset):
    """The `--given` records' annotations (None unless `mig`) and the mask of their pool rows.

    Raw given records (a subset `mig sample` wrote from a raw pool, or its manifest) take their
    labels and score from the pool they are found in (`raw_subsets`); a record not there is a
    DataError, as it has no annotations to start from."""
    from ..records.annotations import resolve_fields
    from .controls import take_annotations
    from .options import annotations_of
    from .raw_subsets import given_keys, lacks_labels, match_raw, raw_keys

    _, labels_at, _ = resolve_fields(preset.value if preset else None, labels_field, None)
    if lacks_labels(given, labels_at):
        pool_keys = given_keys(data, labels_at, score_field)
        if mig:
            match = match_raw(pool_keys, given, data.source)
            return take_annotations(ann, match.rows), match.pool_mask()
        return None, given_rows(pool_keys, raw_keys(given, pool_keys), given.source)
    given_ann = annotations_of(given, labels_field, score_field, preset) if mig else None
    keys = RecordsKeys(given.rows(), given.lines)
    return given_ann, given_rows(data, keys, given.source)


def report_coverage(cov: Coverage | None, k: int, *, graph_given: bool) -> None:
    if cov is None:
        return
    for message in coverage_warnings(cov, k, graph_given=graph_given):
        warn(message)


def open_pool(path: str, wanted: Wanted, *, annotate: bool, cache_dir: str | None) -> PoolIndex:
    """Index the pool (only what `wanted` names); annotate a raw pool first when allowed."""
    with err_console.status(f"reading {path}"):
        index = index_pool(path, wanted)
    if len(index) == 0:
        index.close()
        raise DataError("the pool is empty", source=index.source)
    if not index.absent:
        return index
    field = index.absent[0]
    line = index.first_absent_line.get(field)
    what = "a list of strings" if field == wanted.labels_field else "a number >= 0"
    if not annotate or not can_annotate(wanted) or index.path is None:
        index.close()
        hint = (
            "add them with mig tag / mig score (or leave out --no-annotate)"
            if not annotate
            else "no record has it; add it with mig tag / mig score, or name the field"
        )
        raise DataError(
            f"missing; expected {what} ({hint})", source=index.source, line=line, field=field
        )
    try:
        annotated = annotate_pool(index, wanted, cache_dir=cache_dir)
    except BaseException:
        index.close()
        raise
    with err_console.status(f"reading {annotated}"):
        try:
            copy = index_pool(annotated, wanted)
        except BaseException:
            index.close()
            raise
    if copy.absent:
        copy.close()
        index.close()
        raise DataError(
            f"missing after annotation: {', '.join(copy.absent)}; this annotated copy is "
            "damaged: delete it (and its hidden .source.json beside it) and run again",
            source=annotated,
        )
    return _rows_from_the_input(copy, index)


def _rows_from_the_input(copy: PoolIndex, original: PoolIndex) -> PoolIndex:
    """Select on the annotated copy, write the user's own lines: the copy's rows align with the
    input's row for row, so the subset is copied from the input (byte for byte from JSONL).
    The counts are checked; a mismatch is refused rather than writing other records."""
    if len(original) != len(copy):
        copy.close()
        original.close()
        raise DataError(
            f"the annotated copy {copy.source} holds {len(copy):,} records but the pool "
            f"{len(original):,}; delete the copy and run again",
            source=original.source,
        )
    copy.rows_from = original  # writers take the selected rows from here
    close_copy = copy.close

    def close() -> None:
        close_copy()
        original.close()

    copy.close = close  # type: ignore[method-assign]
    return copy
