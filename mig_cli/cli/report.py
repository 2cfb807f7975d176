"""`mig report`: one self-contained HTML page about a pool, its subsets and the label graph."""

from __future__ import annotations

import datetime as dt
import math
import os
import time
from pathlib import Path

import numpy as np
import typer

from .. import __version__
from ..errors import DataError
from ..records.annotations import resolve_fields
from ..records.atomic_files import write_text
from ..records.graph_files import read_graph
from ..records.matching import RecordsKeys
from ..records.pool import MISSING, Pool
from ..records.writers import read_table
from ..selection.graph import graph_without_edges
from .common import (
    config_option,
    err_console,
    reports_errors,
)
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
from .output_checks import check_outputs
from .raw_subsets import annotation_fields, lacks_labels, match_raw
from .replay import not_as_sampled


def _need_plotting() -> None:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise DataError(
            "mig report needs matplotlib: pip install 'mig-cli[report]' (or make install)"
        ) from None


def _read_ranking(path: str, subset: Pool):
    """(gains, duplicates skipped or None, listed pool rows or None) of a subset's ranking."""
    from ..report.provenance import ranking_dedup_count

    try:
        table = read_table(path)
    except FileNotFoundError:
        raise DataError("no such ranking file", source=path) from None
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several kinds
        raise DataError(f"cannot read the ranking table ({exc})", source=path) from None
    columns = {name: table.column(name).to_pylist() for name in table.column_names}
    if "gain" not in columns:
        raise DataError(f"no 'gain' column (has: {', '.join(table.column_names)})", source=path)
    if len(columns["gain"]) != len(subset):
        raise DataError(
            f"lists {len(columns['gain']):,} records but {subset.source} has {len(subset):,}; "
            "give the ranking written with that subset",
            source=path,
        )
    gains = np.array([math.nan if g is None else g for g in columns["gain"]], dtype=np.float64)
    listed = None
    if "row" in columns and all(isinstance(r, int) for r in columns["row"]):
        listed = np.array(columns["row"], dtype=np.int64)
    return gains, ranking_dedup_count(columns), listed


def _subset_rows(
    data: Pool, sub: Pool, listed, ranking: str | None, notes: dict, pool_sha, keys, raw=()
):
    """Pool rows of a subset: the ranking's or the manifest's rows when they check out record
    by record (fast), else found by matching against the whole pool; `raw`: the annotation
    fields to leave out when the subset holds raw records (`raw_subsets`)."""
    from ..report.matching import first_mismatch, pool_rows_of

    if listed is not None:
        bad = first_mismatch(data, sub, listed)
        if bad is not None:
            raise DataError(
                f"rank {bad + 1} is pool row {listed[bad]}, which is not record {bad + 1} of "
                f"{sub.source}: not the ranking of this subset (or of another pool)",
                source=ranking,
                line=bad + 2,
            )
        return listed, "rows from its ranking, checked record by record"
    manifest_rows = notes.get("rows")
    if manifest_rows is not None and pool_sha is not None and notes.get("pool_sha256") == pool_sha:
        rows = np.asarray(manifest_rows, dtype=np.int64)
        if first_mismatch(data, sub, rows) is None:
            return rows, "rows from its manifest, checked record by record"
    with err_console.status(f"finding the records of {sub.source} in the pool"):
        if raw:
            match = match_raw(RecordsKeys(data.rows(), ignore=raw), sub, data.source)
            return match.rows, "raw records matched by content without annotations, or id"
        return pool_rows_of(data, sub, keys())


def _field_values(pool: Pool, field: str) -> list | None:
    """Values at a dotted path, or None when an Arrow pool has no such column (cheap: an Arrow
    pool is never turned into a million dicts just to find a field missing)."""
    head = field.split(".", 1)[0]
    if pool.table is not None and head not in pool.table.column_names:
        return None
    values = pool.values(field)
    return None if all(v is MISSING for v in values) else values


def _readable(path: str) -> None:
    """A page is for sharing: the umask's usual mode, not the temporary file's 0600."""
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(path, 0o666 & ~mask)


