"""Opening an input once: what a name is (`InputFile`) and where its bytes can be read again.

`open_input(name)` is the one entry of every reader (`formats.read_pool`, `rows.iter_rows`,
`pool_index`, `shards`): it tells a JSONL or JSON-array text file (gzip-compressed or not,
recognised by its content, not its name) from Parquet (its `PAR1` magic), a `datasets`
`save_to_disk` folder or a folder of Parquet shards, and a Hub dataset name (`org/name`).
`-` (stdin), a pipe, a FIFO or `<(...)` is read exactly once into a temporary spool file that
is removed at exit, so that it can be read again. `open_bytes` / `read_all` give the
(decompressed) bytes of a text input. Unreadable inputs raise a one-line `DataError` naming
the file.
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import gzip
import os
import shutil
import stat
import sys
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from ..errors import DataError

STDIN = "-"
JSONL_SUFFIXES = (".jsonl", ".json", ".ndjson")
BOM = b"\xef\xbb\xbf"
GZIP_MAGIC = b"\x1f\x8b"
PARQUET_MAGIC = b"PAR1"
CHUNK = 1 << 20
GZIP_ERRORS = (gzip.BadGzipFile, EOFError, zlib.error)


@dataclass
class InputFile:
    """An input, looked at once: what it is and where its bytes can be read (again).

    `kind` is 'text' (JSONL or a JSON array, maybe gzip-compressed), 'parquet', 'datasets' or
    'hub'; `path` is a seekable file (a spool for pipes and stdin) or the folder.
    """

    name: str
    source: str
    kind: str
    path: Path | None = None
    compressed: bool = False
    spooled: bool = False

    @property
    def resumable(self) -> bool:
        """A re-run can find the same bytes again (not stdin or a pipe)."""
        return not self.spooled and self.kind != "hub"


_SPOOLS: list[Path] = []


@atexit.register
def _remove_spools() -> None:
    for path in _SPOOLS:
        with contextlib.suppress(OSError):
            path.unlink()


def _spool(stream: IO[bytes], source: str) -> Path:
    """Copy a stream that can be read only once into a temporary file."""
    fd, name = tempfile.mkstemp(prefix="mig-input-", suffix=".spool")
    _SPOOLS.append(Path(name))
    try:
        with os.fdopen(fd, "wb") as out:
            shutil.copyfileobj(stream, out, CHUNK)
    except OSError as exc:
        raise DataError(f"cannot read: {exc.strerror or exc}", source=source) from None
    return Path(name)


def _stat_error(exc: OSError, name: str) -> DataError:
    if exc.errno == errno.ELOOP:
        return DataError("a symbolic link loop", source=name)
    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        return DataError("no such file", source=name)
    if exc.errno == errno.EACCES:
        return DataError("permission denied", source=name)
    return DataError(f"cannot read: {exc.strerror or exc}", source=name)


def _looks_like_hub(name: str) -> bool:
    return "/" in name and not name.startswith((".", "/", "~")) and name.count("/") == 1


def open_input(name: str | InputFile) -> InputFile:
    """Look at an input name once: a file, a folder, a pipe or stdin, or a Hub dataset."""
    if isinstance(name, InputFile):
        return name
    if name == STDIN:
        spool = _spool(sys.stdin.buffer, "<stdin>")
        return _sniff(InputFile(name, "<stdin>", "text", spool, spooled=True))
    try:
        st = os.stat(name)
    except OSError as exc:
        if exc.errno == errno.ENOENT and _looks_like_hub(name) and not os.path.lexists(name):
            return InputFile(name, name, "hub")
        raise _stat_error(exc, name) from None
    if stat.S_ISDIR(st.st_mode):
        return InputFile(name, name, _folder_kind(name), Path(name))
    try:
        fh = open(name, "rb")  # noqa: SIM115 - closed below or handed to the spool
    except OSError as exc:
        raise _stat_error(exc, name) from None
    with fh:
        if stat.S_ISREG(st.st_mode):
            return _sniff(InputFile(name, name, "text", Path(name)))
        return _sniff(InputFile(name, name, "text", _spool(fh, name), spooled=True))


def _folder_kind(path: str) -> str:
    """'parquet-folder' for a folder of Parquet shards (see `shards.folder_kind`), else
    'datasets'; DataError for a folder mixing Parquet and other files, or of JSONL files."""
    from .shards import folder_kind

    return folder_kind(path)


def _sniff(info: InputFile) -> InputFile:
    assert info.path is not None
    try:
        with open(info.path, "rb") as fh:
            head = fh.read(4)
    except OSError as exc:
        raise _stat_error(exc, info.source) from None
    if head.startswith(GZIP_MAGIC):
        info.compressed = True
    elif head == PARQUET_MAGIC:
        info.kind = "parquet"
    return info


@contextlib.contextmanager
def open_bytes(info: InputFile) -> Iterator[IO[bytes]]:
    """The (decompressed) bytes of a text input."""
    assert info.path is not None
    try:
        fh = gzip.open(info.path, "rb") if info.compressed else open(info.path, "rb")
    except OSError as exc:
        raise _stat_error(exc, info.source) from None
    with fh:
        yield fh


def read_all(info: InputFile) -> bytes:
    """Every (decompressed) byte of a text input, as one string; the BOM removed."""
    with open_bytes(info) as fh:
        try:
            data = fh.read()
        except GZIP_ERRORS as exc:
            raise gzip_error(info, exc) from None
        except OSError as exc:
            raise DataError(f"cannot read: {exc.strerror or exc}", source=info.source) from None
    return data[len(BOM) :] if data.startswith(BOM) else data


def gzip_error(info: InputFile, exc: BaseException) -> DataError:
    what = "truncated" if isinstance(exc, EOFError) else "corrupt"
    return DataError(f"{what} gzip data ({exc})", source=info.source)
