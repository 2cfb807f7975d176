"""Checkpoints of long annotation runs, and the lock that keeps two runs off one output."""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

import orjson

from ..errors import DataError
from .input_files import STDIN


class Checkpoint:
    """Finished batches of a long annotation run, appended and fsynced one line per batch.

    Lives beside the output as `.<name>.mig-checkpoint`. A torn last line (kill -9 while
    writing) is cut off on open. A header records what run it belongs to (input file identity,
    annotator and options); a checkpoint from another run is discarded (`discarded` is set).
    """

    def __init__(self, output: str, header: dict) -> None:
        out = Path(output)
        self.path = out.with_name(f".{out.name}.mig-checkpoint")
        self.header = header
        self.batches: dict[int, dict] = {}
        self.discarded = False
        self.changed: list[str] = []  # what differed from the discarded checkpoint's header

    def open(self, restart: bool = False) -> dict[int, dict]:
        if restart and self.path.exists():
            self.path.unlink()
        if self.path.exists():
            data = self.path.read_bytes()
            good = 0
            entries = []
            for line in data.splitlines(keepends=True):
                if not line.endswith(b"\n"):
                    break
                try:
                    entries.append(orjson.loads(line))
                except orjson.JSONDecodeError:
                    break
                good += len(line)
            if entries and entries[0].get("header") != self.header:
                # made by another run (input changed, other options): its results do not apply
                self.discarded = True
                self.changed = header_changes(entries[0].get("header"), self.header)
                entries, good = [], 0
            if not entries:
                good = 0
            with open(self.path, "r+b") as fh:
                fh.truncate(good)
            for entry in entries[1:]:
                self.batches[int(entry["batch"])] = entry
        if not self.path.exists() or self.path.stat().st_size == 0:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._append({"header": self.header})
        return self.batches

    def _append(self, entry: dict) -> None:
        with open(self.path, "ab") as fh:
            fh.write(orjson.dumps(entry) + b"\n")
            fh.flush()
            os.fsync(fh.fileno())

    def add(self, batch: int, values: list, skipped: list) -> None:
        entry = {"batch": batch, "values": values, "skipped": skipped}
        self._append(entry)
        self.batches[batch] = entry

    def remove(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


class OutputLock:
    """An exclusive lock on an output for one run (`fcntl.flock` on `.<name>.mig-lock`).

    A second run on the same output (another terminal, a second `make` job) fails at once with
    a `DataError` instead of mixing its batches into the first run's checkpoint. The kernel
    drops the lock when the process dies, even by kill -9, so a stale lock file never blocks.
    """

    def __init__(self, output: str) -> None:
        self.output = output
        out = Path(output)
        self.path = None if output == STDIN else out.with_name(f".{out.name}.mig-lock")
        self._fd: int | None = None

    def __enter__(self) -> OutputLock:
        if self.path is None:
            return self
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise DataError(
                "another mig run is writing this output now; wait for it to finish "
                "or choose another -o",
                source=self.output,
            ) from None
        self._fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fd is None or self.path is None:
            return
        with contextlib.suppress(OSError):
            self.path.unlink()
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None


def header_changes(old: object, new: dict, prefix: str = "") -> list[str]:
    """Dotted names of the header entries that differ ("input", "annotator.crosslingual")."""
    if not isinstance(old, dict):
        return [prefix.rstrip(".") or "header"]
    out: list[str] = []
    for key in sorted(set(old) | set(new), key=str):
        a, b = old.get(key), new.get(key)
        if a == b:
            continue
        if isinstance(a, dict) and isinstance(b, dict):
            out += header_changes(a, b, f"{prefix}{key}.")
        else:
            out.append(f"{prefix}{key}")
    return out
