"""Subset manifests: what a selection was made from and with, to audit, replay or continue it.

`mig sample` writes `SUBSET.manifest.json` beside every subset (`subset.jsonl` ->
`subset.manifest.json`). A manifest holds: the sha256 of every input file (streamed, so a 10 GB
pool is never held in memory), the full resolved options and the config file's contents, the
label graph's fingerprint, what is known of the annotators and models, the `mig` version, the
seed, counts, the selected rows (0-based) in order with their ids when the pool's ids are unique,
and the information I(D) of the subset. JSON, written atomically (temporary file + rename).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from ..errors import DataError
from .atomic_files import write_text
from .label_graph import LabelGraph

MANIFEST_FORMAT = "mig-manifest"
MANIFEST_VERSION = 1
SUFFIX = ".manifest.json"
_SUBSET_SUFFIXES = (".jsonl.gz", ".jsonl", ".json", ".ndjson", ".parquet", ".gz")
_CHUNK = 1 << 20


def sha256_file(path: str | os.PathLike) -> str:
    """sha256 of a file, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def describe_input(path: str | None) -> dict[str, Any] | None:
    """Path, size and sha256 of an input file; a folder lists each file; stdin has no hash."""
    if path is None:
        return None
    if path == "-":
        return {"path": "<stdin>", "sha256": None}
    p = Path(path)
    if p.is_dir():
        files = sorted(f for f in p.rglob("*") if f.is_file() and not f.name.startswith("."))
        return {
            "path": str(p.resolve()),
            "files": {str(f.relative_to(p)): sha256_file(f) for f in files},
        }
    if not p.exists():  # a Hub name: nothing to hash
        return {"path": path, "sha256": None}
    return {"path": str(p.resolve()), "bytes": p.stat().st_size, "sha256": sha256_file(p)}


def graph_fingerprint(graph: LabelGraph) -> str:
    """sha256 over the node labels and the edge list (source, target, float32 weight)."""
    h = hashlib.sha256()
    for label in graph.labels:
        h.update(label.encode())
        h.update(b"\0")
    h.update(np.asarray(graph.sources, dtype=np.int64).tobytes())
    h.update(np.asarray(graph.targets, dtype=np.int64).tobytes())
    h.update(np.asarray(graph.weights, dtype=np.float32).tobytes())
    return "sha256:" + h.hexdigest()


def manifest_path(subset: str) -> str:
    """`subset.jsonl` -> `subset.manifest.json` (the format's extension dropped)."""
    p = Path(subset)
    name = p.name
    for suffix in _SUBSET_SUFFIXES:
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
            break
    return str(p.with_name(name + SUFFIX))


def is_manifest(path: str) -> bool:
    """True for a file named `*.manifest.json` or a JSON file that is a mig manifest."""
    if path.endswith(SUFFIX):
        return True
    if not path.lower().endswith(".json") or not Path(path).is_file():
        return False
    try:
        with open(path, "rb") as fh:
            head = fh.read(200)
    except OSError:
        return False
    return f'"format": "{MANIFEST_FORMAT}"'.encode() in head


def _default(value: Any) -> Any:
    """What orjson cannot write: enums by value, numpy arrays and scalars, the rest as str."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if hasattr(value, "value") and isinstance(value.value, (str, int, float)):
        return value.value  # enums
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    return str(value)


def write_manifest(path: str, manifest: dict[str, Any]) -> None:
    """Write a manifest atomically (JSON, 2-space indent; NaN and infinities as null)."""
    body = {"format": MANIFEST_FORMAT, "version": MANIFEST_VERSION, **manifest}
    text = orjson.dumps(
        body, default=_default, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS
    )
    write_text(path, text.decode() + "\n")


def read_manifest(path: str) -> dict[str, Any]:
    """Read and check a manifest; a missing or foreign file is a `DataError`."""
    try:
        with open(path, "rb") as fh:
            data = json.loads(fh.read())
    except FileNotFoundError:
        raise DataError("no such file", source=path) from None
    except (OSError, ValueError) as exc:
        raise DataError(f"not a readable JSON manifest ({exc})", source=path) from None
    if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT:
        raise DataError('not a mig manifest (no "format": "mig-manifest")', source=path)
    if data.get("version") != MANIFEST_VERSION:
        raise DataError(
            f"manifest version {data.get('version')!r} is not supported (expected "
            f"{MANIFEST_VERSION})",
            source=path,
        )
    for key in ("options", "subset", "inputs"):
        if key not in data:
            raise DataError(f"manifest has no '{key}'", source=path)
    return data


def first_difference(expected: list, got: list) -> str | None:
    """A one-line description of where two ordered selections part, or None when identical."""
    for i, (a, b) in enumerate(zip(expected, got)):
        if a != b:
            return f"position {i + 1}: manifest has {a!r}, the re-run chose {b!r}"
    if len(expected) != len(got):
        return f"the manifest lists {len(expected):,} records, the re-run chose {len(got):,}"
    return None
