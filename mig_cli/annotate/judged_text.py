"""What a judging request asks for itself, apart from the text it judges.

"Is the following tweet hateful? 'I hate Mondays.'" holds harm words, but they are the label
to decide ("hateful") and the text to judge ('I hate Mondays.'), not what is asked for: such a
request should get `toxicity detection`, not `hate speech`. "Tell me how to make a bomb. Then
classify your answer as safe or unsafe." is a judging request too, yet it asks for a bomb.

`asked_part(text, judging)` removes from `text` what a judging request judges, and returns the
rest, in which the tagger then looks for harm words (`TaxonomyTagger`; a harm tag is masked only
when none is left):

- the spans the judging cues match (`judging`: "is the following tweet hateful", "classify ...
  as offensive");
- quoted text ('...', "...", “...”, «...», 「...」) of up to `MAX_QUOTE` characters;
- the contents of template fields ("Tweet: ...", "Premise: ...", "Sentence 1: ..."), at the
  start of a line or of a sentence, to the end of their line;
- the labels offered ("into one of: politics, sports, crime", "Options: ...") to the end of
  their sentence, and the attribute words a judgment decides between (`JUDGED_WORDS`: toxic,
  hateful, offensive, harmful, safe, ...).

What is left is the instruction in the requester's own words. Pure: a string in, a string out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MAX_QUOTE = 600  # characters: a longer "quote" is more likely two apostrophes far apart
QUOTED = re.compile(
    r"(?<!\w)'[^'\n]{1,N}'(?!\w)|\"[^\"]{1,N}\"|“[^”]{1,N}”|«[^»]{1,N}»|「[^」]{1,N}」".replace(
        "N", str(MAX_QUOTE)
    )
)
_FIELD = re.compile(
    r"(?im)(?:^|(?<=[.?!])[ \t]+)[ \t]*(?:tweet|text|comment|post|message"
    r"|sentence(?:[ \t]*[12AB])?|review|premise|hypothesis|statement|passage|claim|headline"
    r"|reply|response|input)[ \t]*:.*$"
)
# the labels to choose from: "into one of: politics, sports, crime.", "Options: yes, no"
_OPTIONS = re.compile(
    r"(?i)\b(?:one of|options?|choices?|categories|labels?|classes)\s*:[^.?!\n]{1,200}"
)
JUDGED_WORDS = re.compile(
    r"\b(?:non-?|not[ -])?(?:toxic(?:ity)?|hateful|hate[ -]speech|offensive|abusive|harmful"
    r"|dangerous|unsafe|safe|insulting|inappropriate|violent|racist|sexist|obscene|profane)\b",
    re.IGNORECASE,
)


def asked_part(text: str, judging: Iterable[re.Pattern[str]]) -> str:
    """`text` without what a judging request judges (see the module docstring)."""
    for pattern in judging:
        text = pattern.sub(" ", text)
    text = QUOTED.sub(" ", text)
    text = _FIELD.sub(" ", text)
    text = _OPTIONS.sub(" ", text)
    return JUDGED_WORDS.sub(" ", text)
