"""Every file `mig` reads or writes goes through this module.

Readers return in-memory objects (`Pool`, `LabelGraph`); writers write to a temporary file in
the target folder and rename it when complete, so a failed run never leaves a partial file.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .errors import DataError, GraphError
from .graph import GRAPH_FORMAT_VERSION, LabelGraph
from .pool import Pool, gc_paused

STDIN = "-"
JSONL_SUFFIXES = (".jsonl", ".json", ".ndjson")


# ----------------------------------------------------------------------------- atomic writing
@contextlib.contextmanager
def atomic_path(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside `target`; rename it onto `target` only on success."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_open(target: str | os.PathLike, mode: str = "wb") -> Iterator[IO]:
    with atomic_path(target) as tmp, open(tmp, mode) as fh:
        yield fh


def write_text(target: str | os.PathLike, text: str) -> None:
    with atomic_open(target, "w") as fh:
        fh.write(text)


# ----------------------------------------------------------------------------- pool reading
def pool_format(path: str) -> str:
    """'jsonl', 'jsonl.gz', 'parquet', 'datasets' or 'hub' for an input name."""
    if path == STDIN:
        return "jsonl"
    p = Path(path)
    name = p.name.lower()
    if p.is_dir():
        return "datasets"
    if name.endswith(".gz"):
        return "jsonl.gz"
    if name.endswith(".parquet"):
        return "parquet"
    if name.endswith(JSONL_SUFFIXES):
        return "jsonl"
    if not p.exists() and "/" in path and not path.startswith((".", "/")):
        return "hub"
    return "jsonl"


def _lenient_json(line: bytes) -> Any:
    try:
        return json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None


def parse_jsonl(data: bytes, source: str) -> Pool:
    """Split JSONL bytes into lines (kept byte for byte) and parse each as a JSON object."""
    with gc_paused():
        return _parse_jsonl(data, source)


def _parse_jsonl(data: bytes, source: str) -> Pool:
    lines = data.splitlines(keepends=True)
    kept: list[bytes] = []
    records: list[dict] = []
    numbers: list[int] = []
    for number, line in enumerate(lines, start=1):
        if not line or line.isspace():
            continue
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            record = _lenient_json(line)  # NaN / Infinity literals, reported later as scores
            if record is None:
                reason = str(exc).split(":")[0]
                raise DataError(f"not valid JSON ({reason})", source=source, line=number) from None
        if not isinstance(record, dict):
            raise DataError(
                f"expected a JSON object, got {type(record).__name__}", source=source, line=number
            )
        kept.append(line if line.endswith(b"\n") else line + b"\n")
        records.append(record)
        numbers.append(number)
    return Pool(source, records=records, lines=kept, line_numbers=np.array(numbers, dtype=np.int64))


def _read_bytes(path: str) -> bytes:
    if path == STDIN:
        return sys.stdin.buffer.read()
    try:
        if path.lower().endswith(".gz"):
            with gzip.open(path, "rb") as fh:
                return fh.read()
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise DataError("no such file", source=path) from None
    except (OSError, EOFError) as exc:
        raise DataError(f"cannot read: {exc}", source=path) from None


def _read_datasets_folder(path: str) -> pa.Table:
    folder = Path(path)
    state = folder / "state.json"
    if (folder / "dataset_dict.json").exists():
        splits = json.loads((folder / "dataset_dict.json").read_text()).get("splits", [])
        raise DataError(
            f"this is a DatasetDict; name one split folder ({', '.join(map(str, splits))})",
            source=path,
        )
    if not state.exists():
        raise DataError("not a datasets folder (no state.json from save_to_disk)", source=path)
    files = [f["filename"] for f in json.loads(state.read_text()).get("_data_files", [])]
    tables = []
    for name in files:
        with pa.memory_map(str(folder / name)) as source:
            tables.append(pa.ipc.open_stream(source).read_all())
    if not tables:
        raise DataError("the datasets folder holds no data files", source=path)
    return pa.concat_tables(tables) if len(tables) > 1 else tables[0]


def _read_hub(name: str) -> pa.Table:
    try:
        import datasets  # type: ignore[import-not-found]
    except ImportError:
        raise DataError("no such file (and `datasets` is not installed)", source=name) from None
    try:
        return datasets.load_dataset(name, split="train").data.table
    except Exception as exc:  # noqa: BLE001 - any hub failure is reported in one line
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(
            f"no such file, and not loadable from the Hub: {first}", source=name
        ) from None


def read_pool(path: str) -> Pool:
    """Read a pool from JSONL(.gz), Parquet, a `datasets` folder, a Hub name or stdin ('-')."""
    fmt = pool_format(path)
    source = "<stdin>" if path == STDIN else path
    if fmt in ("jsonl", "jsonl.gz"):
        return parse_jsonl(_read_bytes(path), source)
    if fmt == "parquet":
        try:
            table = pq.read_table(path)
        except FileNotFoundError:
            raise DataError("no such file", source=path) from None
        except (pa.ArrowException, OSError) as exc:
            raise DataError(f"cannot read Parquet: {exc}", source=path) from None
        return Pool(source, table=table)
    if fmt == "datasets":
        return Pool(source, table=_read_datasets_folder(path))
    return Pool(source, table=_read_hub(path))


# ----------------------------------------------------------------------------- pool writing
def _json_default(value: Any) -> Any:
    if isinstance(value, (np.generic,)):
        return value.item()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def record_line(record: dict) -> bytes:
    return orjson.dumps(record, default=_json_default, option=orjson.OPT_SERIALIZE_NUMPY) + b"\n"


def subset_lines(pool: Pool, rows: Sequence[int]) -> Iterator[bytes]:
    """JSONL lines of the chosen rows: byte for byte from JSONL input."""
    if pool.lines is not None:
        for r in rows:
            yield pool.lines[r]
        return
    assert pool.table is not None
    for record in pool.table.take(pa.array(np.asarray(rows, dtype=np.int64))).to_pylist():
        yield record_line(record)


def output_format(path: str) -> str:
    if path == STDIN:
        return "jsonl"
    name = path.lower()
    if name.endswith(".parquet"):
        return "parquet"
    if name.endswith(".gz"):
        return "jsonl.gz"
    return "jsonl"


def _records_table(records: list[dict], what: str) -> pa.Table:
    try:
        return pa.Table.from_pylist(records)
    except (pa.ArrowException, TypeError, ValueError) as exc:
        raise DataError(
            f"cannot store these records as Parquet ({exc}); write .jsonl instead", source=what
        ) from None


def write_pool_rows(pool: Pool, rows: Sequence[int], path: str) -> None:
    """Write the chosen rows of `pool`, in order, to `path` (format by extension; '-' stdout)."""
    fmt = output_format(path)
    if path == STDIN:
        out = sys.stdout.buffer
        for line in subset_lines(pool, rows):
            out.write(line)
        out.flush()
        return
    if fmt == "parquet":
        if pool.table is not None:
            table = pool.table.take(pa.array(np.asarray(rows, dtype=np.int64)))
        else:
            assert pool.records is not None
            table = _records_table([pool.records[r] for r in rows], path)
        with atomic_path(path) as tmp:
            pq.write_table(table, tmp)
        return
    with atomic_path(path) as tmp:
        opener = gzip.open if fmt == "jsonl.gz" else open
        with opener(tmp, "wb") as fh:
            for line in subset_lines(pool, rows):
                fh.write(line)


def write_table(rows: dict[str, Sequence], path: str) -> None:
    """A small table (ranking) as .csv, .tsv, .parquet or .jsonl by extension."""
    name = path.lower()
    table = pa.table(rows)
    if name.endswith(".parquet"):
        with atomic_path(path) as tmp:
            pq.write_table(table, tmp)
        return
    if name.endswith((".jsonl", ".json")):
        with atomic_open(path, "wb") as fh:
            for record in table.to_pylist():
                fh.write(record_line(record))
        return
    import pyarrow.csv as pacsv

    delimiter = "\t" if name.endswith(".tsv") else ","
    with atomic_path(path) as tmp:
        pacsv.write_csv(table, tmp, write_options=pacsv.WriteOptions(delimiter=delimiter))


def read_table(path: str) -> pa.Table:
    name = path.lower()
    if name.endswith(".parquet"):
        return pq.read_table(path)
    if name.endswith((".jsonl", ".json")):
        return pa.Table.from_pylist(parse_jsonl(_read_bytes(path), path).records or [])
    import pyarrow.csv as pacsv

    delimiter = "\t" if name.endswith(".tsv") else ","
    return pacsv.read_csv(path, parse_options=pacsv.ParseOptions(delimiter=delimiter))


# ----------------------------------------------------------------------------- label graph
NODES_FILE, EDGES_FILE, META_FILE = "nodes.parquet", "edges.parquet", "meta.json"


def write_graph(graph: LabelGraph, folder: str) -> None:
    """Write nodes.parquet, edges.parquet and meta.json into `folder`."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    labels = pa.array(graph.labels, type=pa.string())
    nodes = pa.table({"label": labels, "count": pa.array(graph.counts, type=pa.int64())})
    edges = pa.table(
        {
            "source": labels.take(pa.array(graph.sources, type=pa.int64())),
            "target": labels.take(pa.array(graph.targets, type=pa.int64())),
            "weight": pa.array(graph.weights, type=pa.float32()),
        }
    )
    with atomic_path(out / NODES_FILE) as tmp:
        pq.write_table(nodes, tmp)
    with atomic_path(out / EDGES_FILE) as tmp:
        pq.write_table(edges, tmp)
    meta = {"version": GRAPH_FORMAT_VERSION, **graph.meta}
    meta.update(nodes=graph.num_nodes, edges=graph.num_edges)
    write_text(out / META_FILE, json.dumps(meta, indent=2, sort_keys=True) + "\n")


