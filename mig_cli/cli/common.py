"""Shared pieces of the command-line layer: errors, config files, consoles, option parsing."""

from __future__ import annotations

import functools
import hashlib
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import tomllib
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from ..errors import MigError

err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def reports_errors(fn: Callable) -> Callable:
    """Turn `MigError` into `Error: ...` / exit 1 and core `ValueError`s into usage errors."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except MigError as exc:
            sys.stderr.write(f"Error: {exc}\n")
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            err_console.print("Interrupted; no output was written.")
            raise typer.Exit(130) from None

    return wrapper


# ----------------------------------------------------------------------------- config files
def _load_toml(path: str) -> dict:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise typer.BadParameter(f"no such file: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise typer.BadParameter(f"{path}: not valid TOML ({exc})") from None


def config_callback(
    ctx: typer.Context, param: typer.CallbackParam, value: str | None
) -> str | None:
    """`--config FILE`: top-level keys and the `[<command>]` table become option defaults."""
    if not value:
        return value
    data = _load_toml(value)
    command = ctx.command.name or ""
    names: dict[str, str] = {}
    for p in ctx.command.params:
        if not p.name:
            continue
        names[p.name] = p.name
        for opt in p.opts:
            if opt.startswith("--"):
                names[opt[2:].replace("-", "_")] = p.name
    defaults: dict[str, Any] = {}
    for key, item in data.items():
        if isinstance(item, dict):
            continue
        name = key.replace("-", "_")
        if name in names:
            defaults[names[name]] = item
    section = data.get(command.replace("-", "_")) or data.get(command) or {}
    if not isinstance(section, dict):
        raise typer.BadParameter(f"{value}: [{command}] must be a table")
    for key, item in section.items():
        name = key.replace("-", "_")
        if name not in names:
            raise typer.BadParameter(f"{value}: [{command}] has unknown option '{key}'")
        defaults[names[name]] = item
    ctx.default_map = {**(ctx.default_map or {}), **defaults}
    return value


def config_option() -> Any:
    return typer.Option(
        None,
        "--config",
        help="TOML file giving defaults for any option (top level or a [command] table).",
        callback=config_callback,
        is_eager=True,
        metavar="FILE",
    )


# ----------------------------------------------------------------------------- options
def parse_k(text: str | int | float, n: int) -> int:
    """`-k`: a count (`5000`), a fraction (`0.05`) or a percentage (`5%`) of n records."""
    from ..selection.selection import parse_count

    try:
        return parse_count(str(text), n)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="'-k'") from None


def default_output(pool_path: str, k: int) -> str:
    """A file beside the pool, named after it and K (used when stdout is a terminal)."""
    if pool_path == "-":
        return f"mig-subset-{k}.jsonl"
    p = Path(pool_path.rstrip("/"))
    name = p.name
    for suffix in (".jsonl.gz", ".jsonl", ".json", ".ndjson", ".parquet", ".gz"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
            break
    ext = ".parquet" if pool_path.lower().endswith(".parquet") or p.is_dir() else ".jsonl"
    return str(p.with_name(f"{name}.mig-{k}{ext}"))


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


def fingerprint(labels: list[str], counts: np.ndarray) -> str:
    h = hashlib.sha256()
    for label, count in zip(labels, counts.tolist()):
        h.update(label.encode())
        h.update(b"\0")
        h.update(str(count).encode())
        h.update(b"\n")
    return "sha256:" + h.hexdigest()


class RateColumn(ProgressColumn):
    """Rows per second."""

    def render(self, task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f} rows/s" if speed else "", style="progress.data.speed")


def progress() -> Progress:
    """A rich progress bar on stderr with rows/s and ETA (hidden when stderr is not a tty)."""
    return Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=False,
        disable=os.environ.get("MIG_NO_PROGRESS") == "1",
    )


def cached_embed(embedder, cache, what: str = "embedding labels"):
    """An embed function that reads and fills the on-disk cache (model + text), with progress."""

    def embed(texts: list[str]) -> np.ndarray:
        found = cache.load(embedder.key, texts)
        missing = list(dict.fromkeys(x for x in texts if x not in found))
        if missing:
            load = getattr(embedder, "load", None)
            if load is not None:  # load the model before the progress bar starts
                with err_console.status(f"loading embedding model {embedder.name}"):
                    load()
            with progress() as bar:
                task = bar.add_task(what, total=len(missing))
                vectors = embedder.encode(missing, on_batch=lambda n: bar.advance(task, n))
            cache.store(embedder.key, missing, vectors)
            found.update(zip(missing, vectors))
        dim = len(next(iter(found.values()))) if found else 1
        out = np.zeros((len(texts), dim), dtype=np.float32)
        for i, text in enumerate(texts):
            out[i] = found[text]
        return out

    return embed