@reports_errors
def report_cmd(
    pool: str = typer.Argument(
        ..., metavar="POOL", help="The annotated pool the subsets came from."
    ),
    subsets: list[str] = typer.Argument(
        ..., metavar="SUBSET", help="One or more subsets of POOL, in selection order."
    ),
    output: str = typer.Option(..., "-o", "--output", help="HTML file to write."),
    graph_dir: str = typer.Option(
        None, "--graph", help="Label graph used for sampling; without it labels are independent."
    ),
    by: str = typer.Option(
        None, "--by", help="Field (dotted path) to compare pool and subset shares by, e.g. source."
    ),
    rankings: list[str] = typer.Option(
        None,
        "--ranking",
        help="A subset's --ranking file (gains); repeat in the order of the subsets.",
    ),
    baselines: str = typer.Option(
        "random,top-score",
        "--baselines",
        help="Orders recomputed on the pool for the curves: any of mig,random,top-score ('' none).",
    ),
    seed: int = typer.Option(0, "--seed", help="Seed of the random baseline."),
    components_field: str = typer.Option(
        "score_components",
        "--components-field",
        help="Field holding per-record score components (a dict of numbers), when present.",
    ),
    title: str = typer.Option(None, "--title", help="Page title [default: mig report]."),
    labels_field: str = LABELS_FIELD,
    score_field: str = SCORE_FIELD,
    preset: Preset = PRESET,
    prop_weight: float = PROP_WEIGHT,
    phi: PhiName = PHI,
    phi_a: float = PHI_A,
    phi_b: float = PHI_B,
    phi_lambda: float = PHI_LAMBDA,
    norm: bool = NORM,
    config: str = config_option(),
) -> None:
    """Write one self-contained HTML report: pool and subsets side by side, with charts.

    Information and label coverage as records are taken (each subset against random and
    top-score orders), the gain of each pick, score distributions, composition by a field and by
    the top labels, what was left out, and the label graph. The file needs no network: styles
    and charts (SVG) are inline.

    \b
    Examples:
      mig report pool.jsonl subset-mig.jsonl subset-random.jsonl --graph graph/ \\
          --by source --ranking ranking-mig.csv -o report.html
      mig report pool.parquet subset.parquet -o report.html --baselines mig,random,top-score
    """
    started = time.perf_counter()
    _need_plotting()
    from ..report.data import (
        BASELINES,
        ReportOptions,
        SubsetInput,
        build_report_data,
        score_components,
    )
    from ..report.html import render_html
    from ..report.matching import PoolKeys, repeated_records
    from ..report.provenance import describe_file, subset_notes

    chosen = tuple(b.strip() for b in baselines.split(",") if b.strip())
    for b in chosen:
        if b not in BASELINES:
            raise typer.BadParameter(
                f"'{b}' is not one of {', '.join(BASELINES)}", param_hint="'--baselines'"
            )
    rankings = list(rankings or [])
    if len(rankings) > len(subsets):
        raise typer.BadParameter(
            f"{len(rankings)} ranking files for {len(subsets)} subsets", param_hint="'--ranking'"
        )
    if Path(output).is_dir():
        raise typer.BadParameter(f"'{output}' is a folder", param_hint="'-o'")
    check_outputs([pool, *subsets, *rankings, graph_dir], [("-o", output)])
    phi_fn = phi_from_options(phi, phi_a, phi_b, phi_lambda)
    data = read_input(pool)
    ann = annotations_of(data, labels_field, score_field, preset)
    _, labels_at, _ = resolve_fields(preset.value if preset else None, labels_field, None)
    if graph_dir:
        graph = read_graph(graph_dir)
    else:
        graph = graph_without_edges(sorted(ann.labels.vocabulary()[0]))
    pool_info = describe_file(pool)
    inputs = [{"role": "pool", "records": len(data), **pool_info}]
    if graph_dir:
        inputs.append(
            {
                "role": "graph",
                "records": None,
                "notes": f"{graph.num_nodes:,} nodes, {graph.num_edges:,} edges",
                **describe_file(graph_dir),
            }
        )
    subset_inputs = []
    subset_manifests: list[dict] = []  # what each subset's manifest says (or {})
    cached_keys: list[PoolKeys] = []

    def keys() -> PoolKeys:  # the pool's digests, computed once when a subset needs them
        if not cached_keys:
            cached_keys.append(PoolKeys(data))
        return cached_keys[0]

    subset_entries: list[dict] = []
    for i, path in enumerate(subsets):
        sub = read_input(path, "reading subset")
        notes = subset_notes(path)
        gains = dedup = listed = None
        if i < len(rankings):
            gains, dedup, listed = _read_ranking(rankings[i], sub)
            inputs.append(
                {
                    "role": f"ranking of {Path(path).name}",
                    "records": len(gains),
                    **describe_file(rankings[i]),
                }
            )
        ranking = rankings[i] if i < len(rankings) else None
        raw = annotation_fields(labels_at, score_field) if lacks_labels(sub, labels_at) else ()
        rows, how = _subset_rows(data, sub, listed, ranking, notes, pool_info["sha256"], keys, raw)
        if notes.get("dedup_skipped") is not None:  # the manifest counts the whole pool's
            dedup = notes["dedup_skipped"]
        name = Path(path).name if path != "-" else "stdin"
        subset_inputs.append(SubsetInput(name, rows, gains, dedup, repeated_records(data, rows)))
        note = how
        if notes.get("method"):
            note += f"; method {notes['method']} (manifest)"
        subset_manifests.append(notes)
        entry = {"role": "subset", "records": len(sub), "notes": note, **describe_file(path)}
        subset_entries.append(entry)
        inputs.append(entry)
    names = [s.name for s in subset_inputs]
    for i, name in enumerate(names):  # two subsets with the same file name: tell them apart
        if names.count(name) > 1:
            subset_inputs[i].name = f"{name} [{i + 1}]"
    by_values = None
    if by:
        values = _field_values(data, by)
        if values is None:
            raise DataError(f"no record has the field '{by}' (--by)", source=data.source)
        by_values = (by, values)
    found = _field_values(data, components_field) if components_field else None
    components = score_components(found) if found is not None else {}
    options = ReportOptions(
        phi=phi_fn, prop_weight=prop_weight, norm=norm, seed=seed, baselines=chosen
    )
    with err_console.status("computing curves, gains and shares"):
        report = build_report_data(
            ann,
            graph,
            subset_inputs,
            options,
            pool_name=Path(pool).name if pool != "-" else "stdin",
            graph_given=bool(graph_dir),
            by=by_values,
            components=components,
        )
    for i, notes in enumerate(subset_manifests):
        text = not_as_sampled(
            notes, report.stats[i + 1].information, graph_dir, "this page computes"
        )
        if text:
            subset_entries[i]["notes"] += "; " + text
            err_console.print(f"[yellow]Warning:[/] {subsets[i]}: {text}", markup=True)
    meta = {
        "title": title or "mig report",
        "version": __version__,
        "created": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "inputs": inputs,
        "options": {
            "graph": graph_dir or "none (labels as independent nodes)",
            "by": by or "-",
            "phi": f"pow a={phi_a} b={phi_b}" if phi == PhiName.pow else f"exp lambda={phi_lambda}",
            "prop_weight": prop_weight,
            "norm": norm,
            "baselines": ", ".join(chosen) or "none",
            "seed": seed,
            "score components": ", ".join(components) or "none found",
        },
    }
    with err_console.status("drawing charts"):
        page = render_html(report, meta)
    write_text(output, page)
    _readable(output)
    err_console.print(
        f"Wrote {output} ({len(page.encode()) / 1024:,.0f} KiB): pool {len(data):,} records, "
        f"{len(subsets)} subset{'s' if len(subsets) != 1 else ''} in "
        f"{time.perf_counter() - started:.1f}s"
    )