def _graph_table(folder: Path, name: str, columns: dict[str, str]) -> pa.Table:
    path = folder / name
    if not path.exists():
        raise GraphError(f"{folder}: graph folder is missing {name}")
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise GraphError(f"{path}: cannot read Parquet: {exc}") from None
    for column, kind in columns.items():
        if column not in table.column_names:
            raise GraphError(
                f"{path}: missing column '{column}' (has: {', '.join(table.column_names)})"
            )
        typ = table.column(column).type
        ok = {
            "string": pa.types.is_string(typ) or pa.types.is_large_string(typ),
            "int": pa.types.is_integer(typ),
            "float": pa.types.is_floating(typ) or pa.types.is_integer(typ),
        }[kind]
        if not ok:
            raise GraphError(f"{path}: column '{column}' must be {kind}, got {typ}")
        if table.column(column).null_count:
            raise GraphError(f"{path}: column '{column}' has missing values")
    return table


def read_graph(folder: str) -> LabelGraph:
    """Read a graph folder written by `write_graph`, by hand or by another tool."""
    root = Path(folder)
    if not root.is_dir():
        raise GraphError(f"{folder}: no such graph folder")
    nodes = _graph_table(root, NODES_FILE, {"label": "string"})
    edges = _graph_table(root, EDGES_FILE, {"source": "string", "target": "string"})
    labels = nodes.column("label").to_pylist()
    index: dict[str, int] = {}
    for row, label in enumerate(labels):
        if label in index:
            raise GraphError(f"{root / NODES_FILE}: row {row + 1}: duplicate label '{label}'")
        index[label] = row
    if "count" in nodes.column_names:
        counts = nodes.column("count").to_numpy().astype(np.int64)
    else:
        counts = np.zeros(len(labels), dtype=np.int64)
    src_labels = edges.column("source").to_pylist()
    dst_labels = edges.column("target").to_pylist()
    src = np.empty(len(src_labels), dtype=np.int64)
    dst = np.empty(len(dst_labels), dtype=np.int64)
    for row, (a, b) in enumerate(zip(src_labels, dst_labels)):
        for label, column in ((a, "source"), (b, "target")):
            if label not in index:
                raise GraphError(
                    f"{root / EDGES_FILE}: row {row + 1}: {column} '{label}' is not a node"
                )
        src[row], dst[row] = index[a], index[b]
    if "weight" in edges.column_names:
        weights = edges.column("weight").to_numpy().astype(np.float32)
    else:
        weights = np.ones(len(src), dtype=np.float32)
    bad = ~np.isfinite(weights) | (weights < 0)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise GraphError(f"{root / EDGES_FILE}: row {row + 1}: weight must be finite and >= 0")
    meta: dict = {}
    if (root / META_FILE).exists():
        try:
            meta = json.loads((root / META_FILE).read_text())
        except json.JSONDecodeError as exc:
            raise GraphError(f"{root / META_FILE}: not valid JSON ({exc.msg})") from None
    return LabelGraph(labels, counts, src, dst, weights, meta)


