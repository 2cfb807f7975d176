"""Shared pieces of the command-line layer: errors, config files, consoles, option parsing.

Checks of output paths are in `output_checks`."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
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
from .output_checks import check_folder

err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def _is_cli_control(exc: BaseException) -> bool:
    """typer/click's own exceptions (usage errors, Exit, Abort): they carry their exit code."""
    module = type(exc).__module__ or ""
    return module.split(".")[0] in ("typer", "click")


def _internal_error(exc: BaseException) -> None:
    """One line for an unexpected exception (a bug); the traceback only with MIG_DEBUG=1."""
    import traceback

    if os.environ.get("MIG_DEBUG") == "1":
        traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
    message = " ".join(str(exc).split()) or "(no message)"
    sys.stderr.write(
        f"Error: internal error: {type(exc).__name__}: {message} "
        "(set MIG_DEBUG=1 for the traceback)\n"
    )


def reports_errors(fn: Callable) -> Callable:
    """Turn `MigError` into `Error: ...` (its exit code), OSError into exit 1, a core
    `ValueError` (an option the core cannot use) into a usage error (exit 2), Ctrl-C into exit
    130 and SIGTERM into exit 143, each as one line; any other exception is an internal error:
    one line and exit 1 (the traceback only when MIG_DEBUG=1)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            with _terminate_cleanly():
                return fn(*args, **kwargs)
        except Terminated:
            err_console.print("Terminated; no output was written.")
            raise typer.Exit(143) from None
        except MigError as exc:
            sys.stderr.write(f"Error: {exc}{_annotation_hint(exc)}\n")
            raise typer.Exit(exc.exit_code) from None
        except OSError as exc:  # disk full, permission denied, a folder where a file goes
            sys.stderr.write(f"Error: {os_error_text(exc)}\n")
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            err_console.print("Interrupted; no output was written.")
            raise typer.Exit(130) from None
        except Exception as exc:
            if _is_cli_control(exc):
                raise
            if isinstance(exc, ValueError):  # a core check of option values
                if os.environ.get("MIG_DEBUG") == "1":
                    import traceback

                    traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
                sys.stderr.write(f"Error: {' '.join(str(exc).split())}\n")
                raise typer.Exit(2) from None
            _internal_error(exc)
            raise typer.Exit(1) from None

    return wrapper


ANNOTATE_HINT = (
    "; run `mig tag` and `mig score` first (or `mig sample`, which annotates a raw pool)"
)


def _annotation_hint(exc: MigError) -> str:
    """A pool without labels or scores given to stats / build-graph / report: say what makes
    them (a field named by the user that records lack gets the same hint)."""
    from ..errors import DataError

    if not isinstance(exc, DataError) or exc.field is None:
        return ""
    if not exc.message.startswith("missing") or "mig tag" in exc.message:
        return ""
    if "list of strings" not in exc.message and "number" not in exc.message:
        return ""
    return ANNOTATE_HINT


class Terminated(BaseException):
    """SIGTERM, raised in the main thread so that temporary files are removed on the way out."""


@contextlib.contextmanager
def handling_signal(signum: int, handler: Callable[[int, object], None]) -> Iterator[None]:
    """Run the block with `handler` for `signum`, the previous handler restored after; a no-op
    outside the main thread (Python only installs signal handlers there)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signum, handler)
    try:
        yield
    finally:
        signal.signal(signum, previous)


def _terminated(signum: int, frame: object) -> None:
    raise Terminated


def _terminate_cleanly() -> contextlib.AbstractContextManager[None]:
    return handling_signal(signal.SIGTERM, _terminated)


def os_error_text(exc: OSError) -> str:
    """An OSError in one line: `<file>: <what>` (never a traceback)."""
    what = exc.strerror or str(exc) or type(exc).__name__
    where = exc.filename if exc.filename is not None else None
    if exc.filename2 is not None:
        where = f"{exc.filename} -> {exc.filename2}"
    return f"{where}: {what}" if where else what


# ----------------------------------------------------------------------------- config files
def _load_toml(path: str) -> dict:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise typer.BadParameter(f"no such file: {path}") from None
    except IsADirectoryError:
        raise typer.BadParameter(f"{path}: is a folder, not a TOML file") from None
    except OSError as exc:
        raise typer.BadParameter(f"{path}: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise typer.BadParameter(f"{path}: not valid TOML ({exc})") from None


# Tables a config may hold besides the commands' own: `[run]` drives `make select`.
OTHER_TABLES = ("run",)


def _all_option_names(ctx: typer.Context) -> tuple[set[str], set[str]]:
    """Option names (dashes as underscores) of every command of the app, and the commands."""
    root = ctx.find_root().command
    commands = getattr(root, "commands", {}) or {}
    names: set[str] = set()
    for cmd in commands.values():
        for p in cmd.params:
            if p.name:
                names.add(p.name)
            names.update(o[2:].replace("-", "_") for o in p.opts if o.startswith("--"))
    return names, {c.replace("-", "_") for c in commands}


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
    every, commands = _all_option_names(ctx)
    for key, item in data.items():
        name = key.replace("-", "_")
        if isinstance(item, dict):
            if commands and name not in commands and name not in OTHER_TABLES:
                raise typer.BadParameter(f"{value}: unknown table [{key}]")
            continue
        if name in names:
            defaults[names[name]] = item
        elif not every or name not in every:
            raise typer.BadParameter(f"{value}: unknown option '{key}' (no command has it)")
    section = data.get(command.replace("-", "_")) or data.get(command) or {}
    if not isinstance(section, dict):
        raise typer.BadParameter(f"{value}: [{command}] must be a table")
    for key, item in section.items():
        if isinstance(item, dict):
            continue  # a sub-table such as [sample.quota] is read by its command
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
    """An embed function that reads and fills the on-disk cache (model + text), with progress.

    A cache folder below a file is a usage error at once (before the model loads); a cache that
    cannot be written (permissions, a full disk) only costs a warning: the run goes on.
    """
    root = getattr(cache, "root", None)
    if root is not None:
        check_folder("--cache-dir", Path(root), itself=True, writable=False)

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
            try:
                cache.store(embedder.key, missing, vectors)
            except OSError as exc:
                err_console.print(
                    f"[yellow]Warning:[/] the embedding cache was not written "
                    f"({os_error_text(exc)}); the run goes on without it",
                    markup=True,
                )
            found.update(zip(missing, vectors))
        dim = len(next(iter(found.values()))) if found else 1
        out = np.zeros((len(texts), dim), dtype=np.float32)
        for i, text in enumerate(texts):
            out[i] = found[text]
        return out

    return embed


def format_information(value: float, decimals: int = 2) -> str:
    """I(D) for a summary line: grouped digits with `decimals` places, or 4 significant digits
    in exponent form from 1e12 up (a pool of huge scores gives I(D) near 1e308, whose full digits
    fill the terminal)."""
    if abs(value) >= 1e12:
        return f"{value:.4g}"
    return f"{value:,.{decimals}f}"


def check_model_folder(model: str | None) -> None:
    """A `--model` written as a path must be an existing folder (usage error, exit 2), checked
    before any work starts."""
    from ..annotate.embedding import looks_like_path

    if model and looks_like_path(model) and not Path(model).expanduser().is_dir():
        raise typer.BadParameter(f"no such folder: {model}", param_hint="'--model'")
