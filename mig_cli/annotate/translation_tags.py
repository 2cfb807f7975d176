"""Translation labels read from the request's wording, with their direction.

A sentence embedding places "Translate into French", "Reply to me in French" and "Write a
haiku in Japanese" side by side, and it cannot tell which language a text is translated from:
"Traduis en anglais : Bonjour" (French to English) scored highest on "english to french
translation". These labels are therefore given by rule, never by similarity:

- `translation_request(text)` says whether the request asks for a translation, and names its
  target and source languages where the wording shows them. A request is one when it has a
  translation verb in one of nine languages ("translate", "traduis", "traduce", "traduza",
  "übersetze", "переведи", "翻译", "翻訳", "번역"), a target phrase with a rewrite verb
  ("英語に直して", "render this in Spanish"), or a set phrase ("how do you say", "what's the
  French word for", "English to French:", "英译中"). Quoted text and translation tools ("Google
  Translate") are not read as the request's words. A verb used figuratively ("translate my
  ideas into action": its object goes into something that is not a language, and no language
  is named) or in another sense (geometry, mRNA) is not one.
- the target is the language named after "into/to/in", "en", "al", "ins", "на", "成",
  "に", "로"; the source is a language named after "from" (or before "to" in "English to
  French"), else the language the request is written in.
- `code_port(text)`: a request to move code from one programming language to another (a
  porting verb followed by "to/into/in" a language, with a second language named or code
  given; a porting verb, two languages and code anywhere; or "the Rust equivalent of this
  Python function").

`translation_labels(text)` maps the result onto the bundled taxonomy: "translation" always,
"translation to english" when the target is English, "english to X translation" (X Spanish,
French, German, Chinese or Japanese) when English is the source, "code translation" for code.
Pure: a string in, labels out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .judged_text import QUOTED

# language key -> how it is named after a target preposition, per request language
_NAMES: dict[str, dict[str, str]] = {
    "english": {
        "en": "english",
        "fr": "anglais",
        "es": "ingl[éeê]s",
        "de": "englische?n?|englisch",
        "ru": "английск\\w*",
        "zh": "英文|英语|英語",
        "ja": "英語|英文",
        "ko": "영어",
    },
    "french": {
        "en": "french",
        "fr": "fran[çc]ais",
        "es": "franc[ée]s",
        "de": "franz[öo]sische?n?|franz[öo]sisch",
        "ru": "французск\\w*",
        "zh": "法文|法语|法語",
        "ja": "フランス語",
        "ko": "프랑스어",
    },
    "spanish": {
        "en": "spanish",
        "fr": "espagnol",
        "es": "espa[ñn]ol|castellano",
        "de": "spanische?n?|spanisch",
        "ru": "испанск\\w*",
        "zh": "西班牙文|西班牙语|西班牙語",
        "ja": "スペイン語",
        "ko": "스페인어",
    },
    "german": {
        "en": "german",
        "fr": "allemand",
        "es": "alem[áa]n",
        "de": "deutsche?n?|deutsch",
        "ru": "немецк\\w*",
        "zh": "德文|德语|德語",
        "ja": "ドイツ語",
        "ko": "독일어",
    },
    "chinese": {
        "en": "chinese|mandarin|cantonese",
        "fr": "chinois",
        "es": "chino|mandar[íi]n",
        "de": "chinesische?n?|chinesisch",
        "ru": "китайск\\w*",
        "zh": "中文|汉语|漢語|华语|普通话",
        "ja": "中国語",
        "ko": "중국어",
    },
    "japanese": {
        "en": "japanese",
        "fr": "japonais",
        "es": "japon[ée]s",
        "de": "japanische?n?|japanisch",
        "ru": "японск\\w*",
        "zh": "日文|日语|日語",
        "ja": "日本語",
        "ko": "일본어",
    },
    "korean": {
        "en": "korean",
        "fr": "cor[ée]en",
        "es": "coreano",
        "de": "koreanische?n?|koreanisch",
        "ru": "корейск\\w*",
        "zh": "韩文|韩语|韓語|韩国语",
        "ja": "韓国語",
        "ko": "한국어",
    },
    "russian": {
        "en": "russian",
        "fr": "russe",
        "es": "ruso",
        "de": "russische?n?|russisch",
        "ru": "русск\\w*",
        "zh": "俄文|俄语|俄語",
        "ja": "ロシア語",
        "ko": "러시아어",
    },
    "italian": {
        "en": "italian",
        "fr": "italien",
        "es": "italiano",
        "de": "italienische?n?|italienisch",
        "ru": "итальянск\\w*",
        "zh": "意大利文|意大利语",
        "ja": "イタリア語",
        "ko": "이탈리아어",
    },
    "portuguese": {
        "en": "portuguese",
        "fr": "portugais",
        "es": "portugu[ée]s",
        "de": "portugiesische?n?|portugiesisch",
        "ru": "португальск\\w*",
        "zh": "葡萄牙文|葡萄牙语",
        "ja": "ポルトガル語",
        "ko": "포르투갈어",
    },
}
# where a target language is named, per request language ({} is the language's names)
_TARGET_FRAMES = {
    "en": r"\b(?:into|to|in)\s+(?:the\s+)?(?:plain\s+|simple\s+|modern\s+|formal\s+|informal\s+"
    r"|british\s+|american\s+|simplified\s+|traditional\s+)?(?:{})\b"
    r"|\bthe\s+(?:{})\s+(?:word|term|phrase|expression)\s+for\b"
    r"|\b(?:the|an?)\s+(?:{})\s+(?:translation|version|equivalent)\s+of\b",
    "fr": r"\b(?:en|vers\s+l')\s*(?:{})\b",
    "es": r"\b(?:al|en|a|para(?:\s+o)?)\s+(?:{})\b",
    "de": r"\b(?:ins|auf|in\s+(?:das|die)?)\s*(?:{})\b",
    "ru": r"на\s+(?:{})|по-\s*(?:{})",
    "zh": r"(?:成|为|為|到)\s*(?:{})",
    "ja": r"(?:{})(?:に|へ|で(?:何|なん))",
    "ko": r"(?:{})로",
}
_SOURCE_FRAMES = {
    "en": r"\bfrom\s+(?:{})\b|\b(?:{})\s+(?:to|into|->)\s+\w+|\b(?:{})\s+(?:text|sentences?|"
    r"paragraphs?|passage|poem|song|lyrics|letter|e-?mail|document|article|original|version)\b",
    "fr": r"\b(?:de\s+l'|du\s+|de\s+)(?:{})\b",
    "es": r"\b(?:del|de)\s+(?:{})\b",
    "de": r"\baus\s+dem\s+(?:{})\b",
    "ru": r"\bс\s+(?:{})",
    "zh": r"(?:把|将|從|从)?(?:这段|這段|这句|這句|以下|下面)?(?:{})(?:翻译|翻譯|翻成|译成)",
    "ja": r"(?:{})(?:の文|を|から)",
    "ko": r"(?:{})(?:를|을|에서)",
}
# the translation verbs and set phrases, by the language they are written in
_VERBS = {
    "en": r"\btranslate\b|\btranslation of\b|\btranslating (?:this|the|it|these|my)\b"
    r"|\b(?:give|provide|need|want|write)\b[^.?!\n]{0,30}\btranslation\b"
    r"|\bhow (?:do|would|can|should) (?:you|i|we|one) say\b"
    r"|\bwhat(?:'s| is) the \w+ (?:word|term|phrase|expression) for\b"
    r"|\b(?:render|put|say|write|rewrite) (?:this|that|it|the following|Q)(?: \w+)? (?:in|into) \w+"
    r"|\bwhat(?:'s| is) Q in \w+|\bmeans? in \w+",
    "fr": r"\btradu(?:is|isez|ire|isons|ction)\b|\bcomment (?:dit-on|dire)\b",
    "es": r"\btradu(?:ce|zca|cir|ci[óo]n|ceme|za|zir)\w*|\bc[óo]mo se dice\b",
    "de": r"[üu]bersetz\w*|\bwie sagt man\b|\bwas hei(?:ß|ss)t\b",
    "ru": r"перев(?:ед|од|ест)\w*|\bкак (?:сказать|будет)\b",
    "zh": r"翻译|翻譯|翻成|译成|譯成|[英中日法德韩俄西]译[英中日法德韩俄西]",
    "ja": r"翻訳|訳して|訳す|訳し|直して|直す|英訳|和訳|(?:何|なん)(?:と|て)言",
    "ko": r"번역",
}
# verbs that name a translation outright (not set phrases such as "the English word for")
_EXPLICIT = re.compile(r"translat|tradu|[üu]bersetz|перев|翻|译|譯|訳|번역", re.IGNORECASE)
# 英译中, 中译英: the Chinese set phrase names source and target
_ZH_PAIR = re.compile(r"([英中日法德韩俄西])译([英中日法德韩俄西])")
_ZH_LANG = {"英": "english", "中": "chinese", "日": "japanese", "法": "french", "德": "german"}
_ZH_LANG.update({"韩": "korean", "俄": "russian", "西": "spanish"})
# tools named after translation are not a request to translate
_TOOL = re.compile(
    r"\bgoogle translate\b|\bdeepl\b|\btranslat(?:or|ion) (?:app|tool|api|service|software"
    r"|engine|model)s?\b|\btranslators?\b",
    re.IGNORECASE,
)
# request forms of the CJK verbs, needed when no target language is named
_ASKED = {
    "zh": re.compile(
        r"(?:请|請|帮我|幫我|把.{0,40}?)翻[译譯]|翻[译譯](?:一下|成|为|為|这|這|以下|下面|下列|[:：])"
    ),
    "ja": re.compile(
        r"(?:翻訳|訳)(?:して|しなさい|せよ|してください|をお願い|お願い)|訳せ|[英和]訳"
    ),
    "ko": re.compile(r"번역(?:해|하여|하세요|해주세요|해 주세요|을 부탁|부탁)"),
}
_ORDER = ("en", "fr", "es", "de", "ru", "zh", "ja", "ko")
_FIGURATIVE = re.compile(
    r"\btranslat\w*\b[^.?!:\n]{0,40}?\b(?:into|to)\s+(?:the\s+|an?\s+)?\w", re.IGNORECASE
)
DIRECTED = ("spanish", "french", "german", "chinese", "japanese")
RULE_LABELS = frozenset(
    {"translation", "code translation", "translation to english"}
    | {f"english to {lang} translation" for lang in DIRECTED}
)  # the labels only `translation_labels` gives
# a translation in the geometric sense: a shape moved by units or a vector
_GEOMETRIC = re.compile(
    r"\btranslat\w*\b[^.?!\n]{0,60}?\b(?:units?|to the (?:left|right)|upward|downward|vector"
    r"|axis|axes|coordinates|origin)\b"
    r"|\b(?:graph|point|segment|figure|shape|triangle|parabola|circle|line|plane|polygon|square"
    r"|quadrilateral|curve)s?\b[^.?!\n]{0,40}?\btranslat|\b(?:rotation|reflection)s? (?:and|or) "
    r"(?:a )?translation",
    re.IGNORECASE,
)
# without a named language an English request uses the verb itself: "translate this"
_BASE_VERB = re.compile(r"\btranslate\b", re.IGNORECASE)
ASK_SPAN = 120  # characters: without a target language, the verb must lie this near an end
_LATIN_LANGS = frozenset({"en", "fr", "es", "de"})
# more target languages after an English one: ", French", ", and German", " and German"
_LIST_MORE = re.compile(r"\s*(?:,\s*(?:and\s+|or\s+)?|\s+and\s+|\s+or\s+)([A-Za-z]+)\b")


def _compile(frames: dict[str, str]) -> dict[str, list[tuple[str, re.Pattern[str]]]]:
    out: dict[str, list[tuple[str, re.Pattern[str]]]] = {}
    for lang, frame in frames.items():
        out[lang] = [
            (key, re.compile(frame.replace("{}", names[lang]), re.IGNORECASE))
            for key, names in _NAMES.items()
        ]
    return out


_TARGETS = _compile(_TARGET_FRAMES)
_SOURCES = _compile(_SOURCE_FRAMES)
_VERB_RE = {lang: re.compile(p, re.IGNORECASE) for lang, p in _VERBS.items()}
_EN_NAMES = "|".join(n["en"] for n in _NAMES.values())
_ANY_LANGUAGE_EN = re.compile(r"\b(?:" + _EN_NAMES + r")\b", re.I)
_EN_NAME = re.compile("|".join(f"(?P<{k}>{n['en']})" for k, n in _NAMES.items()), re.I)
_SET_PHRASE = re.compile(
    r"\s*(?:" + _EN_NAMES + r")\s+(?:to|->)\s+\w+\s*:", re.I
)  # "English to French:"
_MEANS_IN = re.compile(r"\bmeans? in\b", re.I)
_SCRIPT_OF = (
    ("japanese", re.compile(r"[\u3040-\u30ff]")),
    ("korean", re.compile(r"[\uac00-\ud7af]")),
    ("chinese", re.compile(r"[\u4e00-\u9fff]")),
    ("russian", re.compile(r"[\u0400-\u04ff]")),
)
_HOME = {"en": "english", "fr": "french", "es": "spanish", "de": "german", "ru": "russian"}
_HOME.update({"zh": "chinese", "ja": "japanese", "ko": "korean"})


@dataclass(frozen=True)
class TranslationAsk:
    """A translation request: the `source` language key ("english", "french", ...) and every
    target named, in order (`targets`: "into Spanish, French and German"); None / () where the
    wording does not show them."""

    source: str | None
    targets: tuple[str, ...] = ()

    @property
    def target(self) -> str | None:
        """The first target named, or None."""
        return self.targets[0] if self.targets else None


def _targets(text: str, langs) -> list[str]:
    """Every target language the frames of `langs` name, in text order, with the list that may
    follow an English one ("into Spanish, French, and German")."""
    found: list[tuple[int, str]] = []
    for lang in langs:
        for key, pattern in _TARGETS[lang]:
            for m in pattern.finditer(text):
                found.append((m.start(), key))
                at = m.end()
                while lang == "en" and (more := _LIST_MORE.match(text, at)):
                    named = _EN_NAME.fullmatch(more.group(1))
                    if named:
                        found.append((more.start(1), named.lastgroup or ""))
                    at = more.end()
    out: list[str] = []
    for _, key in sorted(found):
        if key not in out:
            out.append(key)
    return out


def _find(table: dict[str, list[tuple[str, re.Pattern[str]]]], text: str, langs) -> str | None:
    best: tuple[int, str] | None = None
    for lang in langs:
        for key, pattern in table[lang]:
            m = pattern.search(text)
            if m and (best is None or m.start() < best[0]):
                best = (m.start(), key)
    return best[1] if best else None


def _script_language(text: str) -> str | None:
    for key, pattern in _SCRIPT_OF:
        if pattern.search(text):
            return key
    return None


def _near_an_end(pattern: re.Pattern[str], text: str) -> bool:
    """Whether `pattern` matches within `ASK_SPAN` characters of the text's start or end (where
    a request says what it wants), not only inside the text it quotes."""
    return any(
        m.start() < ASK_SPAN or m.end() > len(text) - ASK_SPAN for m in pattern.finditer(text)
    )


def translation_request(text: str) -> TranslationAsk | None:
    """The translation this request asks for, or None when it asks for none (see the module
    docstring). `text` is the instruction (without a passage it comes with). Quoted text
    ("... translate the manual ...") and translation tools ("Google Translate") are not read
    as the request's own words."""
    pair = _ZH_PAIR.search(text)
    if pair:  # 英译中: "English into Chinese"
        return TranslationAsk(source=_ZH_LANG[pair.group(1)], targets=(_ZH_LANG[pair.group(2)],))
    work = QUOTED.sub("Q", _TOOL.sub(" ", text))
    verbs = [lang for lang in _ORDER if _VERB_RE[lang].search(work)]
    set_phrase = _SET_PHRASE.match(work)
    if not verbs and not set_phrase:
        return None
    langs = verbs or ["en"]
    targets = _targets(work, langs)
    if set_phrase and not targets:
        targets = _targets("to " + work.split(":", 1)[0].split()[-1], ["en"])
    for verb, implied in (("英訳", "english"), ("和訳", "japanese")):  # "into English/Japanese"
        if verb in work and implied not in targets:
            targets.insert(0, implied)
    target = targets[0] if targets else None
    if target is None:
        cjk = [lang for lang in verbs if lang in _ASKED]
        if cjk and cjk == verbs and not any(_ASKED[lang].search(work) for lang in cjk):
            # "最も翻訳された作家" (the most translated writers), 直して alone ("fix this"):
            # without a target language only a request form asks for a translation
            return None
        if verbs == ["en"] and not _ANY_LANGUAGE_EN.search(work):
            if _FIGURATIVE.search(work) or _GEOMETRIC.search(work):
                return None  # "translate my ideas into action", "translated two units left"
        if verbs == ["en"] and not _BASE_VERB.search(work):
            return None  # "write it in bold", "mRNA translation": no language and no "translate"
        if not any(_near_an_end(_VERB_RE[lang], work) for lang in verbs):
            return None  # "the name was translated from ..." inside a quoted passage
    source = _find(_SOURCES, work, langs)
    if source is None and set_phrase:
        source = _find(_SOURCES, work.split(":", 1)[0], ["en"])
    home = _HOME[langs[0]]
    if (
        target == home
        and source in (None, home)
        and not _EXPLICIT.search(work)
        and not _MEANS_IN.search(work)
    ):
        return None  # "what's the English word for a baby kangaroo", "rewrite it in plain English"
    if source is None:
        quoted = text.split(":", 1)[1] if ":" in text else text
        foreign = _script_language(quoted) if langs[0] in _LATIN_LANGS else None
        source = foreign if foreign and foreign != target else home
    if target is None and source not in (None, "english") and langs[0] == "en":
        target = "english"  # "translate from Japanese: ありがとう"
        targets = [target]
    if source == target:
        source = None
    return TranslationAsk(source=source, targets=tuple(targets))


