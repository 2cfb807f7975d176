"""The fields selection reads, checked block by block as `annotations` checks them, and packed.

`Wanted` names the fields to read (labels, score, id, quota fields). `FieldReader` takes a few
rows at a time (`FieldBlock`, shaped like the `Pool` that `annotations` validates), checks each
wanted field with `annotations.read_labels` / `read_scores` / `read_xsample_scores` (a
`DataError` naming the line and field), packs labels as dictionary codes, and on `finish` sets
the `PoolIndex`'s labels and scores, or records the fields no record has. A field present in
some records but missing in others is a `DataError` naming the line.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import DataError
from .annotations import LabelColumn, read_labels, read_scores, read_xsample_scores, resolve_fields

if TYPE_CHECKING:
    from .pool_index import PoolIndex


@dataclass
class Wanted:
    """The fields to read: labels and/or score (None: not needed), and the id field.

    With `labels_optional`, labels are read and checked when records carry them, and a pool
    without any is not short of anything.
    """

    labels_field: str | None = "labels"
    score_field: str | None = "score"
    preset: str | None = None
    id_field: str = "id"
    labels_optional: bool = False
    extra_fields: list[str] = field(default_factory=list)  # kept as Python values (quotas)

    @classmethod
    def for_method(
        cls, method: str, labels_field: str | None, score_field: str | None, preset: str | None
    ) -> Wanted:
        """What `method` selects by: mig labels and scores, top-score scores (labels checked
        when present), random nothing."""
        _, lf, sf = resolve_fields(preset, labels_field, score_field)
        if method == "random":
            return cls(None, None, preset)
        return cls(lf, sf, preset, labels_optional=method != "mig")


class FieldBlock:
    """A few rows' field values, shaped like the `Pool` that `annotations` validates."""

    def __init__(self, source: str, lines: np.ndarray, values: dict[str, list]) -> None:
        self.source = source
        self._lines = lines
        self._values = values

    def __len__(self) -> int:
        return len(self._lines)

    def line_of(self, row: int) -> int:
        return int(self._lines[row])

    def top_column(self, name: str) -> None:
        return None

    def values(self, path: str) -> list:
        return self._values[path]


@dataclass
class _FieldState:
    """One wanted field across blocks: parts read so far, and rows that lacked it."""

    name: str
    parts: list = field(default_factory=list)
    present: int = 0
    first_absent_line: int | None = None


def _missing_error(index: PoolIndex, state: _FieldState, what: str) -> DataError:
    line = state.first_absent_line
    return DataError(f"missing; expected {what}", source=index.source, line=line, field=state.name)


class FieldReader:
    """Validates wanted fields block by block (as `annotations` does) and packs them."""

    def __init__(self, index: PoolIndex, wanted: Wanted) -> None:
        self.index = index
        self.wanted = wanted
        chosen, _, _ = resolve_fields(wanted.preset, None, None)
        self.xsample = chosen.name == "xsample" and wanted.score_field == chosen.score_field
        self.labels = _FieldState(wanted.labels_field) if wanted.labels_field else None
        self.score = _FieldState(wanted.score_field) if wanted.score_field else None

    def block(self, block: FieldBlock, absent: dict[str, int]) -> None:
        """`absent`: per wanted field, how many of the block's rows lack it."""
        for state, what in ((self.labels, "labels"), (self.score, "score")):
            if state is None:
                continue
            missing = absent.get(state.name, 0)
            if missing == len(block):
                if state.first_absent_line is None:
                    state.first_absent_line = block.line_of(0)
                if state.present:  # records before had it: this one is missing it
                    self._fail_missing(state, what)
                continue
            if state.first_absent_line is not None:  # earlier rows had none
                self._fail_missing(state, what)
            state.present += len(block) - missing
            if what == "labels":
                column = _plain_labels(block.values(state.name))
                if column is None:  # not all lists of strings: the checks that name the row
                    column = read_labels(block, state.name)  # type: ignore[arg-type]
                if not pa.types.is_dictionary(column.values.type):
                    column = LabelColumn(column.offsets, column.values.dictionary_encode())
                state.parts.append(column)
            elif self.xsample:
                state.parts.append(read_xsample_scores(block, state.name))  # type: ignore[arg-type]
            else:
                state.parts.append(read_scores(block, state.name))  # type: ignore[arg-type]

    def _fail_missing(self, state: _FieldState, what: str) -> None:
        expected = "a list of strings" if what == "labels" else "a number >= 0"
        raise _missing_error(self.index, state, expected)

    def finish(self) -> None:
        index = self.index
        if self.labels is not None:
            if self.labels.present:
                index.labels = LabelColumn.concat(self.labels.parts)
            elif not self.wanted.labels_optional:
                index.absent.append(self.labels.name)
                index.first_absent_line[self.labels.name] = self.labels.first_absent_line or 1
        if self.score is not None:
            if self.score.present:
                index.scores = np.concatenate(self.score.parts)
            else:
                index.absent.append(self.score.name)
                index.first_absent_line[self.score.name] = self.score.first_absent_line or 1


def _plain_labels(values: list) -> LabelColumn | None:
    """The common case checked in bulk: every value a list, every label a string."""
    if not values or set(map(type, values)) != {list}:
        return None
    flat = list(itertools.chain.from_iterable(values))
    if flat and set(map(type, flat)) != {str}:
        return None
    offsets = np.zeros(len(values) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, values), dtype=np.int64, count=len(values)), out=offsets[1:])
    return LabelColumn(offsets, pc.dictionary_encode(pa.array(flat, type=pa.string())))
