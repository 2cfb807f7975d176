"""What the report was made from: input hashes, and notes a sampler left beside a subset.

`describe_file` hashes an input (sha256, streamed in 1 MiB chunks; a folder hashes its files in
name order). `subset_notes` reads, when present and never required, the subset's manifest
(`subset.manifest.json` beside `subset.jsonl`, see `records.manifest`; read leniently: a foreign
or damaged file only means fewer notes) for the method, the I(D) it recorded and the number of
records skipped as duplicates; `ranking_dedup_count` reads that number from a ranking table.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from ..records.manifest import manifest_path

_CHUNK = 1 << 20


def _hash_into(h, path: Path) -> None:
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)


def describe_file(path: str) -> dict[str, Any]:
    """{'path', 'bytes', 'sha256'}; stdin and names that are not files have no hash."""
    p = Path(path)
    if path == "-" or not p.exists():
        return {"path": path, "bytes": None, "sha256": None}
    h = hashlib.sha256()
    if p.is_dir():
        files = sorted(f for f in p.rglob("*") if f.is_file() and not f.name.startswith("."))
        size = 0
        for f in files:
            h.update(str(f.relative_to(p)).encode() + b"\0")
            _hash_into(h, f)
            size += f.stat().st_size
        return {"path": path, "bytes": size, "sha256": h.hexdigest()}
    _hash_into(h, p)
    return {"path": path, "bytes": p.stat().st_size, "sha256": h.hexdigest()}


def _find_count(data: Any, words: tuple[str, ...]) -> int | None:
    """The first integer under a key containing one of `words` (searched breadth first)."""
    queue = [data]
    while queue:
        item = queue.pop(0)
        if isinstance(item, dict):
            for key, value in item.items():
                name = str(key).lower()
                if (
                    any(w in name for w in words)
                    and isinstance(value, int)
                    and not isinstance(value, bool)
                ):
                    return value
            queue.extend(v for v in item.values() if isinstance(v, (dict, list)))
        elif isinstance(item, list) and len(item) < 50:
            queue.extend(v for v in item if isinstance(v, (dict, list)))
    return None


def subset_notes(subset: str) -> dict[str, Any]:
    """What the subset's manifest says (method, options, duplicates skipped), {} without one."""
    if subset == "-":
        return {}
    path = Path(manifest_path(subset))
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError, UnicodeDecodeError):
        return {"manifest": str(path), "unreadable": True}
    if not isinstance(data, dict):
        return {}
    notes: dict[str, Any] = {"manifest": str(path)}
    if isinstance(data.get("information"), (int, float)):
        notes["information"] = data["information"]
    options = data.get("options")
    if isinstance(options, dict):
        notes["method"] = options.get("method")
        notes["options"] = options
    elif isinstance(data.get("method"), str):
        notes["method"] = data["method"]
    graph_part = data.get("graph")
    if isinstance(graph_part, dict) and isinstance(graph_part.get("folder"), str):
        notes["graph_folder"] = graph_part["folder"]  # kept by mig sample --save-graph
    subset_part = data.get("subset")
    if isinstance(subset_part, dict) and isinstance(subset_part.get("rows"), list):
        notes["rows"] = subset_part["rows"]
    inputs = data.get("inputs")
    pool_part = inputs.get("pool") if isinstance(inputs, dict) else None
    if isinstance(pool_part, dict) and isinstance(pool_part.get("sha256"), str):
        notes["pool_sha256"] = pool_part["sha256"]
    dup = _find_count(data, ("dedup", "duplicate"))
    if dup is not None:
        notes["dedup_skipped"] = dup
    return notes


def ranking_dedup_count(columns: dict[str, list]) -> int | None:
    """Records skipped as duplicates of the picked ones, from a ranking table, when it says.

    A column whose name holds `dup` (`duplicates_skipped`: per picked record, the copies of it
    left out) is summed; without one, None.
    """
    for name, values in columns.items():
        if "dup" in name.lower():
            numbers = [v for v in values if isinstance(v, int) and not isinstance(v, bool)]
            if numbers:
                return int(sum(numbers))
    return None
