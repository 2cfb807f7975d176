"""Writing systems of a text: what an English-only embedding model can and cannot read.

The bundled all-MiniLM-L6-v2 was trained on English; its embeddings of Chinese, Japanese,
Korean, Arabic, Hebrew, Thai, Cyrillic, Greek, Indic and other non-Latin text carry little
meaning, so tags matched to them by embedding are noise (Latin-script languages such as French
or German are read, coarsely). `unreadable_share` measures how much of a text is in such scripts and
`script_language` names the script's language for a tag. Pure functions, no model.
"""

from __future__ import annotations

import re

UNREADABLE_SHARE = 0.3  # texts with more of their characters in these scripts are "unreadable"

# script -> the language (or, for a script many languages share, the script) named in the
# "written in ..." label; Unicode block ranges
_RANGES = {
    "japanese": "\u3040-\u30ff",  # kana (Japanese text also uses Han)
    "korean": "\u1100-\u11ff\uac00-\ud7af",
    "chinese": "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff",
    "arabic": "\u0600-\u06ff\u0750-\u077f",
    "hebrew": "\u0590-\u05ff",
    "thai": "\u0e00-\u0e7f",
    "hindi": "\u0900-\u097f",
    "cyrillic": "\u0400-\u04ff",
    "greek": "\u0370-\u03ff",
    "armenian": "\u0530-\u058f",
    "georgian": "\u10a0-\u10ff",
    "bengali": "\u0980-\u09ff",
    "punjabi": "\u0a00-\u0a7f",
    "gujarati": "\u0a80-\u0aff",
    "tamil": "\u0b80-\u0bff",
    "telugu": "\u0c00-\u0c7f",
    "kannada": "\u0c80-\u0cff",
    "malayalam": "\u0d00-\u0d7f",
    "sinhala": "\u0d80-\u0dff",
    "lao": "\u0e80-\u0eff",
    "burmese": "\u1000-\u109f",
    "amharic": "\u1200-\u137f",
    "khmer": "\u1780-\u17ff",
}
_SCRIPTS = {name: re.compile(f"[{chars}]") for name, chars in _RANGES.items()}
_ANY = re.compile("[" + "".join(_RANGES.values()) + "]")
_CJK = re.compile(
    r"[\u1100-\u11ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]"
)


# maths notation, the same in every language (code is kept: its English words are read)
_NOTATION = re.compile(
    r"\\begin\{([a-z]+\*?)\}.*?\\end\{\1\}|\$\$.*?\$\$|\$[^$\n]+\$|\\\(.*?\\\)|\\\[.*?\\\]|\[asy\].*?\[/asy\]",
    re.DOTALL,
)


def unreadable_share(text: str) -> float:
    """Share of the non-space characters in scripts an English-only model cannot read.

    LaTeX maths (`$...$`, `$$...$$`, `\\(...\\)`, `\\[...\\]`, `\\begin{align}...`, `[asy]`) is
    left out of the count: a Japanese maths problem heavy in LaTeX is still Japanese text. A
    text that is all notation has share 0.
    """
    prose = _NOTATION.sub(" ", text)
    chars = sum(1 for c in prose if not c.isspace())
    return len(_ANY.findall(prose)) / chars if chars else 0.0


def is_unreadable(text: str) -> bool:
    return unreadable_share(text) >= UNREADABLE_SHARE


def script_language(text: str) -> str | None:
    """A key of `_RANGES` ('japanese', 'chinese', 'korean', 'arabic', 'cyrillic', 'greek', ...),
    or None.

    Japanese when kana is present (Japanese mixes kana and Han), else the script with the most
    characters."""
    counts = {name: len(p.findall(text)) for name, p in _SCRIPTS.items()}
    if counts["japanese"] >= 2:
        return "japanese"
    best = max(counts, key=lambda name: counts[name])
    return best if counts[best] else None


def cjk_count(text: str) -> int:
    """Number of Chinese/Japanese/Korean characters."""
    return len(_CJK.findall(text))
