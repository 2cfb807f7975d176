"""Atomic files and folders: written under a temporary name, renamed into place when complete.

A file is written to a hidden temporary file in the target folder (`.NAME.PID.XXXX.tmp`) and
rename it when complete, so a failed run never leaves a partial file; temporary files left by a
killed run (their process is gone) are removed by the next write to the same target. Files
are created with the usual permissions (0666 minus the umask; an existing file keeps its mode).
An OSError while writing becomes a `WriteError` (a `DataError`, exit 1) naming the user's path,
never the temporary one. A folder (`atomic_folder`) is swapped in whole, and replaces an
existing one only when that holds nothing but the names of an earlier output of the same kind
(else `UsageError`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO

from ..errors import DataError, UsageError


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale_temps(target: Path) -> list[Path]:
    """Remove `.NAME.PID.*.tmp` files beside `target` whose process is gone."""
    removed = []
    with contextlib.suppress(OSError):
        for tmp in target.parent.glob(f".{target.name}.*.tmp"):
            parts = tmp.name[len(target.name) + 2 :].split(".")
            if len(parts) >= 2 and parts[0].isdigit() and not _alive(int(parts[0])):
                with contextlib.suppress(OSError):
                    if tmp.is_dir():
                        shutil.rmtree(tmp)
                    else:
                        tmp.unlink()
                    removed.append(tmp)
    return removed


def _final_mode(target: Path) -> int:
    try:
        return target.stat().st_mode & 0o7777
    except OSError:
        return 0o666 & ~_umask()


class WriteError(DataError, OSError):
    """A file that could not be written, named as the user gave it (exit 1). Still an OSError,
    so that callers who let a write fail (caches: a warning, the run goes on) keep doing so."""


def cannot_write(target: str | os.PathLike, exc: OSError) -> WriteError:
    """An OSError met while writing `target` (or its hidden temporary file) as a `WriteError`
    that names the user's path, never the temporary one."""
    what = exc.strerror or str(exc) or type(exc).__name__
    error = WriteError(f"cannot write {target}: {what}")
    error.errno = exc.errno
    return error


@contextlib.contextmanager
def _writing(target: str | os.PathLike, tmp: str | os.PathLike | None = None) -> Iterator[None]:
    """OSErrors -> `cannot_write(target)`; with `tmp`, only those about `tmp` or `target` (or
    naming no file: a full disk), so that an error reading an input keeps its own name."""
    try:
        yield
    except OSError as exc:
        about = {os.fspath(target), os.fspath(Path(target).parent)}
        if tmp is not None:
            about.add(os.fspath(tmp))
        named = exc.filename is None or os.fspath(exc.filename) in about
        if tmp is None or named or str(exc.filename).startswith(os.fspath(tmp)):
            raise cannot_write(target, exc) from None
        raise


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside `target`; rename it onto `target` only on success.

    Any OSError (the folder cannot be made or written, a full disk) becomes a `DataError`
    "cannot write TARGET: ..." naming `target`; the temporary file is removed.
    """
    shown = target
    target = Path(target)
    with _writing(shown):
        target.parent.mkdir(parents=True, exist_ok=True)
        clean_stale_temps(target)
        fd, tmp = tempfile.mkstemp(
            prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp", dir=target.parent
        )
        os.close(fd)
    try:
        with _writing(shown, tmp):
            yield Path(tmp)
            os.chmod(tmp, _final_mode(target))
            os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def check_folder_target(target: str | os.PathLike, allowed: Sequence[str] = ()) -> None:
    """`UsageError` unless `target` is absent, or a folder holding only `allowed` names (an
    earlier output of the same kind) that may be replaced whole. Call it before the work."""
    target = Path(target)
    if not target.exists():
        return
    if not target.is_dir():
        raise UsageError(f"{target}: exists and is not a folder")
    foreign = sorted(p.name for p in target.iterdir() if p.name not in allowed)
    if foreign and allowed:
        raise UsageError(
            f"{target}: folder holds other files ({', '.join(foreign[:3])}); "
            "refusing to replace it (name a new or empty folder)"
        )


@contextlib.contextmanager
def atomic_folder(target: str | os.PathLike, allowed: Sequence[str] = ()) -> Iterator[Path]:
    """Yield a temporary folder beside `target`; swap it in whole only on success.

    An existing `target` is replaced only when it holds nothing but `allowed` names (it is an
    earlier output of the same kind); otherwise `UsageError`, and nothing is touched.
    """
    shown = target
    target = Path(target)
    check_folder_target(target, allowed)
    with _writing(shown):
        target.parent.mkdir(parents=True, exist_ok=True)
        clean_stale_temps(target)
        tmp = Path(
            tempfile.mkdtemp(
                prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp", dir=target.parent
            )
        )
    try:
        with _writing(shown, tmp):
            yield tmp
            os.chmod(tmp, 0o777 & ~_umask())
            if target.exists():
                old = tmp.with_name(tmp.name[: -len(".tmp")] + ".old.tmp")
                os.replace(target, old)
                os.replace(tmp, target)
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


@contextlib.contextmanager
def atomic_open(target: str | os.PathLike, mode: str = "wb") -> Iterator[IO]:
    with atomic_path(target) as tmp, open(tmp, mode) as fh:
        yield fh


def write_text(target: str | os.PathLike, text: str) -> None:
    with atomic_open(target, "w") as fh:
        fh.write(text)