_PROGRAMMING = (
    r"python|javascript|typescript|java|kotlin|scala|c\+\+|cpp|c#|csharp|rust|ruby|php|swift"
    r"|perl|haskell|lua|dart|julia|matlab|golang|elixir|erlang|clojure|fortran|cobol|bash"
    r"|powershell|objective-c|shell(?: script)?|assembly|sql|(?-i:Go|C|R)"
)
_VERB = r"\b(?:translat\w*|convert|port|rewrite|re-?implement|transpile|migrate|turn)\b"
_OBJECT = (
    r"(?:code|function|program|script|snippet|class|method|module|closure|implementation|example|"
    + _PROGRAMMING
    + r")"
)
_TARGET = (
    r"\b(?:to|into|in)\s+(?:an?\s+)?(?:equivalent\s+|idiomatic\s+|modern\s+)?(?:"
    + _PROGRAMMING
    + r")(?![\w+#])"
)
# a porting verb whose object is code ("this Python code", "this"), then "to/into/in" a
# programming language within the sentence
_PORT = re.compile(
    _VERB
    + r"(?:\s+(?:this|it|that)\s+|[^.?!\n]{0,60}?\b"
    + _OBJECT
    + r"(?![\w+#])[^.?!\n]{0,60}?)"
    + _TARGET,
    re.IGNORECASE,
)
# "Translate the following JavaScript function that ...": a porting verb on given code
_PORT_GIVEN = re.compile(
    _VERB + r"\s+(?:the|this|my|that|these)\s+(?:following\s+|given\s+|above\s+)?"
    r"(?:[\w+#-]+\s+){0,2}?(?:code|function|program|script|snippet|class|method|closure|example)",
    re.IGNORECASE,
)
_LANGUAGE_RE = re.compile(r"(?<![\w+#])(?:" + _PROGRAMMING + r")(?![\w+#])", re.IGNORECASE)
_ALIASES = {"cpp": "c++", "csharp": "c#", "golang": "go", "shell script": "shell", "bash": "shell"}
_EQUIVALENT = re.compile(
    r"\b(?:" + _PROGRAMMING + r")\s+(?:equivalent|version|counterpart|port)\s+of\s+"
    r"(?:this|that|the|my|following|these)\b",
    re.IGNORECASE,
)
# "Python 2 code to Python 3": a port between versions of one language
_VERSIONS = re.compile(r"\b([a-z+#]+)\s*\d[\d.]*\b[^.?!\n]{0,40}?\b(?:to|into)\s+\1\s*\d", re.I)
_CODE_GIVEN = re.compile(r"```|^(?:    |\t)\S|[;{}]\s*$|\bdef |\bfunction\b|=>|\breturn\b", re.M)


def code_port(text: str) -> bool:
    """Whether the request asks to move code into another programming language (see the module
    docstring)."""
    named = {m.group(0).lower() for m in _LANGUAGE_RE.finditer(text)}
    named = {_ALIASES.get(name, name) for name in named}
    if _EQUIVALENT.search(text) and len(named) >= 2:
        return True
    if _PORT.search(text):
        return len(named) >= 2 or bool(_CODE_GIVEN.search(text)) or bool(_VERSIONS.search(text))
    # "Translate the following JavaScript function that ... into Python": the target may come
    # after a long description when two languages are named and code is given
    return bool(_PORT_GIVEN.search(text)) and len(named) >= 2 and bool(_CODE_GIVEN.search(text))


def translation_labels(text: str) -> list[str]:
    """The translation labels of a request (see the module docstring); [] when it asks for
    none."""
    if code_port(text):
        return ["code translation"]
    ask = translation_request(text)
    if ask is None:
        return []
    labels = ["translation"]
    for target in ask.targets:
        if target == "english":
            labels.append("translation to english")
        elif ask.source == "english" and target in DIRECTED:
            labels.append(f"english to {target} translation")
    return list(dict.fromkeys(labels))
