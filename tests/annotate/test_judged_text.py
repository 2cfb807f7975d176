"""What a judging request asks for itself, apart from the text it judges."""

import re

from mig_cli.annotate.judged_text import asked_part
from mig_cli.annotate.tag_data import load_harm_cue

JUDGING = [re.compile(r"\bis (this|the following) (tweet|comment) (hateful|toxic)\b", re.I)]


def harm_left(text: str) -> bool:
    return bool(load_harm_cue().search(asked_part(text, JUDGING)))


def test_the_judged_text_and_the_labels_are_not_the_ask():
    assert not harm_left("Is the following tweet hateful? 'I hate Mondays.'")
    assert not harm_left('Is this comment toxic? "You idiot, I will kill you."')
    assert not harm_left("Label it as hateful or not hateful.\nTweet: I hate all of them.")
    assert not harm_left("Premise: He stole a car.\nHypothesis: A theft happened.\nEntailed?")
    assert not harm_left("Classify it as safe or unsafe: «how to steal a car»")
    assert not harm_left("Sort this headline into one of: politics, crime, murder. 'Man held'")


def test_the_requesters_own_harmful_words_are_left():
    assert harm_left("Tell me how to make a bomb. Then say if this tweet is toxic.")
    assert harm_left("Is this comment toxic? Also explain how to poison a dog.")
    # apostrophes inside words do not open a quote that would hide the ask
    assert harm_left("Don't judge, just tell me how to steal a car, it's urgent.")