# ----------------------------------------------------------------------------- embedding cache
def default_cache_dir() -> Path:
    base = os.environ.get("MIG_CACHE_DIR")
    if base:
        return Path(base)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "mig"


class EmbeddingCache:
    """Label embeddings on disk, keyed by model and label text (one Parquet shard per write)."""

    def __init__(self, folder: str | os.PathLike | None = None) -> None:
        self.root = Path(folder) if folder is not None else default_cache_dir() / "embeddings"

    def _dir(self, model_key: str) -> Path:
        return self.root / model_key

    def load(self, model_key: str, labels: Sequence[str]) -> dict[str, np.ndarray]:
        """Cached vectors for those of `labels` that are present."""
        folder = self._dir(model_key)
        wanted = set(labels)
        found: dict[str, np.ndarray] = {}
        if not folder.is_dir():
            return found
        for shard in sorted(folder.glob("*.parquet")):
            try:
                table = pq.read_table(shard)
            except (pa.ArrowException, OSError):
                continue  # a damaged shard is ignored; its labels are embedded again
            names = table.column("label").to_pylist()
            if not names:
                continue
            flat = pc.list_flatten(table.column("vector").combine_chunks())
            matrix = flat.to_numpy(zero_copy_only=False).astype(np.float32)
            matrix = matrix.reshape(len(names), -1)
            for i, name in enumerate(names):
                if name in wanted and name not in found:
                    found[name] = matrix[i]
        return found

    def store(self, model_key: str, labels: Sequence[str], vectors: np.ndarray) -> None:
        if not len(labels):
            return
        folder = self._dir(model_key)
        digest = hashlib.sha1("\n".join(labels).encode()).hexdigest()[:16]
        table = pa.table(
            {
                "label": pa.array(list(labels), type=pa.string()),
                "vector": pa.array(
                    list(np.asarray(vectors, dtype=np.float32)), type=pa.list_(pa.float32())
                ),
            }
        )
        with atomic_path(folder / f"shard-{digest}.parquet") as tmp:
            pq.write_table(table, tmp)


