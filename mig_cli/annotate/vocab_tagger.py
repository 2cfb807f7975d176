"""`VocabTagger`: label texts with the closest entries of a tag vocabulary, by embedding
similarity (the base of the offline taggers; `taggers.TaxonomyTagger` adds the bundled
taxonomy and its rules).

For each text it keeps the `top_k` tags whose cosine similarity reaches `min_similarity`, best
first (ties by vocabulary order). A tag may be listed several times with different match
texts; its similarity is then the best over them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

Embed = Callable[[list[str]], np.ndarray]


class VocabTagger:
    """Tag texts with the closest tags of a vocabulary, by embedding similarity.

    `embed` maps a list of texts to unit float32 rows (e.g. `Embedder().encode`). `texts`,
    when given, are the strings embedded for the tags (one per entry of `tags`; a tag may
    repeat with another text); by default the tags themselves are embedded. The vocabulary is
    embedded once, on first use, with `tag_embed` when given (e.g. through an on-disk cache).
    """

    name = "vocab"

    def __init__(
        self,
        embed: Embed,
        tags: Sequence[str],
        texts: Sequence[str] | None = None,
        *,
        top_k: int = 3,
        min_similarity: float = 0.3,
        tag_embed: Embed | None = None,
    ) -> None:
        tags = [str(t) for t in tags]
        if not tags:
            raise ValueError("the tag vocabulary is empty")
        if texts is not None and len(texts) != len(tags):
            raise ValueError(f"{len(tags)} tags but {len(texts)} match texts")
        if top_k < 1:
            raise ValueError(f"top_k must be at least 1, not {top_k}")
        self.embed = embed
        self.tag_embed = tag_embed or embed
        self.top_k = int(top_k)
        self.min_similarity = float(min_similarity)
        self.tags: list[str] = list(dict.fromkeys(tags))
        index = {t: i for i, t in enumerate(self.tags)}
        rows = np.array([index[t] for t in tags], dtype=np.int64)
        order = np.argsort(rows, kind="stable")
        match = list(texts) if texts is not None else tags
        self._texts = [str(match[i]) for i in order]
        self._group_starts = np.searchsorted(rows[order], np.arange(len(self.tags)))
        self._plain = len(self.tags) == len(tags)
        self._matrix: np.ndarray | None = None

    def _tag_matrix(self) -> np.ndarray:
        if self._matrix is None:
            vecs = np.asarray(self.tag_embed(self._texts), dtype=np.float32)
            if vecs.ndim != 2 or vecs.shape[0] != len(self._texts):
                raise ValueError(
                    f"embed returned shape {vecs.shape} for {len(self._texts)} tag texts"
                )
            self._matrix = np.ascontiguousarray(vecs.T)
        return self._matrix

    def similarities(self, texts: Sequence[str]) -> np.ndarray:
        """Cosine similarity of every text to every tag: float32, shape (len(texts), tags)."""
        matrix = self._tag_matrix()
        if not texts:
            return np.zeros((0, len(self.tags)), dtype=np.float32)
        vecs = np.asarray(self.embed(list(texts)), dtype=np.float32)
        if vecs.ndim != 2 or vecs.shape != (len(texts), matrix.shape[0]):
            raise ValueError(f"embed returned shape {vecs.shape} for {len(texts)} texts")
        sims = vecs @ matrix
        if self._plain:
            return sims
        return np.maximum.reduceat(sims, self._group_starts, axis=1)

    def tag_batch(self, texts: Sequence[str]) -> list[list[str]]:
        """Tags for each text, best first; a blank text gets []."""
        out: list[list[str]] = [[] for _ in texts]
        keep = [i for i, t in enumerate(texts) if isinstance(t, str) and t.strip()]
        if not keep:
            return out
        kept = [texts[i] for i in keep]
        for i, tags in zip(keep, self.select(self.similarities(kept), kept), strict=True):
            out[i] = tags
        return out

    def select(self, sims: np.ndarray, texts: Sequence[str]) -> list[list[str]]:
        """Tags from precomputed `similarities(texts)` (one row per text)."""
        return [self._select(row, text) for row, text in zip(sims, texts, strict=True)]

    def _select(self, sims: np.ndarray, text: str) -> list[str]:
        order = ranked(sims, self.top_k)
        return [self.tags[j] for j in order if sims[j] >= self.min_similarity]


def ranked(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k highest scores, best first, ties to the lower index."""
    k = min(k, scores.shape[0])
    if k * 4 < scores.shape[0]:
        part = np.argpartition(-scores, k - 1)[:k]
        cut = scores[part].min()
        cand = np.flatnonzero(scores >= cut)
    else:
        cand = np.arange(scores.shape[0])
    return cand[np.lexsort((cand, -scores[cand]))][:k]
