"""The offline quality score (`mig score --scorer quality`, the default): signals that see junk.

A record's score is `10 x` the product of six factors in [0, 1], each computed from its last
(instruction, reply) pair (`records.chat_text.turn_pairs`) and written out by name in
`score_components` so a user sees why a record scored low:

- `answer` (0 or 1): 0 for an empty reply or a non-answer: "N/A", "none", "<nooutput>", "I
  don't know", and refusals ("I'm sorry, but I can't...", "As an AI language model, I
  cannot...", 抱歉/无法, 申し訳/できません) of a request the record's labels do not mark as
  harmful (a refusal of a harmful request, labelled in the `safety` domain, is a good answer).
- `placeholder` (0.1 or 1): 0.1 when the reply holds an unfilled template slot the
  instruction does not itself contain: `{{name}}`, `[Your Name]`, `[Insert ... here]`,
  `<NAME>`, `# TODO: your code here`.
- `complete` (0.3 or 1): 0.3 when a reply of >= 80 characters stops mid-sentence: its last
  line is prose (not a list item, heading, code or formula) of >= 30 characters ending in a
  letter, a comma or an opening bracket; or a code fence is left open.
- `relevance` (0.15 to 1): cosine similarity of instruction and reply with the embedding model
  (the bundled MiniLM), mapped linearly from `RELEVANCE_FLOOR_SIM` (0.0 -> 0.15) to
  `RELEVANCE_FULL_SIM` (0.2 -> 1). Real pairs from the shared data have a median cosine of
  0.3-0.9, answers swapped from another record 0.05-0.1. An answer swapped from a record on the
  same subject can pass that (cosine 0.2-0.3), so relevance is also contrastive: in a batch of
  at least `CONTRAST_MIN` readable pairs, the share of (up to `CONTRAST_REFS`) other requests
  whose cosine to the reply beats its own request's is mapped from `CONTRAST_FULL` (0.05 -> 1)
  to `CONTRAST_ZERO` (0.25 -> 0.15), and the lower of the two factors is kept (single-exchange
  records with requests of 8+ and replies of 20+ tokens only). Measured on three draws of the
  benchmark pool against all of its requests: of ~3,100 clean records per draw with an own
  cosine >= 0.2, 0-2 had a share above 0.08 (the highest 0.13, a maths problem), while the
  swapped answers that passed the absolute test sat at 0.06-0.22. Neutral (1) when either text
  is mostly in a script the model cannot read (CJK, Arabic, Hebrew, ...; the bundled MiniLM is
  English-only) and when no embedding function is given.
- `repetition` (0 to 1): degenerate repetition seen by zlib: the compressed size of a reply of
  >= 300 characters over its raw size, mapped from 0.12 (-> 0) to 0.25 (-> 1). Real replies
  compress to 0.32-0.65 (code and LaTeX included); "the the the ..." to below 0.05.
- `length` (0.2 to 1): language-neutral length relative to the reply's own kind. Length is
  counted in approximate tokens (`approx_tokens`: 1 per CJK/kana/hangul character, 1 per 4
  other non-space characters), so CJK text, code and prose are on one scale. A record's kind is
  its first label (the taxonomy tagger puts the domain first); the factor is
  `log1p(tokens) / log1p(median tokens of its kind)`, capped at 1, floored at 0.2. The median
  is taken over the records of that kind in the same batch (over the whole batch when fewer
  than `MIN_KIND` of them), so a short correct label answer is not ranked below a long
  summary, and no task type dominates a subset by length alone. Batches are fixed row ranges
  (`--batch-size`, 2048 by default), so the score is deterministic and resumable for the same
  options, locally or on Ray; another `--batch-size` gives slightly different length factors.

References: the non-answer and placeholder signals follow common instruction-data cleaning
practice (e.g. the Alpaca-cleaned and Dolly clean-ups); the compression-ratio repetition test
is the one used in web-text filters (e.g. Gopher's repetition rules, Rae et al. 2021, sec. A).
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable, Sequence
from typing import ClassVar

import numpy as np

from ..records.chat import Turn
from ..records.chat_text import turn_pairs
from .tag_data import load_harm_cue
from .writing_systems import is_unreadable

Embed = Callable[[list[str]], np.ndarray]
SCALE = 10.0
VERSION = 2  # recorded with scored output: bump when a factor's rule changes (2: contrastive)
EMBED_CHARS = 600  # the start of each text is enough for relevance (MiniLM reads ~256 tokens)
RELEVANCE_FLOOR_SIM, RELEVANCE_FULL_SIM, RELEVANCE_MIN = 0.0, 0.2, 0.15
# contrastive relevance: the share of the batch's other requests closer to a reply than its own
CONTRAST_MIN = 200  # readable pairs a batch needs before the check applies
CONTRAST_REFS = 1024  # requests compared against (evenly spaced rows of the batch)
CONTRAST_FULL, CONTRAST_ZERO = 0.05, 0.25  # share -> factor 1 ... RELEVANCE_MIN
CONTRAST_MIN_TOKENS = (8, 20)  # request, reply: shorter texts embed too loosely to compare
PLACEHOLDER_FACTOR = 0.1
TRUNCATED_FACTOR = 0.3
LENGTH_MIN = 0.2
MIN_KIND = 8
COMPONENTS = ("answer", "placeholder", "complete", "relevance", "repetition", "length")

_NON_ANSWER = re.compile(
    r"^\W*(n/?a|none|null|nil|no answer|no output|<no ?output>|nooutput|unknown|"
    r"i (do not|don't) know|not applicable|no comment|\.+|-+|\?+)\W*$",
    re.IGNORECASE,
)
_REFUSAL = re.compile(
    r"^\W*(i'?m sorry|i am sorry|sorry,|i apologi[sz]e|unfortunately,? i|"
    r"as an ai( language model)?|i (can ?not|can't|won't|am unable to|am not able to)|"
    r"抱歉|对不起|我无法|我不能|申し訳|すみません|お答えできません)",
    re.IGNORECASE,
)
_REFUSAL_MAX_CHARS = 300
_PLACEHOLDER = re.compile(
    r"\{\{\s*[\w .-]{1,40}\s*\}\}"
    r"|(?<![\w\]\)\\])\[(your|insert|enter|add|recipient|company|name|date|address|phone|"
    r"email|title|position|city|first name|last name|full name|xx+)\b[^\]\n]{0,40}\]"
    r"|<(name|your [^<>\n]{1,30}|insert[^<>\n]{0,30}|topic|placeholder|company|recipient)>"
    r"|\b(TODO|FIXME):? (your|insert|add|write) (code|answer|implementation)"
    r"|\binsert (your |the )?(answer|text|code|conclusion|content|name)( here)?\b",
    re.IGNORECASE,
)
_LIST_ITEM = re.compile(r"^\s*([-*+•]|\d+[.)]|#+|\|)")
_CJK = re.compile(
    r"[\u1100-\u11ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]"
)


def approx_tokens(text: str) -> int:
    """Language-neutral length: 1 per CJK/kana/hangul character + 1 per 4 other non-space chars."""
    cjk = len(_CJK.findall(text))
    other = sum(1 for c in text if not c.isspace()) - cjk
    return cjk + (other + 3) // 4


def answer_factor(prompt: str, reply: str, harmful: bool = False) -> float:
    """0 for an empty reply, a non-answer, or a refusal of a request not labelled harmful."""
    text = reply.strip()
    if not text or _NON_ANSWER.match(text):
        return 0.0
    if not harmful and len(text) <= _REFUSAL_MAX_CHARS and _REFUSAL.match(text):
        return 0.0
    return 1.0


def placeholder_factor(prompt: str, reply: str) -> float:
    """0.1 when the reply holds an unfilled slot that the instruction does not hold."""
    found = _PLACEHOLDER.search(reply)
    if found is None:
        return 1.0
    if _PLACEHOLDER.search(prompt):
        return 1.0  # the user asked for a template, or gave one
    return PLACEHOLDER_FACTOR


def complete_factor(reply: str) -> float:
    """0.3 when a reply looks cut off mid-sentence (see the module docstring), else 1."""
    text = reply.rstrip()
    if reply.count("```") % 2 == 1:
        return TRUNCATED_FACTOR
    if len(text) < 80:
        return 1.0
    last = text.splitlines()[-1]
    if len(last.strip()) < 30 or _LIST_ITEM.match(last) or last.startswith(("    ", "\t")):
        return 1.0
    if any(c in last for c in "$\\=;{}"):
        return 1.0  # formulas and code end however they like
    end = last[-1]
    if end.isalpha() or end in ",([":
        return TRUNCATED_FACTOR
    return 1.0


def repetition_factor(reply: str) -> float:
    """zlib compression ratio of a reply >= 300 chars, mapped 0.12 -> 0 .. 0.25 -> 1."""
    raw = reply.encode("utf-8")
    if len(reply) < 300:
        return 1.0
    ratio = len(zlib.compress(raw, 6)) / len(raw)
    return float(np.clip((ratio - 0.12) / 0.13, 0.0, 1.0))


def relevance_factor(similarity: float) -> float:
    """Cosine of instruction and reply mapped to [RELEVANCE_MIN, 1]."""
    span = RELEVANCE_FULL_SIM - RELEVANCE_FLOOR_SIM
    value = RELEVANCE_MIN + (1 - RELEVANCE_MIN) * (similarity - RELEVANCE_FLOOR_SIM) / span
    return float(np.clip(value, RELEVANCE_MIN, 1.0))


def contrast_factor(share: float) -> float:
    """Share of other requests closer to a reply than its own request, mapped to
    [RELEVANCE_MIN, 1]: at most `CONTRAST_FULL` -> 1, at least `CONTRAST_ZERO` -> RELEVANCE_MIN."""
    span = CONTRAST_ZERO - CONTRAST_FULL
    value = 1.0 - (1.0 - RELEVANCE_MIN) * (share - CONTRAST_FULL) / span
    return float(np.clip(value, RELEVANCE_MIN, 1.0))


def closer_shares(prompts: np.ndarray, replies: np.ndarray) -> np.ndarray:
    """For each pair i (unit rows, shape (n, d) each): the share of up to `CONTRAST_REFS` other
    requests of the batch (evenly spaced rows) whose cosine to reply i beats request i's own.
    float64 of shape (n,); computed in blocks of 1,024 replies."""
    n = len(prompts)
    refs = np.unique(np.linspace(0, n - 1, num=min(n, CONTRAST_REFS)).round().astype(np.int64))
    ref_vecs = prompts[refs]
    own = (prompts * replies).sum(axis=1)
    out = np.empty(n, dtype=np.float64)
    for start in range(0, n, 1024):
        block = replies[start : start + 1024] @ ref_vecs.T
        rows = np.arange(start, min(start + 1024, n))
        closer = block > own[rows, None]
        is_self = refs[None, :] == rows[:, None]
        closer &= ~is_self
        out[rows] = closer.sum(axis=1) / np.maximum(len(refs) - is_self.sum(axis=1), 1)
    return out


def length_factors(tokens: Sequence[int], kinds: Sequence[str]) -> np.ndarray:
    """log1p(tokens) / log1p(median of the record's kind), capped at 1, floored at 0.2."""
    logs = np.log1p(np.asarray(tokens, dtype=np.float64))
    if len(logs) == 0:
        return logs
    overall = float(np.median(logs))
    ref = np.full(len(logs), overall)
    kinds_arr = np.asarray(list(kinds), dtype=object)
    for kind in set(kinds):
        rows = np.flatnonzero(kinds_arr == kind)
        if len(rows) >= MIN_KIND:
            ref[rows] = float(np.median(logs[rows]))
    ratio = np.where(ref > 0, logs / np.maximum(ref, 1e-9), 1.0)
    return np.clip(ratio, LENGTH_MIN, 1.0)


class QualityScorer:
    """The default offline scorer; see the module docstring for its six factors.

    `embed` (texts -> unit rows, e.g. `Embedder().encode`) gives the relevance factor; without
    it relevance is 1. `harmful_labels` are labels after which a refusal is a good answer; with
    them, a refusal is also a good answer to a request mostly in a script the default tagger
    cannot screen (CJK, Arabic, ...) that holds a harm word (`data/harm_words.txt`): such
    requests may lack a harm label because the tagger could not read them.
    """

    name: ClassVar[str] = "quality"
    needs: ClassVar[str] = "turns"

    def __init__(self, embed: Embed | None = None, harmful_labels: frozenset[str] = frozenset()):
        self.embed = embed
        self.harmful_labels = harmful_labels
        self._harm_cue = load_harm_cue() if harmful_labels else None

    def components(
        self,
        turns_list: Sequence[Sequence[Turn]],
        labels_list: Sequence[Sequence[str] | None] | None = None,
    ) -> list[dict[str, float]]:
        """The six factors of each record (a record without a reply gets answer 0)."""
        labels_list = labels_list if labels_list is not None else [None] * len(turns_list)
        pairs, single = [], []
        for turns in turns_list:
            found = turn_pairs(turns)
            pairs.append(found[-1] if found else ("", ""))
            single.append(len(found) == 1)
        out: list[dict[str, float]] = []
        for (prompt, reply), labels in zip(pairs, labels_list, strict=True):
            harmful = bool(labels) and any(lab in self.harmful_labels for lab in labels)
            if not harmful and self._harm_cue is not None and is_unreadable(prompt):
                harmful = bool(self._harm_cue.search(prompt[:2000]))
            out.append(
                {
                    "answer": answer_factor(prompt, reply, harmful),
                    "placeholder": placeholder_factor(prompt, reply),
                    "complete": complete_factor(reply),
                    "relevance": 1.0,
                    "repetition": repetition_factor(reply),
                }
            )
        if self.embed is not None:
            where = [
                i
                for i, (prompt, reply) in enumerate(pairs)
                if out[i]["answer"] > 0 and not is_unreadable(prompt) and not is_unreadable(reply)
            ]
            if where:
                texts = [pairs[i][0][:EMBED_CHARS] for i in where]
                texts += [pairs[i][1][:EMBED_CHARS] for i in where]
                vecs = np.asarray(self.embed(texts), dtype=np.float32)
                prompts, replies = vecs[: len(where)], vecs[len(where) :]
                sims = (prompts * replies).sum(axis=1)
                for i, sim in zip(where, sims.tolist(), strict=True):
                    out[i]["relevance"] = relevance_factor(sim)
                self._contrast(out, where, pairs, single, prompts, replies)
        kinds = [labels[0] if labels else "" for labels in labels_list]
        lengths = length_factors([approx_tokens(reply) for _, reply in pairs], kinds)
        for comp, factor in zip(out, lengths.tolist(), strict=True):
            comp["length"] = factor
        return out

    @staticmethod
    def _contrast(out, where, pairs, single, prompts: np.ndarray, replies: np.ndarray) -> None:
        """Lower `relevance` where other requests of the batch fit the reply better than its
        own (an answer swapped from a record on the same subject passes the absolute cosine);
        only in batches with at least `CONTRAST_MIN` readable pairs, only for single-exchange
        records (a later turn's request leans on the conversation before it) and requests and
        replies of at least `CONTRAST_MIN_TOKENS` tokens."""
        if len(where) < CONTRAST_MIN:
            return
        shares = closer_shares(prompts, replies)
        min_prompt, min_reply = CONTRAST_MIN_TOKENS
        for i, share in zip(where, shares.tolist(), strict=True):
            prompt, reply = pairs[i]
            if not single[i]:
                continue
            if approx_tokens(prompt) >= min_prompt and approx_tokens(reply) >= min_reply:
                out[i]["relevance"] = min(out[i]["relevance"], contrast_factor(share))

    @staticmethod
    def combine(components: dict[str, float]) -> float:
        """score = 10 x the product of the factors."""
        value = SCALE
        for name in COMPONENTS:
            value *= components[name]
        return float(value)

    def score(
        self,
        turns_list: Sequence[Sequence[Turn]],
        labels_list: Sequence[Sequence[str] | None] | None = None,
    ) -> np.ndarray:
        comps = self.components(turns_list, labels_list)
        return np.fromiter((self.combine(c) for c in comps), dtype=np.float64, count=len(comps))
