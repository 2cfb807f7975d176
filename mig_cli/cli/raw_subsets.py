"""Raw records whose annotations live in the pool they were drawn from.

`mig sample` on a raw pool annotates a copy of it and writes the subset as the pool's own lines,
without labels or score. `mig stats`, `mig report` and `mig sample --given` take such records'
annotations from the annotated pool: each record is found there by its content with the
annotation fields left out (`records.matching.RecordsKeys(ignore=...)`), else by an id unique
on both sides, and takes the labels and score of that row.
"""

from __future__ import annotations

import numpy as np

from ..errors import DataError
from ..records.annotations import Annotations
from ..records.matching import KeySource, Match, RecordsKeys, Restreamed, match_rows
from ..records.pool import MISSING, Pool
from .controls import take_annotations

COMPONENTS_FIELD = "score_components"  # what `mig score` writes beside the default score


def annotation_fields(labels_field: str | None, score_field: str | None) -> tuple[str, ...]:
    """The top-level fields annotation adds (left out when matching raw records)."""
    fields = {(labels_field or "labels").split(".", 1)[0], COMPONENTS_FIELD}
    fields.add((score_field or "score").split(".", 1)[0])
    return tuple(sorted(fields))


def lacks_labels(data: Pool, labels_field: str) -> bool:
    """Whether no record has the labels field (raw records)."""
    head = labels_field.split(".", 1)[0]
    if data.table is not None and head not in data.table.column_names:
        return True
    return all(v is MISSING for v in data.values(labels_field))


def raw_keys(raw: Pool, pool_keys: KeySource) -> RecordsKeys:
    """`raw`'s records as `pool_keys` compares them: with the same fields left out when it is a
    `RecordsKeys(ignore=...)`, by their bytes too against a raw input's own index."""
    return RecordsKeys(raw.rows(), raw.lines, ignore=tuple(getattr(pool_keys, "ignore", ())))


def match_raw(pool_keys: KeySource, raw: Pool, pool_source: str) -> Match:
    """Rows of `pool_keys` holding the records of `raw`; a DataError names the first record of
    `raw` found nowhere (file and line). With `RecordsKeys(ignore=...)` the same fields are left
    out of `raw`'s records; a raw input's own index matches them by their bytes."""
    match = match_rows(pool_keys, raw_keys(raw, pool_keys))
    missing = np.flatnonzero(match.rows < 0)
    if len(missing):
        raise DataError(
            f"this record is not in the pool {pool_source} ({len(missing):,} of {len(raw):,} "
            "are not; matched by content without labels and score, or by unique id), so its "
            "annotations cannot be taken from it",
            source=raw.source,
            line=raw.line_of(int(missing[0])),
        )
    return match


def annotations_through(
    pool: Pool, pool_ann: Annotations, raw: Pool, ignore: tuple[str, ...]
) -> tuple[Annotations, str]:
    """The annotations of `raw`'s records, taken from `pool` (an annotated copy), and how the
    records were matched ("content 30", "id 4")."""
    keys = RecordsKeys(pool.rows(), ignore=ignore)
    match = match_raw(keys, raw, pool.source)
    parts = [f"{n} {c:,}" for n, c in (("content", match.by_content), ("id", match.by_id)) if c]
    return take_annotations(pool_ann, match.rows), ", ".join(parts) or "nothing"


def given_keys(data, labels_at: str, score_field: str | None) -> KeySource:
    """What raw `--given` records are matched against: the raw input's own lines when `mig
    sample` annotated it (`data.rows_from`), else the annotated pool's records read again
    without their annotation fields."""
    raw_input = getattr(data, "rows_from", None)
    if raw_input is not None:
        return raw_input
    ignore = annotation_fields(labels_at, score_field)
    return RecordsKeys(Restreamed(data.records), ignore=ignore, size=len(data))
