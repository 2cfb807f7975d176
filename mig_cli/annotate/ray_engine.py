"""Annotation on Ray Data: the `--engine ray` behind `mig tag` and `mig score`.

The pool is cut into shards of `batch_size x batches_per_shard` rows (`records.shards`: byte
offsets for JSONL, row ranges for Parquet and folders of Parquet shards), so that shard s is
always the same rows and its batches are exactly the local engine's batches. The shards that
are not done yet become a Ray Dataset (`ray.data.from_items`) mapped with `map_batches` over a
fixed-size actor pool (`ActorPoolStrategy`) of `ShardWorker`s. Each actor builds its annotator
once, in its constructor, from a picklable zero-argument `factory` (a recipe: names and
options, never a loaded model), so a model is loaded once per actor and an LLM annotator keeps
its own concurrency and retry limits per actor. Each call reads one shard itself (workers must
see the input and output paths: one machine, or shared storage on a cluster), annotates it batch
by batch and writes `part-NNNNN.parquet` plus a small JSON summary, atomically (`ray_workers`).

Why the workers read the rows rather than `ray.data.read_json`: Ray's JSON reader turns the
records into an Arrow table first, which adds null keys to heterogeneous objects and fails on
mixed types; mig writes every record back exactly as the local engine does.

State lives beside the output in `.<name>.mig-ray/` (a header naming the input, annotator and
sizes, then one part and one summary per finished shard). A killed run re-run with the same
command redoes only the shards without a summary; different options or a changed input
discard the state. At the end the parts become the output: a folder of Parquet shards when
`-o` names a folder (no extension, or an existing folder), else one file (.jsonl, .jsonl.gz,
.parquet) written as the local engine writes it; the state folder is removed.

Ray: https://docs.ray.io/en/latest/data/ (`ray.data.Dataset.map_batches`, `ActorPoolStrategy`).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pyarrow.parquet as pq

from ..errors import DataError, MigError, UsageError
from ..records.atomic_files import atomic_folder, atomic_open
from ..records.checkpoint import OutputLock
from ..records.input_files import open_input
from ..records.jsonvalues import load_record
from ..records.shards import parquet_folder_files, plan_shards
from ..records.writers import AnnotatedWriter, output_format
from .engine import AnnotationReport
from .ray_workers import ShardWorker

INSTALL_HINT = "--engine ray needs Ray: pip install 'mig-cli[ray]' (or use --engine local)"


@dataclass
class RayOptions:
    """Where and how wide to run: `address` None starts a local Ray instance ('auto' or
    'ray://host:port' joins a cluster); `num_workers` actors (default: as many as the
    cluster's CPUs, or GPUs / `num_gpus`, allow), each with `num_cpus` CPUs and `num_gpus` GPUs."""

    address: str | None = None
    num_workers: int | None = None
    num_gpus: float = 0.0
    num_cpus: float = 1.0
    batches_per_shard: int = 8


def require_ray():
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError:
        raise UsageError(INSTALL_HINT) from None
    return ray


def check_input(source: str) -> str:
    """The input's kind; UsageError for one that workers cannot open by name (stdin, a pipe)."""
    if source == "-":
        raise UsageError(
            "--engine ray reads a file or folder that every worker can open (JSONL, Parquet, "
            "a folder of Parquet shards), not stdin"
        )
    info = open_input(source)
    if info.spooled or info.kind == "hub":
        raise UsageError(
            f"{source}: --engine ray reads a file or folder that every worker can open "
            "(not a pipe or a Hub name)"
        )
    return info.kind


def output_is_folder(output: str) -> bool:
    """A folder of Parquet shards (an existing folder, a trailing '/', or no extension)."""
    path = Path(output)
    return path.is_dir() or output.endswith(("/", os.sep)) or not path.suffix


def _identity(source: str, kind: str) -> list:
    """What identifies the input for resuming: path, size and mtime of each of its files."""
    folder = Path(source)
    if kind == "parquet-folder":
        files = parquet_folder_files(source)
    elif folder.is_dir():
        files = sorted(p for p in folder.rglob("*") if p.is_file())
    else:
        files = [folder]
    return [[str(f.resolve()), f.stat().st_size, f.stat().st_mtime_ns] for f in files]


# ----------------------------------------------------------------------------- the driver
def _ray_session(ray, options: RayOptions):
    if ray.is_initialized():
        return contextlib.nullcontext()
    kwargs: dict[str, Any] = {"logging_level": logging.ERROR, "log_to_driver": False}
    if options.address:
        kwargs["address"] = options.address
    else:
        kwargs.update(include_dashboard=False, object_store_memory=256 * 1024**2)
    try:
        ray.init(**kwargs)
    except Exception as exc:  # noqa: BLE001 - connection refused, bad address...
        raise UsageError(f"cannot start or join Ray ({options.address}): {exc}") from None
    return contextlib.closing(_Shutdown(ray))


class _Shutdown:
    def __init__(self, ray) -> None:
        self.ray = ray

    def close(self) -> None:
        self.ray.shutdown()


def _workers(ray, options: RayOptions, shards: int) -> int:
    if options.num_workers:
        return max(1, min(options.num_workers, shards))
    resources = ray.cluster_resources()
    if options.num_gpus > 0:
        n = int(resources.get("GPU", 0) // options.num_gpus)
    else:
        n = int(resources.get("CPU", 1) // max(options.num_cpus, 1e-9))
    return max(1, min(n, shards))


def _run_shards(todo: list[dict], factory, job: dict, options: RayOptions, on_summary) -> None:
    ray = require_ray()
    with _ray_session(ray, options):
        for name in ("ray", "ray.data"):  # Ray Data's own progress lines: mig shows progress
            logging.getLogger(name).setLevel(logging.ERROR)
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False
        context.print_on_execution_start = False
        workers = _workers(ray, options, len(todo))
        items = [{"shard": json.dumps(s)} for s in todo]
        dataset = ray.data.from_items(items, override_num_blocks=len(items))
        with warnings.catch_warnings():  # max_restarts is a plain remote arg, deprecated in 2.60
            warnings.simplefilter("ignore")
            dataset = dataset.map_batches(
                ShardWorker,
                fn_constructor_kwargs={"factory": factory, "job": job},
                batch_size=1,
                compute=ray.data.ActorPoolStrategy(size=workers),
                num_cpus=options.num_cpus,
                num_gpus=options.num_gpus or None,
                max_restarts=0,  # a lost actor fails the run; re-running resumes from its shards
            )
        try:
            for row in dataset.iter_rows():
                on_summary(json.loads(row["summary"]))
        except MigError:
            raise
        except Exception as exc:  # noqa: BLE001 - a worker died or raised
            first = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
            raise MigError(
                f"the Ray run failed ({first[:300]}); finished shards are kept: re-run the same "
                "command to do only the rest"
            ) from None


def run_ray_annotation(
    source: str,
    output: str,
    annotator: Any,
    factory: Callable[[], Any],
    *,
    batch_size: int = 256,
    strict: bool = False,
    restart: bool = False,
    options: RayOptions | None = None,
    on_rows: Callable[[int], None] | None = None,
    on_start: Callable[[int], None] | None = None,
) -> AnnotationReport:
    """Annotate `source` into `output` on Ray; same records, fields and order as `run_annotation`.

    `annotator` is built here (its `config()` keys the resume state); `factory()` builds an
    equal one inside each actor. Raises UsageError (exit 2) without Ray or for inputs
    that cannot be sharded, DataError for bad records with --strict.
    """
    require_ray()
    options = options or RayOptions()
    if output == "-":
        raise UsageError("--engine ray writes files: name the output with -o")
    folder = output_is_folder(output)
    if not folder:
        output_format(output)  # an unknown extension is refused before any work
    kind = check_input(source)
    target = Path(output)
    if folder and target.exists():
        if not target.is_dir():
            raise UsageError(f"{output}: exists and is not a folder")
        foreign = [p.name for p in target.iterdir() if not _is_part(p.name)]
        if foreign:
            raise UsageError(
                f"{output}: folder holds other files ({', '.join(sorted(foreign)[:3])}); "
                "refusing to replace it (name a new or empty folder)"
            )
    with OutputLock(output.rstrip("/" + os.sep) or output):
        return _run(
            source,
            kind,
            output,
            folder,
            annotator,
            factory,
            batch_size,
            strict,
            restart,
            options,
            on_rows,
            on_start,
        )


def _run(
    source,
    kind,
    output,
    folder,
    annotator,
    factory,
    batch_size,
    strict,
    restart,
    options,
    on_rows,
    on_start,
) -> AnnotationReport:
    target = Path(output)
    shard_rows = batch_size * options.batches_per_shard
    columns = folder or output_format(output) == "parquet"
    header = {
        "version": 1,
        "input": _identity(source, kind),
        "field": annotator.field,
        "annotator": annotator.config(),
        "batch_size": batch_size,
        "shard_rows": shard_rows,
        "columns": columns,
        "strict": strict,
    }
    report = AnnotationReport()
    state = target.parent / f".{target.name}.mig-ray"
    report.discarded_checkpoint = _open_state(state, header, restart)
    shards = plan_shards(source, shard_rows)
    if on_start:
        on_start(sum(_shard_rows(s) for s in shards))
    summaries: dict[int, dict] = {}
    for s in shards:
        done = state / f"part-{s['shard']:05d}.json"
        if done.exists() and (state / f"part-{s['shard']:05d}.parquet").exists():
            summaries[s["shard"]] = orjson.loads(done.read_bytes())
            report.resumed_rows += summaries[s["shard"]]["rows"]
    if on_rows and report.resumed_rows:
        on_rows(report.resumed_rows)
    todo = [s for s in shards if s["shard"] not in summaries]
    job = {
        "state": str(state.resolve()),
        "source": source,
        "output": output,
        "field": annotator.field,
        "extra_field": getattr(annotator, "extra_field", None),
        "batch_size": batch_size,
        "strict": strict,
        "columns": columns,
    }
    errors: list[dict] = []
    counters: dict[str, int] = {}  # the tagger's counters over the shards run now

    def on_summary(summary: dict) -> None:
        if "error" in summary:
            errors.append(summary)
            return
        summaries[summary["shard"]] = summary
        for key, value in summary.get("counters", {}).items():
            counters[key] = counters.get(key, 0) + int(value)
        if on_rows:
            on_rows(summary["rows"])

    if todo:
        _run_shards(todo, factory, job, options, on_summary)
    if errors:
        first = min(errors, key=lambda e: e["shard"])
        raise DataError(first["error"]) if first.get("exit", 1) == 1 else MigError(first["error"])
    ordered = [summaries[s["shard"]] for s in shards]
    for summary in ordered:
        report.rows += summary["rows"]
        report.annotated += summary["annotated"]
        report.skipped += [tuple(x) for x in summary["skipped"]]
        report.dropped += [tuple(x) for x in summary["dropped"]]
    annotator.unusable = getattr(annotator, "unusable", 0) + sum(s["unusable"] for s in ordered)
    tagger = getattr(annotator, "tagger", None)
    for key, value in counters.items():  # e.g. TaxonomyTagger.unreadable, for the CLI's warning
        if hasattr(tagger, key):
            setattr(tagger, key, getattr(tagger, key) + value)
    if report.rows and not report.annotated:  # as the local engine: never a silent empty output
        shutil.rmtree(state, ignore_errors=True)
        shown = "; ".join(f"line {line}: {why}" for line, why in report.problems[:3])
        raise DataError(
            f"no record could be annotated: all {report.rows:,} were skipped or unreadable "
            f"({shown}); nothing was written",
            source=source,
        )
    names = [f"part-{s['shard']:05d}.parquet" for s in shards]
    if folder:
        _publish_folder(state, names, target)
    else:
        _write_file(state, names, output, columns)
    shutil.rmtree(state, ignore_errors=True)
    return report


def _is_part(name: str) -> bool:
    return name.startswith("part-") and name.endswith(".parquet")


def _shard_rows(shard: dict) -> int:
    if "rows" in shard:
        return shard["rows"]
    return sum(hi - lo for _, lo, hi in shard["pieces"])


def _open_state(state: Path, header: dict, restart: bool) -> bool:
    """Make or reuse the state folder; True when an old one from another run was discarded."""
    discarded = False
    head = state / "header.json"
    if state.exists():
        old = None
        with contextlib.suppress(OSError, orjson.JSONDecodeError):
            old = orjson.loads(head.read_bytes())
        if restart or old != orjson.loads(orjson.dumps(header)):
            discarded = not restart
            shutil.rmtree(state)
    if not state.exists():
        state.mkdir(parents=True)
        with atomic_open(head, "wb") as fh:
            fh.write(orjson.dumps(header))
    return discarded


def _publish_folder(state: Path, names: list[str], target: Path) -> None:
    """The parts become `target/part-NNNNN.parquet`, swapped in whole (`atomic_folder`)."""
    old = [p.name for p in target.iterdir()] if target.is_dir() else []
    allowed = [n for n in old if _is_part(n)]
    with atomic_folder(target, allowed or [""]) as tmp:
        kept = 0
        for name in names:
            part = state / name
            if pq.ParquetFile(part).metadata.num_rows:  # a shard of unreadable lines: no part
                os.replace(part, tmp / f"part-{kept:05d}.parquet")
                kept += 1


def _write_file(state: Path, names: list[str], output: str, columns: bool) -> None:
    """One file from the parts, through the local engine's writer."""
    writer = AnnotatedWriter(output)
    ok = False
    try:
        for name in names:
            table = pq.read_table(state / name)
            if columns:
                writer.write(table.to_pylist())
            else:
                writer.write([load_record(line) for line in table.column("record").to_pylist()])
        ok = True
    finally:
        writer.close(ok)
