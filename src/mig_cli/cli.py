"""The `mig` command: a thin layer that parses options, calls the core and writes artifacts."""

from __future__ import annotations

import json
import math
import sys
import time
from enum import Enum

import numpy as np
import typer

from . import __version__, cli_annotate
from .annotations import (
    Annotations,
    LabelColumn,
    read_annotations,
    read_labels,
    resolve_fields,
)
from .api import build_graph, graph_without_edges, pool_stats, select, state_of
from .cli_common import (
    cached_embed,
    config_option,
    default_output,
    err_console,
    fingerprint,
    parse_k,
    reports_errors,
    stdout_is_terminal,
)
from .embed import Embedder
from .errors import DataError
from .fields import PRESETS
from .graph import LabelGraph
from .io import EmbeddingCache, read_graph, read_pool, write_graph, write_pool_rows, write_table
from .phi import make_phi
from .pool import Pool
from .sampler import information

app = typer.Typer(
    name="mig",
    help="Pick the most valuable subset of an instruction-tuning pool (MIG: maximise "
    "information gain over a label graph).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)


class Method(str, Enum):
    mig = "mig"
    random = "random"
    top_score = "top-score"


class PhiName(str, Enum):
    pow = "pow"
    exp = "exp"


class Gain(str, Enum):
    gradient = "gradient"
    exact = "exact"


Preset = Enum("Preset", {name: name for name in PRESETS}, type=str)  # type: ignore[misc]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"mig {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """Pick the most valuable subset of an instruction-tuning pool."""


# ----------------------------------------------------------------------------- shared options
POOL_ARG = typer.Argument(
    ...,
    metavar="POOL",
    help="Annotated pool: .jsonl, .jsonl.gz, .parquet, a datasets folder, or - (stdin).",
)
LABELS_FIELD = typer.Option(
    None, "--labels-field", help="Field (dotted path) holding the labels [default: labels]."
)
SCORE_FIELD = typer.Option(
    None, "--score-field", help="Field (dotted path) holding the score [default: score]."
)
PRESET = typer.Option(
    None, "--preset", help="Where labels and score live: 'xsample' reads the MIG authors' pools."
)
MODEL = typer.Option(
    None, "--model", help="Embedding model: hub name or local folder [default: bundled MiniLM]."
)
EDGE_THRESHOLD = typer.Option(
    0.9, "--edge-threshold", min=-1.0, max=1.0, help="Join labels with cosine >= this."
)
MAX_NODES = typer.Option(None, "--max-nodes", min=1, help="Keep only the N most frequent labels.")
MIN_COUNT = typer.Option(None, "--min-count", min=1, help="Keep labels carried by >= N records.")
CACHE_DIR = typer.Option(
    None, "--cache-dir", help="Label-embedding cache [default: $MIG_CACHE_DIR or ~/.cache/mig]."
)
PROP_WEIGHT = typer.Option(1.0, "--prop-weight", min=0.0, help="Propagation weight alpha.")
PHI = typer.Option(PhiName.pow, "--phi", help="Concave information function.")
PHI_A = typer.Option(1e-6, "--phi-a", min=0.0, help="pow: phi(x) = (x + a)^b.")
PHI_B = typer.Option(0.8, "--phi-b", min=0.0, max=1.0, help="pow: phi(x) = (x + a)^b.")
PHI_LAMBDA = typer.Option(1.0, "--phi-lambda", min=0.0, help="exp: phi(x) = 1 - e^(-lambda x).")
NORM = typer.Option(False, "--norm/--no-norm", help="Divide a record's score by its label count.")


def _phi(phi: PhiName, a: float, b: float, lam: float):
    try:
        return make_phi(phi.value, a=a, b=b, lam=lam)
    except ValueError as exc:
        hint = "'--phi-a' / '--phi-b' / '--phi-lambda'"
        raise typer.BadParameter(str(exc), param_hint=hint) from None


def _read(path: str, what: str = "reading", *, allow_empty: bool = False) -> Pool:
    with err_console.status(f"{what} {path}"):
        pool = read_pool(path)
    if not allow_empty and len(pool) == 0:
        raise DataError("the pool is empty", source=pool.source)
    return pool


def _annotations(pool: Pool, labels_field, score_field, preset) -> Annotations:
    return read_annotations(
        pool,
        labels_field=labels_field,
        score_field=score_field,
        preset=preset.value if preset is not None else None,
    )


def _embed_fn(model: str | None, cache_dir: str | None, what: str = "embedding labels"):
    """Embed labels through the on-disk cache keyed by model and label text."""
    embedder = Embedder(model)
    return cached_embed(embedder, EmbeddingCache(cache_dir), what), embedder


def _graph_for(
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
    graph = build_graph(
        labels,
        embed,
        edge_threshold=edge_threshold,
        max_nodes=max_nodes,
        min_count=min_count,
        meta={
            "model": embedder.name,
            "input": source,
            "input_fingerprint": fingerprint(vocab, counts),
            "mig_version": __version__,
        },
    )
    return graph


# ----------------------------------------------------------------------------- build-graph
@app.command("build-graph")
@reports_errors
def build_graph_cmd(
    pool: str = POOL_ARG,
    output: str = typer.Option(..., "-o", "--output", help="Graph folder to write."),
    labels_field: str = LABELS_FIELD,
    preset: Preset = PRESET,
    max_nodes: int = MAX_NODES,
    min_count: int = MIN_COUNT,
    edge_threshold: float = EDGE_THRESHOLD,
    model: str = MODEL,
    cache_dir: str = CACHE_DIR,
    config: str = config_option(),
) -> None:
    """Build the label graph: nodes = labels, edges where label embeddings are close.

    \b
    Example:
      mig build-graph pool.jsonl -o graph/ --max-nodes 4531 --edge-threshold 0.9
    """
    started = time.perf_counter()
    data = _read(pool)
    _, lf, _ = resolve_fields(preset.value if preset else None, labels_field, None)
    labels = read_labels(data, lf)
    graph = _graph_for(
        labels,
        model=model,
        cache_dir=cache_dir,
        edge_threshold=edge_threshold,
        max_nodes=max_nodes,
        min_count=min_count,
        source=data.source,
    )
    write_graph(graph, output)
    degrees = graph.degrees()
    err_console.print(
        f"Wrote {output}: {graph.num_nodes:,} nodes, {graph.num_edges:,} edges "
        f"(mean degree {degrees.mean() if len(degrees) else 0:.2f}, "
        f"{int((degrees == 0).sum()):,} isolated) in {time.perf_counter() - started:.1f}s"
    )


# ----------------------------------------------------------------------------- sample
def _given_rows(pool: Pool, given: Pool) -> np.ndarray:
    """Rows of `pool` that are records of `given` (matched by id, else by content)."""
    mask = np.zeros(len(pool), dtype=bool)
    given_ids = {x for x in given.ids() if x is not None}
    if given_ids:
        for row, rid in enumerate(pool.ids()):
            if rid in given_ids:
                mask[row] = True
        return mask
    from .io import record_line

    keys = {record_line(r) for r in given.rows()}
    for row, record in enumerate(pool.rows()):
        if record_line(record) in keys:
            mask[row] = True
    return mask


@app.command("sample")
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
    phi_fn = _phi(phi, phi_a, phi_b, phi_lambda)
    data = _read(pool)
    count = parse_k(k, len(data))
    ann = _annotations(data, labels_field, score_field, preset)
    exclude = None
    given_ann = None
    if given:
        given_pool = _read(given, "reading given", allow_empty=True)
        if len(given_pool):
            given_ann = _annotations(given_pool, labels_field, score_field, preset)
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
            graph = _graph_for(
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


# ----------------------------------------------------------------------------- stats
def _fmt(value: float, digits: int = 2) -> str:
    if isinstance(value, float) and math.isnan(value):
        return "-"
    return f"{value:,.{digits}f}"


@app.command("stats")
@reports_errors
def stats_cmd(
    pools: list[str] = typer.Argument(
        ..., metavar="POOL", help="One or more annotated pools or subsets."
    ),
    graph_dir: str = typer.Option(
        None, "--graph", help="Label graph; without it, labels are independent nodes."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    labels_field: str = LABELS_FIELD,
    score_field: str = SCORE_FIELD,
    preset: Preset = PRESET,
    prop_weight: float = PROP_WEIGHT,
    phi: PhiName = PHI,
    phi_a: float = PHI_A,
    phi_b: float = PHI_B,
    phi_lambda: float = PHI_LAMBDA,
    norm: bool = NORM,
    top: int = typer.Option(5, "--top", min=0, help="How many top labels to list."),
    config: str = config_option(),
) -> None:
    """Compare pools and subsets side by side: size, coverage, information, entropy, scores.

    \b
    Example:
      mig stats pool.jsonl subset-mig.jsonl subset-random.jsonl --graph graph/
    """
    phi_fn = _phi(phi, phi_a, phi_b, phi_lambda)
    inputs = []
    for path in pools:
        data = _read(path)
        inputs.append((path, _annotations(data, labels_field, score_field, preset)))
    if graph_dir:
        graph = read_graph(graph_dir)
        graph_note = f"{graph_dir} ({graph.num_nodes:,} nodes, {graph.num_edges:,} edges)"
    else:
        union: dict[str, None] = {}
        for _, ann in inputs:
            union.update(dict.fromkeys(ann.labels.vocabulary()[0]))
        graph = graph_without_edges(sorted(union))
        graph_note = f"none: {graph.num_nodes:,} labels as independent nodes"
    results = [
        (path, pool_stats(ann, graph, phi=phi_fn, prop_weight=prop_weight, norm=norm, top=top))
        for path, ann in inputs
    ]
    if as_json:
        payload = {
            "graph": graph_dir,
            "nodes": graph.num_nodes,
            "inputs": [{"path": p, **s.as_dict()} for p, s in results],
        }
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"mig stats (graph: {graph_note})", title_justify="left")
    table.add_column("")
    for path, _ in results:
        table.add_column(path, justify="right", overflow="fold")
    rows = [
        ("records", lambda s: f"{s.records:,}"),
        ("labelled records", lambda s: f"{s.labelled_records:,}"),
        ("distinct labels", lambda s: f"{s.distinct_labels:,}"),
        ("node coverage", lambda s: f"{s.node_coverage:.1%} ({s.covered_nodes:,})"),
        ("information I(D)", lambda s: _fmt(s.information)),
        ("label entropy (norm.)", lambda s: _fmt(s.label_entropy, 3)),
        ("labels / record", lambda s: _fmt(s.labels_per_record)),
        ("score mean", lambda s: _fmt(s.score_mean)),
        (
            "score p10 / p50 / p90",
            lambda s: " / ".join(_fmt(v) for v in (s.score_p10, s.score_p50, s.score_p90)),
        ),
    ]
    for name, fn in rows:
        table.add_row(name, *[fn(s) for _, s in results])
    for i in range(top):
        table.add_row(
            "top labels" if i == 0 else "",
            *[
                f"{s.top_labels[i][0]} ({s.top_labels[i][1]:,})" if i < len(s.top_labels) else ""
                for _, s in results
            ],
        )
    Console(width=max(100, 30 + 28 * len(results))).print(table)


cli_annotate.register(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
