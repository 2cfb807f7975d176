"""The selection controls of `mig sample`: options, and turning them into `select` arguments.

Nested sizes (`-k 5000,10000`), filters (`--min-score`, `--exclude`, `--include`), a token
budget (`--budget-tokens`, `--cost`, `--tokenizer`), quotas (`--quota`, `--max-share`,
`--min-count`, or a `[sample.quota]` table in the config) and the manifest written beside every
subset. The algorithms live in `selection/` (budget.py, quota.py, sampler.py); this module only
reads options and files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import tomllib
import typer

from ..annotate.costs import record_costs
from ..errors import DataError
from ..records.annotations import Annotations, LabelColumn
from ..records.formats import read_pool
from ..records.manifest import manifest_path, read_manifest
from ..records.pool import Pool
from .common import parse_k, progress
from .options import finite

K_OPTION = typer.Option(
    None,
    "-k",
    help="How many: a count (5000), fraction (0.05) or 5%; several sizes comma-separated "
    "(5000,10000,50000) write each nested prefix (subset.k5000.jsonl, ...) from one run. "
    "Optional with --budget-tokens.",
)
MIN_SCORE = typer.Option(
    None, "--min-score", callback=finite, help="Never pick records scored below this."
)
EXCLUDE = typer.Option(
    None, "--exclude", help="Records never to pick (a pool file; matched by content like --given)."
)
INCLUDE = typer.Option(
    None,
    "--include",
    help="Records always picked first, in file order, counted in K (a pool file; matched by "
    "content); their information starts the state.",
)
BUDGET = typer.Option(
    None,
    "--budget-tokens",
    min=1,
    help="Most total cost of the subset (in --cost units): cost-benefit greedy (gain per token).",
)
COST = typer.Option(
    "tokens",
    "--cost",
    help="A record's cost for --budget-tokens: tokens, chars, or a numeric FIELD.",
)
TOKENIZER = typer.Option(
    None,
    "--tokenizer",
    help="Tokenizer for --cost tokens: a folder or tokenizer.json, or a name "
    "[default: the bundled all-MiniLM-L6-v2's].",
)
QUOTA = typer.Option(None, "--quota", help="Field whose values are the quota's groups (source).")
MAX_SHARE = typer.Option(
    None,
    "--max-share",
    help="VALUE=SHARE: at most this share of the subset (of K, or of the budget) from a group; "
    "repeatable; *=0.25 for every group.",
)
MIN_COUNT = typer.Option(
    None,
    "--min-count",
    help="VALUE=N: at least N records from a group, met first; repeatable.",
)
GRAPH_MIN_COUNT = typer.Option(
    None,
    "--graph-min-count",
    min=1,
    help="Graph built on the fly: keep labels carried by >= N records.",
)
MANIFEST = typer.Option(
    None,
    "--manifest",
    help="Where to write the manifest [default: SUBSET.manifest.json beside -o; none for stdout].",
)
SAVE_GRAPH = typer.Option(
    None,
    "--save-graph",
    help="Keep the label graph built on the fly (no --graph) in this folder, for mig stats, "
    "report and later samples (--graph FOLDER).",
)
REPLAY = typer.Option(
    None,
    "--replay",
    help="Re-run the selection recorded in a manifest and check the same records come out in "
    "the same order (exit 1 at the first difference).",
)


def parse_sizes(text: str | None, n: int) -> list[int]:
    """`-k`: one size or several, comma-separated, each as `parse_k` reads it; sorted, distinct."""
    if text is None or not str(text).strip():
        return []
    return sorted({parse_k(part, n) for part in str(text).split(",") if part.strip()})


def nested_path(target: str, k: int) -> str:
    """`subset.jsonl` -> `subset.k5000.jsonl` (the extension kept)."""
    p = Path(target)
    name = p.name
    for suffix in (".jsonl.gz", ".jsonl", ".parquet", ".json", ".gz"):
        if name.lower().endswith(suffix):
            return str(p.with_name(f"{name[: -len(suffix)]}.k{k}{name[-len(suffix) :]}"))
    return str(p.with_name(f"{name}.k{k}"))


_PAIR = re.compile(r"^\s*(.+?)\s*=\s*([^=]+?)\s*$")


def parse_pairs(items: list[str] | None, option: str, cast: type) -> dict[str, Any]:
    """`VALUE=NUMBER` items into a dict (the last one for a value wins)."""
    out: dict[str, Any] = {}
    for item in items or []:
        m = _PAIR.match(str(item))
        try:
            if not m:
                raise ValueError
            number = cast(m.group(2))
        except ValueError:
            kind = "a share (0.2)" if cast is float else "a whole number (1000)"
            hint = ""
            if option == "--min-count" and str(item).strip().isdigit():
                hint = " (the graph's label threshold is now --graph-min-count)"
            raise typer.BadParameter(
                f"'{item}' is not VALUE={kind}{hint}", param_hint=f"'{option}'"
            ) from None
        out[m.group(1)] = number
    return out


@dataclass
class QuotaSpec:
    field: str | None
    max_share: dict[str, float] = field(default_factory=dict)
    min_count: dict[str, int] = field(default_factory=dict)

    def as_options(self) -> dict[str, Any]:
        return {
            "quota": self.field,
            "max_share": [f"{k}={v}" for k, v in self.max_share.items()] or None,
            "min_count": [f"{k}={v}" for k, v in self.min_count.items()] or None,
        }


def quota_spec(
    quota: str | None,
    max_share: list[str] | None,
    min_count: list[str] | None,
    config: str | None,
) -> QuotaSpec:
    """The quota from the options, over a `[sample.quota]` table of the config (options win).

    The table: `field = "source"`, `max_share = { "*" = 0.25 }`, `min_count = { math = 1000 }`.
    """
    table: dict[str, Any] = {}
    if config:
        with open(config, "rb") as fh:
            sample = tomllib.load(fh).get("sample", {})
        table = sample.get("quota", {}) if isinstance(sample, dict) else {}
        unknown = set(table) - {"field", "max_share", "min_count"}
        if unknown:
            raise typer.BadParameter(
                f"{config}: [sample.quota] has unknown key '{sorted(unknown)[0]}' "
                "(field, max_share, min_count)"
            )
    spec = QuotaSpec(quota or table.get("field"))
    for name, cast, given in (("max_share", float, max_share), ("min_count", int, min_count)):
        from_table = table.get(name, {})
        merged = {str(k): cast(v) for k, v in from_table.items()} if from_table else {}
        merged.update(parse_pairs(given, "--" + name.replace("_", "-"), cast))
        setattr(spec, name, merged)
    for value, share in spec.max_share.items():
        if share != share:  # NaN
            raise typer.BadParameter(
                f"'{value}={share}' is not a number", param_hint="'--max-share'"
            )
        if not 0.0 <= share <= 1.0:
            raise typer.BadParameter(
                f"the share for '{value}' must be between 0 and 1, got {share}",
                param_hint="'--max-share'",
            )
    for value, least in spec.min_count.items():
        if least < 0:
            raise typer.BadParameter(
                f"the count for '{value}' must be a whole number >= 0, got {least}",
                param_hint="'--min-count'",
            )
    if (spec.max_share or spec.min_count) and not spec.field:
        raise typer.BadParameter(
            "--max-share / --min-count need --quota FIELD", param_hint="'--quota'"
        )
    return spec


def quota_values(pool: Pool, field_name: str) -> list[object]:
    """The group value of every row; a missing field is the group '(missing)'."""
    from ..records.pool import MISSING

    values = pool.values(field_name)
    return [None if v is MISSING or v is None else v for v in values]


def costs_of(pool: Pool, kind: str, tokenizer: str | None) -> tuple[np.ndarray, dict]:
    """Per-row cost with progress while tokens are counted."""
    with progress() as bar:
        task = bar.add_task(f"counting {kind}", total=len(pool))
        costs, info = record_costs(
            pool, kind, tokenizer=tokenizer, on_batch=lambda n: bar.advance(task, n)
        )
        bar.update(task, completed=len(pool))
    return costs, info


def take_annotations(ann: Annotations, rows: np.ndarray) -> Annotations:
    """The annotations of `rows`, in that order."""
    rows = np.asarray(rows, dtype=np.int64)
    starts, ends = ann.labels.offsets[rows], ann.labels.offsets[rows + 1]
    lengths = ends - starts
    offsets = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    flat = np.repeat(starts - offsets[:-1], lengths) + np.arange(offsets[-1])
    import pyarrow as pa

    values = ann.labels.values.take(pa.array(flat, type=pa.int64()))
    return Annotations(LabelColumn(offsets, values), ann.scores[rows])


def concat_annotations(first: Annotations, second: Annotations) -> Annotations:
    """The rows of `first`, then those of `second`."""
    import pyarrow as pa

    offsets = np.concatenate(
        [first.labels.offsets, second.labels.offsets[1:] + first.labels.offsets[-1]]
    )
    values = pa.concat_arrays([first.labels.values, second.labels.values])
    return Annotations(LabelColumn(offsets, values), np.concatenate([first.scores, second.scores]))


def manifest_pool(path: str) -> Pool:
    """The records a manifest selected, read back from the pool it names (for --given)."""
    manifest = read_manifest(path)
    source = manifest["inputs"].get("pool") or {}
    pool_path = source.get("path")
    if not pool_path or pool_path == "<stdin>" or not Path(pool_path).exists():
        raise DataError(f"the pool it was made from ({pool_path}) cannot be read", source=path)
    pool = read_pool(pool_path)
    rows = np.asarray(manifest["subset"]["rows"], dtype=np.int64)
    if len(rows) and rows.max() >= len(pool):
        raise DataError(f"rows past the end of {pool_path}: the pool has changed", source=path)
    return take_pool_rows(pool, rows)


def take_pool_rows(pool: Pool, rows: np.ndarray) -> Pool:
    """A pool of the given rows of `pool`, in order."""
    import pyarrow as pa

    if pool.table is not None:
        return Pool(pool.source, table=pool.table.take(pa.array(rows, type=pa.int64())))
    assert pool.records is not None and pool.lines is not None
    idx = rows.tolist()
    numbers = pool.line_numbers[rows] if pool.line_numbers is not None else None
    return Pool(
        pool.source,
        records=[pool.records[i] for i in idx],
        lines=[pool.lines[i] for i in idx],
        line_numbers=numbers,
    )


def manifest_target(target: str, explicit: str | None, nested: bool, k: int) -> str | None:
    """Where a subset's manifest goes: --manifest (with .kK for nested sizes), else beside it."""
    if explicit:
        if not nested:
            return explicit
        stem = explicit
        for suffix in (".manifest.json", ".json"):
            if stem.endswith(suffix):
                stem = stem[: -len(suffix)]
                break
        return f"{stem}.k{k}.manifest.json"
    if target == "-":
        return None
    return manifest_path(target)


def _match(pool: Pool, other: Pool):
    from ..records.matching import keys_of, match_rows

    return match_rows(keys_of(pool), keys_of(other))


def match_in_order(pool: Pool, other: Pool, option: str) -> np.ndarray:
    """Row of `pool` for each record of `other`, in `other`'s order (`records.matching`: by
    bytes, content, or unique ids); a record not in the pool is a `DataError` naming its line."""
    match = _match(pool, other)
    missing = np.flatnonzero(match.rows < 0)
    if len(missing):
        i = int(missing[0])
        raise DataError(
            f"{option}: this record is not in the pool ({len(missing):,} of {len(other):,} "
            "are not)",
            source=other.source,
            line=other.line_of(i),
        )
    return np.array(list(dict.fromkeys(match.rows.tolist())), dtype=np.int64)


def match_mask(pool: Pool, other: Pool) -> np.ndarray:
    """Rows of `pool` that are records of `other` (`records.matching`)."""
    return _match(pool, other).pool_mask()