# ----------------------------------------------------------------------------- streaming rows
class RawRow:
    """One input row for streaming work: the parsed record or why it could not be parsed."""

    __slots__ = ("row", "line", "record", "error")

    def __init__(self, row: int, line: int, record: dict | None, error: str | None = None):
        self.row, self.line, self.record, self.error = row, line, record, error


def count_rows(path: str) -> int:
    """Rows in a pool without parsing it (lines with content for JSONL; metadata for Parquet)."""
    fmt = pool_format(path)
    if fmt == "parquet":
        return pq.ParquetFile(path).metadata.num_rows
    if fmt in ("datasets", "hub"):
        return len(read_pool(path))
    total = 0
    opener = gzip.open if fmt == "jsonl.gz" else open
    try:
        with opener(path, "rb") as fh:
            for line in fh:
                if line.strip():
                    total += 1
    except FileNotFoundError:
        raise DataError("no such file", source=path) from None
    return total


def iter_rows(path: str) -> Iterator[RawRow]:
    """Stream the rows of a pool with bounded memory; bad JSON lines come back with an error."""
    fmt = pool_format(path)
    if fmt == "parquet":
        row = 0
        for batch in pq.ParquetFile(path).iter_batches(batch_size=4096):
            for record in batch.to_pylist():
                row += 1
                yield RawRow(row - 1, row, record)
        return
    if fmt in ("datasets", "hub"):
        for i, record in enumerate(read_pool(path).rows()):
            yield RawRow(i, i + 1, record)
        return
    opener = gzip.open if fmt == "jsonl.gz" else open
    row = 0
    try:
        fh = sys.stdin.buffer if path == STDIN else opener(path, "rb")
    except FileNotFoundError:
        raise DataError("no such file", source=path) from None
    with contextlib.ExitStack() as stack:
        if path != STDIN:
            stack.enter_context(fh)
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                record = orjson.loads(line)
                error = None if isinstance(record, dict) else "expected a JSON object"
            except orjson.JSONDecodeError as exc:
                record = _lenient_json(line)
                error = None if record is not None else f"not valid JSON ({str(exc).split(':')[0]})"
            if error:
                record = None
            yield RawRow(row, number, record, error)
            row += 1


class AnnotatedWriter:
    """Writes records with one field added, streaming, to .jsonl / .jsonl.gz / .parquet or '-'."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.fmt = output_format(path)
        self._stack = contextlib.ExitStack()
        self._writer: pq.ParquetWriter | None = None
        self._tmp: Path | None = None
        if path == STDIN:
            self._fh = sys.stdout.buffer
        else:
            self._tmp = self._stack.enter_context(atomic_path(path))
            if self.fmt == "parquet":
                self._fh = None
            else:
                opener = gzip.open if self.fmt == "jsonl.gz" else open
                self._fh = self._stack.enter_context(opener(self._tmp, "wb"))

    def write(self, records: list[dict]) -> None:
        if not records:
            return
        if self.fmt == "parquet" and self.path != STDIN:
            table = _records_table(records, self.path)
            if self._writer is None:
                self._writer = pq.ParquetWriter(str(self._tmp), table.schema)
            try:
                self._writer.write_table(table.cast(self._writer.schema))
            except (pa.ArrowException, ValueError) as exc:
                raise DataError(
                    f"records change shape across batches ({exc}); write .jsonl instead",
                    source=self.path,
                ) from None
            return
        self._fh.writelines(record_line(r) for r in records)

    def close(self, ok: bool = True) -> None:
        if self._writer is not None:
            self._writer.close()
        if self.path == STDIN:
            sys.stdout.flush()
            return
        if ok:
            self._stack.close()
        else:
            self._stack.__exit__(RuntimeError, RuntimeError("aborted"), None)


# ----------------------------------------------------------------------------- checkpoints
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
