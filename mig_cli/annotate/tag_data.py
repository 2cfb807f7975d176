"""The tagger's bundled data: the taxonomy, its cues, and tag vocabularies read from text.

Files under `data/` (package data of `mig_cli.annotate`):
- `taxonomy.tsv`: "tag<TAB>description" rows under "## domain: NAME" headers; a tag may have
  several rows (`load_taxonomy`, `load_taxonomy_domains`, `harmful_labels`);
- `cues.tsv`: "tag<TAB>kind<TAB>regex" rows and "@name<TAB>fragment" regex fragments that later
  regexes use as "{name}" (`load_cues`, giving `Cue`s);
- `tasks.tsv`: "tag<TAB>regex" task-form cues (`load_tasks`);
- `harm_words.txt`, `code_words.txt`: one regex a line, joined into one pattern
  (`load_harm_cue`, `load_code_cue`).
A malformed row raises ValueError naming the file and line. `FENCE_LANGUAGES` maps a code-fence
language ("```py") to its coding tag; `taxonomy_fingerprint` hashes the bundled files;
`read_vocab_text` parses a user's tag vocabulary (for `VocabTagger`).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from importlib import resources

_DATA_FILES = (
    "taxonomy.tsv",
    "cues.tsv",
    "tasks.tsv",
    "harm_words.txt",
    "code_words.txt",
    "math_words.txt",
    "translation_words.txt",
)
FENCE_LANGUAGES = {
    "python": "python programming",
    "py": "python programming",
    "javascript": "javascript programming",
    "js": "javascript programming",
    "typescript": "typescript programming",
    "ts": "typescript programming",
    "java": "java programming",
    "cpp": "c++ programming",
    "c++": "c++ programming",
    "c": "c programming",
    "go": "go programming",
    "golang": "go programming",
    "rust": "rust programming",
    "rs": "rust programming",
    "ruby": "ruby programming",
    "php": "php programming",
    "swift": "swift programming",
    "kotlin": "kotlin programming",
    "scala": "scala programming",
    "r": "r programming",
    "sql": "sql query",
    "bash": "shell scripting",
    "sh": "shell scripting",
    "shell": "shell scripting",
    "html": "html markup",
    "css": "css styling",
    "csharp": "c# programming",
    "cs": "c# programming",
    "haskell": "haskell programming",
    "lua": "lua programming",
}

_DATA = "data"
_DOMAIN_PREFIX = "## domain:"


@dataclass(frozen=True)
class Cue:
    """A surface pattern for `tag`.

    `kind` is "framing" (always active; sets the record's domain), "always" (always active),
    "form" (always active, and the tag is given by its cues only, never by similarity),
    "judge" (as "form", for a task that judges a given text: the text then gets no harm tag),
    "gate" (the tag is only kept when the pattern matches) or "context" (active only when one
    of the text's best tags, the cue's own aside, lies in `domains`).
    """

    tag: str
    kind: str
    domains: frozenset[str]
    pattern: re.Pattern[str]


def _read_bundled(name: str) -> str:
    return resources.files("mig_cli.annotate").joinpath(_DATA, name).read_text(encoding="utf-8")


def _taxonomy_rows() -> list[tuple[str, str, str]]:
    rows: list[tuple[str, str, str]] = []
    domain = "general"
    for n, raw in enumerate(_read_bundled("taxonomy.tsv").splitlines(), 1):
        line = raw.strip()
        if line.lower().startswith(_DOMAIN_PREFIX):
            domain = line[len(_DOMAIN_PREFIX) :].strip()
            continue
        if not line or line.startswith("#"):
            continue
        tag, sep, desc = raw.partition("\t")
        if not sep or not tag.strip():
            raise ValueError(f"taxonomy.tsv:{n}: expected 'tag<TAB>description'")
        rows.append((tag.strip(), desc.strip(), domain))
    return rows


def load_taxonomy() -> tuple[list[str], list[str]]:
    """The bundled taxonomy as (tags, match texts "tag: description"), one entry per row.

    A tag can appear on several rows (several descriptions of one intent).
    """
    rows = _taxonomy_rows()
    return [t for t, _, _ in rows], [f"{t}: {d}" if d else t for t, d, _ in rows]


def load_taxonomy_domains() -> dict[str, str]:
    """Domain (coarse tag) of every tag of the bundled taxonomy."""
    return {t: d for t, _, d in _taxonomy_rows()}


def load_tasks() -> list[tuple[str, re.Pattern[str]]]:
    """The bundled task cues (`data/tasks.tsv`): (tag, pattern), in file order."""
    out = []
    for n, raw in enumerate(_read_bundled("tasks.tsv").splitlines(), 1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        tag, sep, regex = raw.partition("\t")
        if not sep:
            raise ValueError(f"tasks.tsv:{n}: expected 'tag<TAB>regex'")
        out.append((tag.strip(), re.compile(regex.strip(), re.IGNORECASE | re.MULTILINE)))
    return out


def _bundled_regex(name: str) -> re.Pattern[str]:
    lines = [
        line.strip()
        for line in _read_bundled(name).splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    return re.compile("|".join(f"(?:{x})" for x in lines), re.IGNORECASE)


def load_harm_cue() -> re.Pattern[str]:
    """Words that make a request about harm (`data/harm_words.txt`); a harm tag needs one."""
    return _bundled_regex("harm_words.txt")


def load_code_cue() -> re.Pattern[str]:
    """Words and syntax that show a request is about code (`data/code_words.txt`)."""
    return _bundled_regex("code_words.txt")


def load_math_cue() -> re.Pattern[str]:
    """Numbers, maths terms and notation that show a request is about maths
    (`data/math_words.txt`); a `mathematics` tag needs one."""
    return _bundled_regex("math_words.txt")


def load_translation_cue() -> re.Pattern[str]:
    """Words that make a request about translation (`data/translation_words.txt`); a
    translation tag needs one."""
    return _bundled_regex("translation_words.txt")


def load_cues() -> list[Cue]:
    """The bundled cues (`data/cues.tsv`; its header explains the format)."""
    fragments: dict[str, str] = {}
    cues = []
    for n, raw in enumerate(_read_bundled("cues.tsv").splitlines(), 1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        parts = [p.strip() for p in raw.split("\t")]
        if raw.startswith("@") and len(parts) == 2:
            fragments[parts[0][1:]] = parts[1]
            continue
        if len(parts) != 3:
            raise ValueError(f"cues.tsv:{n}: expected 'tag<TAB>kind<TAB>regex'")
        tag, kind, regex = parts
        for name, fragment in fragments.items():
            regex = regex.replace("{" + name + "}", fragment)
        if kind in ("*", "+", "gate", "needs", "form", "judge"):
            name = {"*": "framing", "+": "always"}.get(kind, kind)
            cue = Cue(tag, name, frozenset(), re.compile(regex, re.IGNORECASE))
        else:
            domains = frozenset(d.strip() for d in kind.split(","))
            cue = Cue(tag, "context", domains, re.compile(regex, re.IGNORECASE))
        cues.append(cue)
    return cues


def harmful_labels() -> frozenset[str]:
    """Labels marking a request as harmful: the taxonomy's `safety` domain and its tags."""
    return frozenset(t for t, d in load_taxonomy_domains().items() if d == "safety") | {"safety"}


def taxonomy_fingerprint() -> str:
    """A short hash of the bundled taxonomy and cues, to record with tagged output."""
    digest = hashlib.sha1()
    for name in _DATA_FILES:
        digest.update(_read_bundled(name).encode("utf-8"))
    return digest.hexdigest()[:12]


def read_vocab_text(text: str) -> list[str]:
    """Parse a tag vocabulary: a JSON list of strings, or one tag per line.

    In the line form blank lines and lines starting with '#' are ignored and surrounding
    whitespace is stripped. Repeats are kept in first-seen order only once. Raises ValueError
    when the text holds no tag or is a JSON value other than a list of strings.
    """
    stripped = text.strip()
    if stripped.startswith(("[", "{", '"')):
        try:
            value = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise ValueError(f"vocabulary looks like JSON but does not parse: {exc}") from exc
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError("a JSON vocabulary must be a list of strings")
        tags = [v.strip() for v in value if v.strip()]
    else:
        tags = [
            line.strip()
            for line in text.splitlines()
            if line.strip() and not line.strip().startswith("#")
        ]
    if not tags:
        raise ValueError("the vocabulary holds no tag (one per line, or a JSON list of strings)")
    return list(dict.fromkeys(tags))
