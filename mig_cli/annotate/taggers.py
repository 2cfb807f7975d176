"""The offline default tagger: the bundled taxonomy, its cues and precision rules.

(`VocabTagger`, its base, matches any tag list: `vocab_tagger`.) `TaxonomyTagger` is the offline
default: no network and no user vocabulary. It matches against
the bundled taxonomy `data/taxonomy.tsv`: ~610 intent-like tags in the spirit of InsTag ("sql
query", "arithmetic word problem", "character role play", "web search", "email drafting",
"doxxing", ...) in 17 domains (coding, mathematics, reasoning, writing, language, knowledge,
role play, tool use, advice, opinion, safety, conversation, business, data processing,
education, entertainment, planning), each row embedded as "tag: description" (a tag may have
several rows). For one text it:

1. scores every tag by cosine similarity (best over the tag's rows);
2. applies the cues of `data/cues.tsv`, regexes for what a sentence embedding blurs:
   - framing cues ("Imagine you are...", "Roleplay as...", "Write an email...", a tool list)
     keep their tag and decide the domain;
   - always-on cues ("steal", "blackmail", "kidnap", "without getting caught") keep their
     safety tag whatever the topic;
   - gates: tags named after common words (python, java, swift, go, rust...) are only kept
     when the language is named next to a programming word ("Python script", "in C++"), so
     "Taylor Swift" or "a python snake" get no coding tag;
   - context cues ("$" or "%" in a maths problem, "SQL" in a coding request) fire only when
     one of the text's best tags lies in the cue's domains;
   a fired cue adds `cue_bonus` to its tag's score and its tag is always kept
   (`use_cues=False` turns all of this off: embedding similarity alone);
3. keeps up to `top_k` tags (ranked with the bonus) scoring at least `min_similarity` and
   within `margin` of the best similarity before any bonus, then any fired cue tags; when no
   tag clears the floor and no cue fired, the best tag is kept all the same (MIG gives
   unlabelled records no gain), but beside a fired cue such a guess is only noise;
4. puts a domain first (`domain_tag=True`): the framing cue's, else the domain with the
   highest summed score over the kept tags. It is a coarse label shared by many records;
5. given the record's turns (`tag_batch(texts, turns=...)`, as `mig tag` does), adds up to
   three maths tags found in the answer of a maths request (a solution names its methods) and
   the conversation's shape (`shape_tags`: multi-turn, answer from or summary of a passage,
   short or long-form answer, list, Markdown, LaTeX).

Precision rules (`_precise`): a harm tag needs a harm word (`data/harm_words.txt`), a coding tag
needs code or a code word (`data/code_words.txt`), a maths tag needs a number, a maths term or
notation (`data/math_words.txt`: "What is a Dyson Sphere?" is not `solid geometry`), a
translation tag needs a translation word (`data/translation_words.txt`), whatever the embedding
says. The labels of a translation
request ("translation", "translation to english", "english to french translation", "code
translation") are never matched by similarity: `translation_tags` gives them by rule, with the
direction the wording shows, and makes the request's domain that of its label.

Examples with the bundled model: "Imagine you are a medieval knight. Describe your daily
training." -> ["role play", "medieval history", "character role play", "workout plan"];
"Create a Python script to rename all files in a folder." -> ["coding", "python programming",
"file operation"]; a GSM8K question -> ["mathematics", "arithmetic word problem", ...].

Limits: tags are only as good as the embedding model (the default all-MiniLM-L6-v2 is
English-only, reads at most 256 word pieces and ranks by topic more than by task, which the
cues only partly correct); cues are English; a text far from every tag still gets its nearest,
possibly loose, tag; the taxonomy is fixed (use `VocabTagger` with your own list for another
one). The first call embeds the ~630 taxonomy rows (about 10 s on 2 CPU cores). Measured
quality and speed: benchmarks/TAGGING.md. The bundled files are read by `tag_data`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from ..records.chat import Turn
from ..records.chat_text import turn_pairs
from .crosslingual import BRIDGED, ENCODER_NAME, CrosslingualTopics, pick_topics
from .judged_text import asked_part
from .quality import approx_tokens
from .shape_tags import VERSION as SHAPE_TAGS_VERSION
from .shape_tags import instruction_of, shape_tags, with_prose_passage
from .tag_data import (
    FENCE_LANGUAGES,
    load_code_cue,
    load_cues,
    load_harm_cue,
    load_math_cue,
    load_tasks,
    load_taxonomy,
    load_taxonomy_domains,
    load_translation_cue,
    taxonomy_fingerprint,
)
from .translation_tags import RULE_LABELS, translation_labels
from .vocab_tagger import Embed, VocabTagger, ranked
from .writing_systems import is_unreadable, script_language

_FENCE = re.compile(r"```[ \t]*([A-Za-z+#]+)")
_FENCE_ANY = re.compile(r"```|^(    |\t)\S", re.MULTILINE)
CUE_CHARS = 2000  # cues read the start of a text (the model itself reads ~1,000 characters)
ANSWER_SUBJECTS = 3  # maths tags a maths request may gain from its answer
ANSWER_MIN_TOKENS = 20  # a shorter answer ("4") names no method
NOT_SUBJECTS = frozenset({"latex math notation"})  # how it is written (a shape label), not a method
# recorded with tagged output (with the data files' hash): bump when a rule written in code
# here or in `translation_tags` changes, so that older tagged pools and checkpoints are redone
RULES_VERSION = 4


def _first_answer(turns: Sequence[Turn] | None) -> str:
    pairs = turn_pairs(turns) if turns else []
    return pairs[0][1] if pairs else ""


class TaxonomyTagger(VocabTagger):
    """The offline default tagger over the bundled taxonomy (see the module docstring)."""

    name = "taxonomy"
    reads_turns = True  # `TextTagAnnotator` passes each record's turns to `tag_batch`

    def __init__(
        self,
        embed: Embed,
        *,
        top_k: int = 3,
        min_similarity: float = 0.25,
        margin: float = 0.1,
        secondary_gap: float = 0.05,
        cue_bonus: float = 0.15,
        domain_tag: bool = True,
        use_cues: bool = True,
        tag_embed: Embed | None = None,
        crosslingual: Embed | None = None,
        reads_every_script: bool = False,
    ) -> None:
        tags, texts = load_taxonomy()
        super().__init__(
            embed, tags, texts, top_k=top_k, min_similarity=min_similarity, tag_embed=tag_embed
        )
        self.margin = float(margin)
        self.secondary_gap = float(secondary_gap)
        self.cue_bonus = float(cue_bonus)
        self.domain_tag = bool(domain_tag)
        domains = load_taxonomy_domains()
        self.domain_of = [domains[t] for t in self.tags]
        index = {t: i for i, t in enumerate(self.tags)}
        # code-fence language -> tag index, built once (not per text)
        self._fence_tags = {k: index[t] for k, t in FENCE_LANGUAGES.items() if t in index}
        cues = [(index[c.tag], c) for c in load_cues() if c.tag in index] if use_cues else []
        # (tag, pattern, fires): a gate fires its tag, a "needs" cue only allows it
        self._gates = [
            (j, c.pattern, c.kind == "gate") for j, c in cues if c.kind in ("gate", "needs")
        ]
        self._framing = [(j, c.pattern) for j, c in cues if c.kind == "framing"]
        self._always = [(j, c.pattern) for j, c in cues if c.kind in ("always", "form", "judge")]
        # tasks that judge a given text; "classification" (a task cue) judges items too
        self._judge = {j for j, c in cues if c.kind == "judge"}
        self._judge |= {index[t] for t in ("classification",) if t in index and use_cues}
        self._judging = [c.pattern for j, c in cues if c.kind == "judge"]
        self._context = [(j, c) for j, c in cues if c.kind == "context"]
        self.use_cues = bool(use_cues)
        self._tasks = [(index[t], p) for t, p in load_tasks() if t in index] if use_cues else []
        self._judging += [p for j, p in self._tasks if j in self._judge]
        self._harm_cue = load_harm_cue()
        self._harm = np.array([d == "safety" for d in self.domain_of])
        self._coding = np.array([d == "coding" for d in self.domain_of])
        self._math_mask = np.array([d == "mathematics" for d in self.domain_of])
        by_cue = {j for j, c in cues if c.kind in ("form", "judge")}
        self._cue_only = np.array(
            [d == "tasks" or j in by_cue for j, d in enumerate(self.domain_of)]
        )
        self._code_cue = load_code_cue()
        self._math_cue = load_math_cue()
        self._translation_cue = load_translation_cue()
        self.unreadable = 0  # texts seen so far that the model cannot read (see tag_batch)
        self.bridged = 0  # of those, texts that got topic tags through `crosslingual`
        self.seen = 0  # non-blank texts tagged by this tagger (the base of the two counts above)
        self._translation = np.array(["translation" in t for t in self.tags])
        # translation labels come from `translation_tags` only, never from similarity
        self._by_rule = np.array([self.use_cues and t in RULE_LABELS for t in self.tags])
        self._index = index
        self._maths = {t for t, d in domains.items() if d == "mathematics"}
        self.reads_every_script = bool(reads_every_script)
        self._bridge = None
        if crosslingual is not None:
            self._bridge = CrosslingualTopics(crosslingual, self._texts, self._group_starts)

    @property
    def bridging(self) -> bool:
        """Whether text in a foreign script gets topic tags through the multilingual encoder."""
        return self._bridge is not None

    @staticmethod
    def output_settings(bridging: bool) -> dict:
        """What shapes the tags beyond the options, recorded with tagged output so that a resume
        or a kept annotated pool made otherwise is redone: the bundled data's hash, the versions
        of the rules written in code (tagging, shape), and the multilingual encoder when one is
        used (`bridging`)."""
        out: dict = {
            "taxonomy": taxonomy_fingerprint(),
            "rules": RULES_VERSION,
            "shape_tags": SHAPE_TAGS_VERSION,
        }
        if bridging:
            out["crosslingual"] = ENCODER_NAME
        return out

    def tag_batch(
        self, texts: Sequence[str], turns: Sequence[Sequence[Turn] | None] | None = None
    ) -> list[list[str]]:
        """Tags for each text, best first; a blank text gets [].

        A text mostly in a script the model cannot read (`writing_systems.is_unreadable`;
        unless `reads_every_script`, for a multilingual `--model`) is not embedded with it: it
        gets its language ("written in japanese"), its task tags, a code language from its
        fences, and, with `crosslingual` and a script in `crosslingual.BRIDGED`, up to two
        topic tags matched through the multilingual encoder (`crosslingual.pick_topics`, with
        the same harm and code gates as other text). Counted in `self.unreadable` (and
        `self.bridged` when topic tags were found).

        With `turns` (one conversation per text, or None), two more sources are read: the
        first answer of a maths request is tagged too and up to `ANSWER_SUBJECTS` maths tags
        found in it are added (a solution names its methods: "\\binom", "modulo", "the
        quadratic formula"), and `shape_tags.shape_tags` adds the conversation's shape.
        """
        out = self._tag(texts, count=True)
        if turns is None:
            return out
        if len(turns) != len(texts):
            raise ValueError(f"{len(texts)} texts but {len(turns)} conversations")
        self._add_answer_subjects(out, turns)
        for i, conv in enumerate(turns):
            if out[i] and conv:
                shape = shape_tags(conv, asks_summary="summarization" in out[i])
                out[i] = list(dict.fromkeys(out[i] + shape))
        return out

    def _add_answer_subjects(
        self, out: list[list[str]], turns: Sequence[Sequence[Turn] | None]
    ) -> None:
        """Up to `ANSWER_SUBJECTS` maths tags from the first answer of each maths request."""
        answers = {
            i: _first_answer(turns[i]) for i, tags in enumerate(out) if self._maths & set(tags)
        }
        rows = [i for i, answer in answers.items() if approx_tokens(answer) >= ANSWER_MIN_TOKENS]
        if not rows:
            return
        found = self._tag([answers[i][:CUE_CHARS] for i in rows], count=False)
        for i, tags in zip(rows, found, strict=True):
            extra = [
                t for t in tags if t in self._maths and t not in out[i] and t not in NOT_SUBJECTS
            ]
            out[i] = out[i] + extra[:ANSWER_SUBJECTS]

    def _tag(self, texts: Sequence[str], *, count: bool) -> list[list[str]]:
        out: list[list[str]] = [[] for _ in texts]
        keep, foreign = [], []
        screen = self.use_cues and not self.reads_every_script
        for i, t in enumerate(texts):
            if isinstance(t, str) and t.strip():
                (foreign if screen and is_unreadable(t[:CUE_CHARS]) else keep).append(i)
        if count:
            self.unreadable += len(foreign)
            self.seen += len(foreign) + len(keep)
        bridged = [i for i in foreign if script_language(texts[i][:CUE_CHARS]) in BRIDGED]
        topics = {}
        if self._bridge is not None and bridged:
            scores = self._bridge.scores([texts[i][:CUE_CHARS] for i in bridged])
            topics = dict(zip(bridged, scores, strict=True))
        for i in foreign:
            out[i] = self._unreadable_tags(texts[i], topics.get(i), count=count)
        if keep:
            kept = [texts[i] for i in keep]
            for i, tags in zip(keep, self.select(self.similarities(kept), kept), strict=True):
                out[i] = tags
        return out

    def _task_tags(self, text: str) -> list[int]:
        """Indices of the first two task tags whose cue matches (`data/tasks.tsv`).

        The cues read the instruction, not a passage it comes with (`shape_tags.instruction_of`:
        a "translated" or "summary" inside a quoted article is not the task); only `reading
        comprehension`, whose cue is the passage itself, reads the whole text, and only when
        that passage is prose (`shape_tags.with_prose_passage`): test cases or code after a
        blank line are not a passage to read, so without one it reads the first paragraph."""
        instruction = instruction_of(text)
        found: list[int] = []
        for j, pattern in self._tasks:
            if self.tags[j] == "reading comprehension":
                target = with_prose_passage(text)  # only when this cue is reached
            else:
                target = instruction
            if j not in found and pattern.search(target):
                found.append(j)
                if len(found) == 2:
                    break
        return found

    def _translation_tags(self, text: str) -> list[int]:
        """Indices of the translation labels `translation_tags.translation_labels` gives the
        instruction (no passage it comes with); [] without cues."""
        if not self.use_cues:
            return []
        found = translation_labels(instruction_of(text))
        return [self._index[t] for t in found if t in self._index]

    def _fence_languages(self, text: str) -> list[int]:
        found = []
        for lang in _FENCE.findall(text):
            j = self._fence_tags.get(lang.lower())
            if j is not None and j not in found:
                found.append(j)
        return found

    def _unreadable_tags(
        self, text: str, topic_scores: np.ndarray | None = None, *, count: bool = True
    ) -> list[str]:
        text = text[:CUE_CHARS]
        chosen = self._translation_tags(text) + self._task_tags(text) + self._fence_languages(text)
        topics: list[int] = []
        if topic_scores is not None:
            allowed = self._allowed(text) & ~self._translation
            picked = pick_topics(topic_scores, allowed, self.top_k)
            topics = [j for j in picked if j not in chosen]
            self.bridged += bool(topics) and count
        chosen = topics + chosen
        if any(
            self.tags[j] == "math problem solving" or self.domain_of[j] == "mathematics"
            for j in chosen
        ):  # notation reads the same in every language
            chosen += [
                j
                for j, cue in self._context
                if "mathematics" in cue.domains and j not in chosen and cue.pattern.search(text)
            ]
        tags = [self.tags[j] for j in chosen]
        language = script_language(text)
        if language:
            tags.insert(0, f"written in {language}")
        domains = [self.domain_of[j] for j in chosen if self.domain_of[j] != "tasks"]
        if self.domain_tag and domains:
            # no topic found: no domain either ("language" would join these records to real
            # language tasks); the language tag comes first and names the record's kind
            tags.insert(0, domains[0])
        return list(dict.fromkeys(tags))

    def _open(self, text: str) -> tuple[np.ndarray, list[int]]:
        """Tags a text may get at all (no task-form tag: those come from cues only; no gated
        tag without its gate), and the gates that fired."""
        mask = ~self._cue_only
        fired: list[int] = []
        for j, pattern, fires in self._gates:
            if not pattern.search(text):
                mask[j] = False
            elif fires:
                fired.append(j)
        return mask, fired

    def _precise(self, text: str) -> np.ndarray:
        """The precision rules: no harm tag without a harm word, no coding tag without code,
        no maths tag without a number or maths term, no translation tag without a
        translation word."""
        mask = ~self._by_rule
        if not self._harm_cue.search(text):
            mask &= ~self._harm  # a harm tag needs a harm word AND the embedding
        if not (self._code_cue.search(text) or _FENCE_ANY.search(text)):
            mask &= ~self._coding  # no coding tag for a text with no code in it
        if not self._math_cue.search(text):
            mask &= ~self._math_mask  # no maths tag without a number, a maths term or notation
        if not self._translation_cue.search(text):
            mask &= ~self._translation
        return mask

    def _allowed(self, text: str) -> np.ndarray:
        """Tags a text may get by similarity alone: `_open` and `_precise`."""
        return self._open(text)[0] & self._precise(text)

    def _select(self, sims: np.ndarray, text: str) -> list[str]:
        text = text[:CUE_CHARS]
        open_, fired = self._open(text)
        base = np.where(open_, sims, -np.inf)
        # the best match before the precision masks: when it is a harm or coding tag the text
        # may not have, looser tags far below it are not what the text is about either
        raw_best = float(base.max())
        if self.use_cues:
            base = np.where(self._precise(text), base, -np.inf)
            fired += [j for j in self._fence_languages(text) if j not in fired]
        framing = self._translation_tags(text)  # a translation request is about language (or code)
        framing += [j for j, pattern in self._framing if j not in fired and pattern.search(text)]
        fired += [j for j in framing if j not in fired]
        fired += [j for j, pattern in self._always if j not in fired and pattern.search(text)]
        tasks = self._task_tags(text)
        if self._judge.intersection(fired + tasks) and not self._harm_cue.search(
            asked_part(text, self._judging)
        ):
            # "is this comment toxic?", "classify these as weapons or tools": the harm words
            # are what is judged, not what is asked for (`judged_text`)
            base = np.where(self._harm, -np.inf, base)
            fired = [j for j in fired if not self._harm[j]]
            framing = [j for j in framing if not self._harm[j]]
        if self._context:
            top = ranked(base, 4)
            for j, cue in self._context:
                if j in fired:
                    continue
                near = {self.domain_of[i] for i in top if i != j and base[i] >= self.min_similarity}
                if cue.domains & near and cue.pattern.search(text):
                    fired.append(j)
        scores = base
        if fired:
            scores = base.copy()
            scores[fired] += self.cue_bonus
        order = ranked(scores, self.top_k)
        best = float(base.max())
        top = max(best, raw_best) if np.isfinite(raw_best) else best
        floor = max(self.min_similarity, top - self.margin) if np.isfinite(top) else np.inf
        chosen = [j for j in order if scores[j] >= floor]
        # a second or third tag must also clear `min_similarity + secondary_gap`: weak extra
        # tags on a vague request are the rare, wrong labels MIG would reward most
        chosen = chosen[:1] + [
            j for j in chosen[1:] if scores[j] >= self.min_similarity + self.secondary_gap
        ]
        if (
            not (chosen or fired)
            and np.isfinite(scores[order[0]])
            and best >= top - 2 * self.margin
        ):
            chosen = [int(order[0])]
        chosen += [j for j in sorted(fired, key=lambda j: -scores[j]) if j not in chosen]
        tags = [self.tags[j] for j in chosen]
        if self.domain_tag:
            domain = self._domain(chosen, scores, framing)
            tags = [domain, *(t for t in tags if t != domain)]
        return list(dict.fromkeys(tags + [self.tags[j] for j in tasks]))

    def _domain(self, chosen: list[int], scores: np.ndarray, framing: list[int]) -> str:
        """The first framing cue's domain, else the domain with the highest summed score. A tag
        given by its cue alone (a task form: no similarity score) votes with `cue_bonus`."""
        if framing:
            return self.domain_of[framing[0]]
        if not chosen:
            return "conversation"
        totals: dict[str, float] = {}
        for j in chosen:
            score = float(scores[j])
            vote = score if np.isfinite(score) else self.cue_bonus
            totals[self.domain_of[j]] = totals.get(self.domain_of[j], 0.0) + vote
        return max(totals, key=lambda d: totals[d])


TAGGERS: dict[str, type[VocabTagger]] = {"taxonomy": TaxonomyTagger, "vocab": VocabTagger}
