"""Checking a command's outputs before any work: `check_outputs` refuses (exit 2) an output
that is an input, holds one or lies inside one, two outputs naming the same file, and an output
folder that is a file or cannot be written (`check_folder` probes it with a small hidden file).
A folder input that is not a pool is a `DataError` (exit 1) rather than an overwrite refusal.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from ..errors import UsageError


def _same_or_within(a: Path, b: Path) -> bool:
    """`a` is `b`, or lies inside the folder `b` (after resolving links)."""
    try:
        if a.exists() and b.exists() and os.path.samefile(a, b):
            return True
    except OSError:
        pass
    a, b = _resolved(a), _resolved(b)
    return a == b or b in a.parents


def check_folder(option: str, target: Path, itself: bool = False, writable: bool = True) -> None:
    """The folder an output goes into (or `target` itself) is a folder or can be made, and
    can be written."""
    folder = Path(os.path.abspath(target))
    folder = folder if itself else folder.parent
    while not folder.exists() and folder != folder.parent:
        if folder.is_symlink():
            break
        folder = folder.parent
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{option} {target}: {folder} is a file, not a folder")
    if writable and folder.is_dir() and not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"{option} {target}: cannot write in {folder} (permission denied)")
    if writable and folder.is_dir():
        _probe_write(option, target, folder)


def _probe_write(option: str, target: Path, folder: Path) -> None:
    """Create and remove a small hidden file in `folder`: access() says yes for root even where
    nothing can be made (/proc, a read-only mount)."""
    import tempfile

    try:
        fd, probe = tempfile.mkstemp(prefix=".mig-probe.", suffix=".tmp", dir=folder)
    except OSError as exc:
        what = exc.strerror or type(exc).__name__
        raise UsageError(f"{option} {target}: cannot write in {folder} ({what})") from None
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(probe)


def _not_a_pool(path: Path, text: str) -> None:
    """A folder given as the input must be a pool (Parquet shards or a datasets folder); say so
    rather than that an output inside it would overwrite it."""
    from ..errors import DataError
    from ..records.graph_files import GRAPH_FILES
    from ..records.shards import is_parquet_folder

    if not path.is_dir() or any((path / name).exists() for name in GRAPH_FILES):
        return  # a label graph folder is an input too
    if (path / "state.json").exists() or (path / "dataset_dict.json").exists():
        return
    try:
        if is_parquet_folder(str(path)):
            return
    except DataError:
        return  # Parquet shards beside other files: reading it will say which
    raise DataError(
        "is a folder but not a pool (no Parquet shards, and no state.json of a datasets folder)",
        source=text,
    )


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # a symlink loop: compare the names as given
        return Path(os.path.abspath(path))


def check_outputs(inputs: list[str | None], outputs: list[tuple[str, str | None]]) -> None:
    """Refuse (exit 2) any output that is an input, holds one, or lies inside one.

    `inputs` are paths read by the command (None and '-' are skipped); `outputs` are
    (option name, path) pairs such as ("-o", "subset.jsonl") or ("--ranking", "r.csv").
    Two outputs naming the same file are refused too. Call it before any work is done.
    """
    named = [(Path(p), p) for p in inputs if p and p != "-"]
    seen: list[tuple[Path, str]] = []
    for option, out in outputs:
        if not out or out == "-":
            continue
        target = Path(out)
        check_folder(option, target)
        for path, text in named:
            if _same_or_within(target, path) or _same_or_within(path, target):
                _not_a_pool(path, text)
                raise UsageError(
                    f"{option} {out} would overwrite the input {text}; "
                    "write the output to another file"
                )
        for other, other_option in seen:
            if _same_or_within(target, other) or _same_or_within(other, target):
                raise UsageError(f"{option} and {other_option} name the same file ({out})")
        seen.append((target, option))
