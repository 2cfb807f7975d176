"""Dotted-path field access and the presets that say where labels and scores live."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

_MISSING = object()


def get_path(record: Any, path: str, default: Any = _MISSING) -> Any:
    """Value at a dotted path (`annotation.instag.content`); list items by integer segment.

    Raises KeyError naming the first missing segment when no default is given.
    """
    value = record
    for part in path.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif (
            isinstance(value, list)
            and part.lstrip("-").isdigit()
            and -len(value) <= int(part) < len(value)
        ):
            value = value[int(part)]
        else:
            if default is not _MISSING:
                return default
            raise KeyError(part)
    return value


@dataclass(frozen=True)
class Preset:
    """Where an annotated pool keeps its labels and its score."""

    name: str
    labels_field: str
    score_field: str | None
    description: str


# The xsample preset reads the MIG authors' published annotated pools. Its score is computed
# from two per-turn lists (see annotations.xsample_score), so score_field names the parent.
PRESETS: dict[str, Preset] = {
    "default": Preset("default", "labels", "score", "labels = `labels`, score = `score`"),
    "xsample": Preset(
        "xsample",
        "annotation.instag.content",
        "annotation.deita",
        "labels = annotation.instag.content; score = mean over turns of "
        "deita.quality_scores[i] * deita.complexity_scores[i]",
    ),
}
