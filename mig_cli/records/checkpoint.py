"""Checkpoints of long annotation runs, and what identifies an input for resuming."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import orjson

from .formats import STDIN


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


def file_identity(path: str) -> dict:
    """What identifies an input for resuming: its absolute path, size and mtime."""
    if path == STDIN:
        return {"path": "<stdin>"}
    st = Path(path).stat()
    return {"path": str(Path(path).resolve()), "size": st.st_size, "mtime_ns": st.st_mtime_ns}
