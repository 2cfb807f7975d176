"""Label normalisation: one spelling per label so that graph nodes and counts line up.

`normalize_label` applies, in order: Unicode NFKC, lowercase, fold every whitespace run (tabs
and newlines included) to one space, then strip surrounding quotes, brackets and sentence
punctuation (repeatedly, with whitespace). Characters that carry meaning at the edges of
technical labels are kept: `c++`, `c#`, `.net`, `f#`, `node.js`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any

_WS = re.compile(r"\s+")
_QUOTES = "\"'`\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u201f\u00ab\u00bb\u2039\u203a"
_LEADING = _QUOTES + "([{<*-\u2022\u00b7,;:!?_~|/\\ "
_TRAILING = _QUOTES + ")]}>*-\u2022\u00b7.,;:!?_~|/\\ "


def normalize_label(s: str) -> str:
    """Canonical spelling of one label ("" when nothing meaningful is left)."""
    text = _WS.sub(" ", unicodedata.normalize("NFKC", str(s)).lower()).strip()
    while True:
        stripped = text.lstrip(_LEADING).rstrip(_TRAILING)
        if stripped == text:
            return text
        text = stripped


def normalize_labels(labels: Iterable[Any] | str | None) -> list[str]:
    """Normalise every label, drop empties and repeats (first occurrence kept, order kept).

    A bare string counts as one label; None gives []; None items are skipped; an InsTag-style
    item `{"tag": ..., "explanation": ...}` contributes its tag; other items are turned into
    strings.
    """
    if labels is None:
        return []
    if isinstance(labels, str):
        labels = [labels]
    out: list[str] = []
    seen: set[str] = set()
    for item in labels:
        if item is None:
            continue
        if isinstance(item, dict) and "tag" in item:
            item = item["tag"]
            if item is None:
                continue
        label = normalize_label(item)
        if label and label not in seen:
            seen.add(label)
            out.append(label)
    return out
