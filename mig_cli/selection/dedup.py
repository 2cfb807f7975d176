"""Duplicate groups of a pool, so that a subset never holds two copies of one record.

`duplicate_groups` gives every row a group id (the lowest row of its group); `duplicate_mask`
turns the groups into rows the sampler must not pick: in each group only the best-scored row
(ties to the lowest row) stays eligible, and when a group holds a record already chosen
(`--given`), none of its other rows stay eligible. The mask joins the sampler's `exclude` mask,
so the MIG rule itself is untouched (design.md) and a group's kept row is the one the greedy
rule would reach first among identical copies (same labels and score: the lowest row).

Modes:
- `exact`: the same normalised conversation (`exact_key`): every turn's text NFKC-normalised,
  lowercased, with prose punctuation (`. , ; : ! ? ' "`, their CJK and typographic forms, `…`)
  and all whitespace removed, so copies differing only by case, spacing or sentence punctuation
  are one group. Operators, brackets and other symbols stay: `x+1=0` and `x-1=0`, `x*2` and
  `x**2`, or a problem about "(" and ")" and its twin about "<" and ">" are different records.
- `near`: `exact`, then MinHash LSH (the `datasketch` library: `MinHash` over word 3-shingles
  of the normalised text, or character 4-grams for text without spaces such as Chinese or
  Japanese, 128 permutations, `MinHashLSH` at Jaccard `threshold` 0.8); groups are the
  connected components of the candidate pairs whose estimated Jaccard reaches the threshold.
- `none`: no grouping.

`lazy_dedup.py` applies the `exact` rule inside the greedy instead, reading only the records
about to be picked (`mig sample --dedup exact` with MIG); this module is the read-every-record
rule (`--dedup exact-all`, `near`).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable

import numpy as np

DEDUP_MODES = ("exact", "near", "none")
NEAR_THRESHOLD = 0.8
NUM_PERM = 128
# sentence punctuation only (after NFKC, which maps full-width forms to ASCII): symbols that
# change what a maths or code record says (+ - * / < > = ( ) [ ] { } # % ...) are kept
_PROSE_PUNCT = re.compile(
    r"[.,;:!?'\"\u2018\u2019\u201c\u201d\u00ab\u00bb\u00a1\u00bf\u2026\u3001\u3002\u300c\u300d\u300e\u300f]+"
)
_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """NFKC, lowercase, sentence punctuation replaced by a space, whitespace folded (the text
    `near` shingles)."""
    folded = _PROSE_PUNCT.sub(" ", unicodedata.normalize("NFKC", text).lower())
    return _SPACE.sub(" ", folded).strip()


def exact_key(text: str) -> str:
    """`normalise` with every space removed: the text two `exact` duplicates share."""
    return normalise(text).replace(" ", "")


def key_digest(key: str) -> bytes:
    """16-byte BLAKE2b digest of an `exact_key` (what exact dedup compares and keeps)."""
    return hashlib.blake2b(key.encode(), digest_size=16).digest()


def exact_digest(text: str) -> bytes:
    """`key_digest(exact_key(text))`: equal for two exact duplicates."""
    return key_digest(exact_key(text))


def _find(parent: np.ndarray, i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = int(parent[i])
    return i


_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\u0e00-\u0e7f]")


def _shingles(text: str) -> set[bytes]:
    words = text.split()
    unspaced = len(_UNSPACED.findall(text)) * 3 > len(text)  # Chinese, Japanese, Thai...
    if len(words) >= 3 and not unspaced:  # spaced text: word 3-shingles
        return {" ".join(words[i : i + 3]).encode() for i in range(len(words) - 2)}
    squashed = text.replace(" ", "")
    if len(squashed) <= 4:
        return {squashed.encode()}
    return {squashed[i : i + 4].encode() for i in range(len(squashed) - 3)}


def duplicate_groups(
    texts: Iterable[str], mode: str = "exact", *, threshold: float = NEAR_THRESHOLD
) -> np.ndarray:
    """Group id of each text (int64, shape (N,)): the lowest row of its duplicate group.

    `texts`: one string per record holding its whole conversation, read once (a stream is
    fine). `exact` keeps a 16-byte BLAKE2 digest per distinct text; `near` also keeps one
    MinHash (1 KiB) per distinct text. Raises ValueError for an unknown mode, ImportError
    (with the install hint) when `near` lacks `datasketch`.
    """
    if mode not in DEDUP_MODES:
        raise ValueError(f"unknown dedup mode '{mode}' (choose from {', '.join(DEDUP_MODES)})")
    if mode == "none":
        return np.arange(sum(1 for _ in texts), dtype=np.int64)
    near = _NearIndex(threshold) if mode == "near" else None
    first: dict[bytes, int] = {}
    parent_list: list[int] = []
    for i, text in enumerate(texts):
        key = normalise(text)
        digest = key_digest(key.replace(" ", ""))  # exact_digest, the text normalised once
        j = first.setdefault(digest, i)
        parent_list.append(j)
        if near is not None and j == i:
            near.add(i, key, parent_list)
    parent = np.asarray(parent_list, dtype=np.int64)
    n = len(parent)
    return np.fromiter((_find(parent, i) for i in range(n)), dtype=np.int64, count=n)


class _NearIndex:
    """MinHash LSH over the distinct texts seen so far (datasketch)."""

    def __init__(self, threshold: float) -> None:
        try:
            from datasketch import MinHash, MinHashLSH
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ImportError(
                "--dedup near needs datasketch: pip install 'mig-cli[dedup]'"
            ) from exc
        self.minhash = MinHash
        self.lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
        self.threshold = threshold
        self.hashes: dict[int, object] = {}

    def add(self, i: int, key: str, parent: list[int]) -> None:
        m = self.minhash(num_perm=NUM_PERM, seed=1)
        m.update_batch(list(_shingles(key)))
        for j in self.lsh.query(m):
            if self.hashes[j].jaccard(m) >= self.threshold:
                # union: point the later root at the earlier one (a list is fine for _find)
                a, b = _find_list(parent, i), _find_list(parent, j)
                if a != b:
                    parent[max(a, b)] = min(a, b)
        self.lsh.insert(i, m)
        self.hashes[i] = m


def _find_list(parent: list[int], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def duplicate_mask(
    groups: np.ndarray, scores: np.ndarray, given: np.ndarray | None = None
) -> np.ndarray:
    """Rows to exclude (bool, shape (N,)): all but one row of each duplicate group.

    The kept row is the group's best-scored row (ties to the lowest row), or none at all when
    the group holds a `given` row (already chosen). Rows alone in their group are never masked.
    """
    groups = np.asarray(groups, dtype=np.int64)
    n = len(groups)
    scores = np.asarray(scores, dtype=np.float64)
    order = np.lexsort((np.arange(n), -scores, groups))  # by group, best score, lowest row
    keep = np.zeros(n, dtype=bool)
    starts = np.ones(n, dtype=bool)
    starts[1:] = groups[order][1:] != groups[order][:-1]
    keep[order[starts]] = True
    mask = ~keep
    if given is not None:
        given = np.asarray(given, dtype=bool)
        taken = np.unique(groups[given])
        mask |= np.isin(groups, taken)
        mask &= ~given  # the given rows are excluded by the caller already
    return mask


def group_sizes(groups: np.ndarray) -> np.ndarray:
    """Size of each row's group (int64, shape (N,))."""
    groups = np.asarray(groups, dtype=np.int64)
    return np.bincount(groups, minlength=len(groups))[groups]
