"""Manifests of `mig sample` runs: building one per subset, and `--replay MANIFEST`.

A replay re-runs the recorded options (paths made absolute when written, config already
resolved into them) with the output in a temporary folder, then compares the re-run's ordered
records with the manifest's: identical -> "replayed: identical" and exit 0; else exit 1 with the
first difference. Inputs whose sha256 changed since are named in a warning first.
"""

from __future__ import annotations

import math
import sys
import tempfile
import time
import typing
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import MigError
from ..records.manifest import describe_input, first_difference, read_manifest
from .common import err_console, format_information

PATH_OPTIONS = ("pool", "graph_dir", "given", "include", "exclude", "tokenizer", "config")
INPUT_OPTIONS = ("pool", "graph_dir", "given", "include", "exclude", "config")


class ReplayMismatch(MigError):
    """The re-run chose other records than the manifest lists (exit 1)."""


def absolute_options(options: dict[str, Any]) -> dict[str, Any]:
    """Options with file paths that exist made absolute (so a replay works from any folder)."""
    out = dict(options)
    for name in PATH_OPTIONS:
        value = out.get(name)
        if isinstance(value, str) and value != "-" and Path(value).exists():
            out[name] = str(Path(value).resolve())
    return out


def describe_inputs(options: dict[str, Any]) -> dict[str, Any]:
    return {name: describe_input(options.get(name)) for name in INPUT_OPTIONS if options.get(name)}


def annotation_info(
    pool_fields: dict[str, Any], graph_meta: dict | None, auto: dict | None = None
) -> dict[str, Any]:
    """What is known of the annotators and models: the pool does not record its annotators,
    so they are 'unknown' unless a preset names them or `mig sample` annotated the pool itself
    (`auto`: the annotated copy's path and settings); the graph's meta.json names its model."""
    preset = pool_fields.get("preset")
    known = {"xsample": ("InsTag (annotation.instag)", "DEITA quality x complexity")}
    tagger, scorer = known.get(preset, ("unknown (not recorded in the pool)",) * 2)
    extra: dict[str, Any] = {}
    if auto:
        tag, score = auto.get("tag") or {}, auto.get("score") or {}
        if tag:
            tagger = f"{tag.get('tagger')} ({tag.get('model')}; added by mig sample)"
        if score:
            scorer = f"{score.get('scorer')} (added by mig sample)"
        settings = {k: v for k, v in auto.items() if k != "annotated_pool"}
        extra = {"annotated_pool": auto.get("annotated_pool"), "annotation_settings": settings}
    meta = graph_meta or {}
    return {
        **extra,
        "labels_field": pool_fields.get("labels_field"),
        "score_field": pool_fields.get("score_field"),
        "tagger": tagger,
        "scorer": scorer,
        "graph_model": meta.get("model", "unknown"),
        "graph_edge_threshold": meta.get("edge_threshold", meta.get("threshold")),
    }


def not_as_sampled(notes: dict, computed: float, graph_dir: str | None, here: str) -> str | None:
    """The warning when a subset's manifest (`report.provenance.subset_notes`) says another I(D)
    than `computed` ("{here} 12.3"): another graph or other options than at sampling. It names
    the graph folder the subset was sampled with (`mig sample --save-graph`), or, without any
    graph, how to keep one. None when they agree (or the manifest says none)."""
    said = notes.get("information")
    if not isinstance(said, (int, float)) or math.isclose(
        said, computed, rel_tol=1e-9, abs_tol=1e-9
    ):
        return None
    text = (
        f"its manifest says I(D) = {format_information(said, 4)}, "
        f"{here} {format_information(computed, 4)}: "
        "another graph or other --prop-weight/--phi/--norm than at sampling"
    )
    folder = notes.get("graph_folder")
    if folder and folder != graph_dir:
        text += f" (it was sampled with the graph kept in {folder}: --graph)"
    elif not graph_dir:
        text += " (mig sample --save-graph keeps a graph it builds, for --graph)"
    return text


def base_manifest(options: dict[str, Any], config_data: dict | None) -> dict[str, Any]:
    return {
        "mig_version": __version__,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "command": " ".join(["mig", *sys.argv[1:]]) if sys.argv else "mig sample",
        "inputs": describe_inputs(options),
        "options": absolute_options(options),
        "config": config_data,
        "seed": options.get("seed"),
    }


def _restore(command: Callable, options: dict[str, Any]) -> dict[str, Any]:
    """Recorded option values back to what the command takes (enum members)."""
    hints = typing.get_type_hints(command)
    out = {}
    for name, value in options.items():
        kind = hints.get(name)
        if isinstance(kind, type) and issubclass(kind, Enum) and value is not None:
            value = kind(value)
        out[name] = value
    return out


def _selection_key(manifest: dict[str, Any]) -> tuple[str, list]:
    subset = manifest["subset"]
    if subset.get("ids") is not None:
        return "id", subset["ids"]
    return "row", subset["rows"]


def replay(path: str, command: Callable, ctx: Any = None) -> None:
    """Re-run the manifest at `path` with `command` (the sample function) and compare.

    `ctx` is the click context of the replaying invocation (passed on to the command).
    """
    manifest = read_manifest(path)
    options = dict(manifest["options"])
    pool_path = options.get("pool")
    if pool_path in (None, "-"):
        raise MigError(f"{path}: the pool was read from stdin; a replay needs it as a file")
    for name, recorded in manifest["inputs"].items():
        if not recorded or recorded.get("path") in (None, "<stdin>"):
            continue
        now = describe_input(recorded["path"]) if Path(recorded["path"]).exists() else None
        if now is None:
            raise MigError(f"{path}: input '{name}' ({recorded['path']}) no longer exists")
        if {k: now.get(k) for k in ("sha256", "files")} != {
            k: recorded.get(k) for k in ("sha256", "files")
        }:
            err_console.print(
                f"[yellow]Warning:[/] {recorded['path']} has changed since the manifest was "
                "written (sha256 differs)"
            )
    k = manifest["subset"]["k"]
    err_console.print(f"re-running the selection of {path} (output to a temporary folder)")
    with tempfile.TemporaryDirectory(prefix="mig-replay-") as tmp:
        target = str(Path(tmp) / "subset.jsonl")
        options.update(output=target, ranking=None, manifest=None, replay=None, config=None)
        results = command(ctx, **_restore(command, options))
    result = next((m for m in results if m["subset"]["k"] == k), results[-1])
    how, expected = _selection_key(manifest)
    got = result["subset"]["ids"] if how == "id" else result["subset"]["rows"]
    if got is None:
        got = result["subset"]["rows"]
        how, expected = "row", manifest["subset"]["rows"]
    difference = first_difference(expected, got)
    if difference is not None:
        raise ReplayMismatch(f"replay differs from {path} at {difference} (compared by {how})")
    info = result.get("information")
    shown = f", I(D) = {format_information(info, 4)}" if info is not None else ""
    err_console.print(f"replayed: identical ({len(got):,} records in the same order{shown})")
