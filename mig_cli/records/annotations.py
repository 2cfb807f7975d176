"""Labels and scores of an annotated pool, validated, in flat array form.

`read_annotations` turns a `Pool` into `Annotations`: per-row label lists as CSR-like offsets into
a flat array of label strings, and a float64 score per row. Every problem is a `DataError` that
names the file, the line and the field.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import DataError
from .fields import PRESETS, Preset
from .pool import MISSING, Pool, gc_paused


def _distinct_sorted(keys: np.ndarray) -> np.ndarray:
    """np.unique for int64 keys, by sort (much faster than hashing for millions of keys)."""
    keys = np.sort(keys, kind="stable")
    if len(keys) < 2:
        return keys
    keep = np.empty(len(keys), dtype=bool)
    keep[0] = True
    np.not_equal(keys[1:], keys[:-1], out=keep[1:])
    return keys[keep]


@dataclass
class LabelColumn:
    """Labels of N rows: row i holds values[offsets[i]:offsets[i+1]] (repeats allowed).

    `values` is a string array, or a dictionary array of strings (codes into a small
    dictionary of distinct labels: what Parquet's dictionary pages and the JSONL index give,
    and much cheaper to encode over the graph's nodes).
    """

    offsets: np.ndarray  # int64, N + 1
    values: pa.Array  # string, or dictionary<string>

    def __len__(self) -> int:
        return len(self.offsets) - 1

    @classmethod
    def from_lists(cls, lists: list[list[str]], *, dictionary: bool = False) -> LabelColumn:
        lengths = np.fromiter((len(x) for x in lists), dtype=np.int64, count=len(lists))
        offsets = np.zeros(len(lists) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        flat = pa.array(list(itertools.chain.from_iterable(lists)), type=pa.string())
        return cls(offsets, pc.dictionary_encode(flat) if dictionary else flat)

    @classmethod
    def concat(cls, parts: list[LabelColumn]) -> LabelColumn:
        """The rows of several columns, one after another (dictionaries unified)."""
        if len(parts) == 1:
            return parts[0]
        sizes = np.cumsum([0] + [int(p.offsets[-1]) for p in parts[:-1]])
        offsets = np.concatenate(
            [np.zeros(1, np.int64)] + [p.offsets[1:] + base for p, base in zip(parts, sizes)]
        )
        kinds = {pa.types.is_dictionary(p.values.type) for p in parts}
        chunks = [p.values for p in parts]
        if kinds == {True}:
            values = pa.chunked_array(chunks).unify_dictionaries().combine_chunks()
        else:
            chunks = [
                c.dictionary_decode() if pa.types.is_dictionary(c.type) else c for c in chunks
            ]
            values = pa.chunked_array(chunks, type=pa.string()).combine_chunks()
        return cls(offsets.astype(np.int64), values)

    def row(self, i: int) -> list[str]:
        return self.values[int(self.offsets[i]) : int(self.offsets[i + 1])].to_pylist()

    def row_ids(self) -> np.ndarray:
        """Row index of every flat value."""
        return np.repeat(np.arange(len(self), dtype=np.int64), np.diff(self.offsets))

    def _codes(self) -> tuple[np.ndarray, pa.Array]:
        """(code of every flat value, dictionary of distinct labels)."""
        values = self.values
        if not pa.types.is_dictionary(values.type):
            values = pc.dictionary_encode(values)
        codes = values.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        return codes, values.dictionary

    def vocabulary(self) -> tuple[list[str], np.ndarray]:
        """Distinct labels and, for each, the number of records carrying it."""
        if len(self.values) == 0:
            return [], np.zeros(0, dtype=np.int64)
        codes, dictionary = self._codes()
        size = len(dictionary)
        keys = _distinct_sorted(self.row_ids() * size + codes)
        counts = np.bincount(keys % size, minlength=size).astype(np.int64)
        used = np.flatnonzero(counts)
        if len(used) == size:
            return dictionary.to_pylist(), counts
        return dictionary.take(pa.array(used)).to_pylist(), counts[used]

    def encode(self, nodes: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """CSR (indptr, node indices) over `nodes`: unknown labels and repeats dropped, sorted."""
        n = len(self)
        if len(self.values) == 0 or not nodes:
            return np.zeros(n + 1, dtype=np.int64), np.zeros(0, dtype=np.int64)
        node_set = pa.array(nodes, type=pa.string())
        if pa.types.is_dictionary(self.values.type):
            codes, dictionary = self._codes()
            ids = _index_in(dictionary, node_set)[codes]
        else:
            ids = _index_in(self.values, node_set)
        known = ids >= 0
        rows = self.row_ids()[known]
        keys = _distinct_sorted(rows * len(nodes) + ids[known])
        key_rows = keys // len(nodes)
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(key_rows, minlength=n), out=indptr[1:])
        return indptr, keys % len(nodes)


def _index_in(values: pa.Array, value_set: pa.Array) -> np.ndarray:
    """Position of each value in value_set, -1 where absent (int64)."""
    idx = pc.index_in(values, value_set=value_set)
    ids = idx.to_numpy(zero_copy_only=False)
    if ids.dtype.kind == "f":
        ids = np.where(np.isnan(ids), -1, ids)
    return ids.astype(np.int64)


@dataclass
class Annotations:
    labels: LabelColumn
    scores: np.ndarray  # float64, >= 0, finite


def _fail(pool: Pool, row: int, field: str, message: str) -> DataError:
    return DataError(message, source=pool.source, line=pool.line_of(row), field=field)


def _label_text(value: object) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):  # InsTag style {"tag": ..., "explanation": ...}
        tag = value.get("tag", value.get("label"))
        return tag if isinstance(tag, str) else None
    return None


def _labels_from_arrow(pool: Pool, field: str) -> LabelColumn | None:
    column = pool.top_column(field)
    if column is None:
        return None
    typ = column.type
    if not (pa.types.is_list(typ) or pa.types.is_large_list(typ)):
        return None
    value_type = typ.value_type
    if pa.types.is_dictionary(value_type):
        value_type = value_type.value_type
    if not pa.types.is_string(value_type) and not pa.types.is_large_string(value_type):
        return None
    array = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    if array.null_count:
        row = int(np.flatnonzero(array.is_null().to_numpy(zero_copy_only=False))[0])
        raise _fail(pool, row, field, "missing (null); expected a list of strings")
    values = pc.list_flatten(array)
    if values.null_count:
        lengths = pc.list_value_length(array).to_numpy(zero_copy_only=False)
        flat_row = np.repeat(np.arange(len(lengths)), lengths)
        first = int(np.flatnonzero(values.is_null().to_numpy(zero_copy_only=False))[0])
        raise _fail(pool, int(flat_row[first]), field, "labels must be strings, found null")
    offsets = array.offsets.to_numpy().astype(np.int64)
    offsets = offsets - offsets[0]
    if not pa.types.is_dictionary(values.type):
        values = values.cast(pa.string())
    return LabelColumn(offsets, values)


def read_labels(pool: Pool, field: str) -> LabelColumn:
    """Labels at `field` (dotted path) for every row; each must be a list of strings."""
    fast = _labels_from_arrow(pool, field)
    if fast is not None:
        return fast
    lists: list[list[str]] = []
    append = lists.append
    for row, value in enumerate(pool.values(field)):
        # the common case, checked cheaply: a list of strings
        if type(value) is list and all(type(item) is str for item in value):
            append(value)
        else:
            append(_row_labels(pool, row, field, value))
    return LabelColumn.from_lists(lists)


def _row_labels(pool: Pool, row: int, field: str, value: object) -> list[str]:
    if value is MISSING or value is None:
        raise _fail(pool, row, field, "missing; expected a list of strings")
    if not isinstance(value, list):
        raise _fail(pool, row, field, f"expected a list of strings, got {type(value).__name__}")
    labels = []
    for item in value:
        text = _label_text(item)
        if text is None:
            raise _fail(pool, row, field, f"labels must be strings, found {item!r:.40}")
        labels.append(text)
    return labels


def _check_score(pool: Pool, row: int, field: str, value: object) -> float:
    if value is MISSING or value is None:
        raise _fail(pool, row, field, "missing; expected a number >= 0")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _fail(pool, row, field, f"expected a number >= 0, got {value!r:.40}")
    try:
        score = float(value)
    except OverflowError:
        score = math.inf
    if not math.isfinite(score) or score < 0:
        raise _fail(pool, row, field, f"score must be a finite number >= 0, got {value!r:.40}")
    return score


def check_scores(pool: Pool, field: str, scores: np.ndarray) -> np.ndarray:
    """Raise on the first NaN, infinite or negative score."""
    bad = ~np.isfinite(scores) | (scores < 0)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        shown = str(float(scores[row]))  # 'nan', never numpy's repr 'np.float64(nan)'
        raise _fail(pool, row, field, f"score must be a finite number >= 0, got {shown}")
    return scores


def read_scores(pool: Pool, field: str) -> np.ndarray:
    """Scores at `field` (dotted path) as float64; NaN, infinite or negative is an error."""
    column = pool.top_column(field)
    if column is not None and (
        pa.types.is_integer(column.type) or pa.types.is_floating(column.type)
    ):
        if column.null_count:
            row = int(np.flatnonzero(column.is_null().to_numpy(zero_copy_only=False))[0])
            raise _fail(pool, row, field, "missing (null); expected a number >= 0")
        scores = column.to_numpy().astype(np.float64)
        return check_scores(pool, field, scores)
    values = pool.values(field)
    if values and set(map(type, values)) <= {float, int}:  # common case, checked at once
        try:
            return check_scores(pool, field, np.array(values, dtype=np.float64))
        except OverflowError:  # an integer beyond float range: found row by row below
            pass
    return np.array(
        [_check_score(pool, i, field, v) for i, v in enumerate(values)], dtype=np.float64
    )


def xsample_score(value: object) -> float:
    """Mean over turns of quality_scores[i] * complexity_scores[i] (MIG authors' format)."""
    if not isinstance(value, dict):
        raise ValueError("expected an object with quality_scores and complexity_scores")
    quality = value.get("quality_scores")
    complexity = value.get("complexity_scores")
    if not isinstance(quality, list) or not isinstance(complexity, list):
        raise ValueError("quality_scores and complexity_scores must be lists")
    if not quality or len(quality) != len(complexity):
        raise ValueError(
            f"quality_scores ({len(quality)}) and complexity_scores ({len(complexity)}) "
            "must be non-empty and of equal length"
        )
    products = []
    for q, c in zip(quality, complexity):
        if isinstance(q, bool) or isinstance(c, bool):
            raise ValueError("scores must be numbers")
        if not isinstance(q, (int, float)) or not isinstance(c, (int, float)):
            raise ValueError(f"scores must be numbers, got {q!r} and {c!r}")
        products.append(float(q) * float(c))
    return sum(products) / len(products)


def read_xsample_scores(pool: Pool, field: str) -> np.ndarray:
    out = np.empty(len(pool), dtype=np.float64)
    for row, value in enumerate(pool.values(field)):
        if value is MISSING or value is None:
            raise _fail(pool, row, field, "missing; expected the deita annotation")
        try:
            out[row] = xsample_score(value)
        except ValueError as exc:
            raise _fail(pool, row, field, str(exc)) from None
    return check_scores(pool, field, out)


def resolve_fields(
    preset: str | None, labels_field: str | None, score_field: str | None
) -> tuple[Preset, str, str]:
    """The preset in force and the labels / score fields after explicit overrides."""
    chosen = PRESETS[preset or "default"]
    return chosen, labels_field or chosen.labels_field, score_field or chosen.score_field or ""


def read_annotations(
    pool: Pool,
    *,
    labels_field: str | None = None,
    score_field: str | None = None,
    preset: str | None = None,
) -> Annotations:
    """Labels and scores of every row of `pool`, validated."""
    with gc_paused():
        return _read_annotations(pool, labels_field, score_field, preset)


def _read_annotations(
    pool: Pool, labels_field: str | None, score_field: str | None, preset: str | None
) -> Annotations:
    if len(pool) == 0:
        raise DataError("the pool is empty", source=pool.source)
    chosen, lf, sf = resolve_fields(preset, labels_field, score_field)
    labels = read_labels(pool, lf)
    if chosen.name == "xsample" and score_field is None:
        scores = read_xsample_scores(pool, sf)
    else:
        scores = read_scores(pool, sf)
    return Annotations(labels, scores)
