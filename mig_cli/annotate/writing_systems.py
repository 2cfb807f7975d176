"""Writing systems of a text: what an English-only embedding model can and cannot read.

The bundled all-MiniLM-L6-v2 was trained on English; its embeddings of Chinese, Japanese,
Korean, Arabic, Hebrew or Thai text carry little meaning, so tags matched to them by embedding
are noise. `unreadable_share` measures how much of a text is in such scripts and
`script_language` names the script's language for a tag. Pure functions, no model.
"""

from __future__ import annotations

import re

UNREADABLE_SHARE = 0.3  # texts with more of their characters in these scripts are "unreadable"

_SCRIPTS = {
    "japanese": re.compile(r"[\u3040-\u30ff]"),  # kana (Japanese text also uses Han)
    "korean": re.compile(r"[\u1100-\u11ff\uac00-\ud7af]"),
    "chinese": re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"),
    "arabic": re.compile(r"[\u0600-\u06ff\u0750-\u077f]"),
    "hebrew": re.compile(r"[\u0590-\u05ff]"),
    "thai": re.compile(r"[\u0e00-\u0e7f]"),
    "hindi": re.compile(r"[\u0900-\u097f]"),
}
_ANY = re.compile(
    r"[\u0590-\u06ff\u0750-\u077f\u0900-\u097f\u0e00-\u0e7f\u1100-\u11ff\u3040-\u30ff"
    r"\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]"
)
_CJK = re.compile(
    r"[\u1100-\u11ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]"
)


def unreadable_share(text: str) -> float:
    """Share of the non-space characters in scripts an English-only model cannot read."""
    chars = sum(1 for c in text if not c.isspace())
    return len(_ANY.findall(text)) / chars if chars else 0.0


def is_unreadable(text: str) -> bool:
    return unreadable_share(text) >= UNREADABLE_SHARE


def script_language(text: str) -> str | None:
    """'japanese', 'chinese', 'korean', 'arabic', 'hebrew', 'thai', 'hindi', or None.

    Japanese when kana is present (Japanese mixes kana and Han), else the script with the most
    characters."""
    counts = {name: len(p.findall(text)) for name, p in _SCRIPTS.items()}
    if counts["japanese"] >= 3:
        return "japanese"
    best = max(counts, key=lambda name: counts[name])
    return best if counts[best] else None


def cjk_count(text: str) -> int:
    """Number of Chinese/Japanese/Korean characters."""
    return len(_CJK.findall(text))
