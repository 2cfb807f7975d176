"""Translation labels by rule: which requests ask for a translation, and in which direction."""

import pytest

from mig_cli.annotate.tag_data import load_taxonomy
from mig_cli.annotate.translation_tags import (
    RULE_LABELS,
    code_port,
    translation_labels,
    translation_request,
)

TO_ENGLISH = ["translation", "translation to english"]


@pytest.mark.parametrize(
    ("request_text", "want"),
    [
        # the request's own language is the source unless another is named
        (
            "Translate into French: Where is the library?",
            ["translation", "english to french translation"],
        ),
        (
            "English to French: Where is the library?",
            ["translation", "english to french translation"],
        ),
        (
            "Render this paragraph in Spanish: The weather is nice.",
            ["translation", "english to spanish translation"],
        ),
        (
            "How would I say 'good night' in German?",
            ["translation", "english to german translation"],
        ),
        ("What's the Japanese word for cat?", ["translation", "english to japanese translation"]),
        ("Translate to English: Je suis fatigué.", TO_ENGLISH),
        ("What does 'carpe diem' mean in English?", TO_ENGLISH),
        ("Traduis en anglais : Bonjour, je m'appelle Marie.", TO_ENGLISH),
        ("Traduce al inglés: Buenos días, ¿cómo estás?", TO_ENGLISH),
        ("Übersetze bitte ins Englische: Guten Morgen.", TO_ENGLISH),
        ("Переведи на английский: Доброе утро", TO_ENGLISH),
        ("把这句话翻成英文：我今天很开心。", TO_ENGLISH),
        ("この文を英語に直してください：今日はいい天気です。", TO_ENGLISH),
        ("영어로 번역해 주세요: 안녕하세요", TO_ENGLISH),
        (
            "次の英文を日本語に翻訳してください: Hello",
            ["translation", "english to japanese translation"],
        ),
        # neither side English, or a source other than English: no directed label
        ("Traduisez cette phrase en espagnol : Je suis fatigué.", ["translation"]),
        ("Translate this German text into French: Guten Tag", ["translation"]),
        ("Translate the following sentence: Je suis fatigué.", ["translation"]),
        # not translation requests
        ("Reply to me in French from now on.", []),
        ("Write a haiku about Tokyo in Japanese.", []),
        ("Translate my ideas into action: how do I become more productive?", []),
        ("The book was translated into 40 languages. Who wrote it?", []),
        ("How do you say no to your boss?", []),
        ("What's the best word for happy?", []),
        ("Write it in bold.", []),
        ("この文章の誤字を直してください", []),
        ("最も翻訳された2人の英文学者は誰か", []),  # "the most translated", not a request
        ("请翻译这段话：今天天气很好", ["translation"]),
        ("この文を翻訳してください：こんにちは", ["translation"]),
        ("What is the capital of France?", []),
    ],
)
def test_translation_labels_read_the_request_and_its_direction(request_text, want):
    assert translation_labels(request_text) == want


@pytest.mark.parametrize(
    ("request_text", "want"),
    [
        # other senses of the word, tools, and requests quoted inside another request
        ("Lost in Translation is a film by Sofia Coppola. Summarize its plot.", []),
        (
            "The Bible was translated into many languages. "
            "When was the first English translation published?",
            [],
        ),
        ("How are translation and transcription different in protein synthesis?", []),
        ("How do I translate a 3D object in Blender along the X axis?", []),
        ("I need to translate my business plan into a pitch deck. Any tips?", []),
        ("Is it true that Google Translate is bad at Japanese?", []),
        ('Summarize this email: "The client asked us to translate the manual into Spanish."', []),
        ("What's the English word for a baby kangaroo?", []),
        ("Rewrite this sentence in plain English: The party of the first part shall pay.", []),
        # set phrases in other languages, and targets named another way
        ("英译中：Practice makes perfect.", ["translation", "english to chinese translation"]),
        ("中译英：熟能生巧。", TO_ENGLISH),
        ('Say "hello" in Chinese.', ["translation", "english to chinese translation"]),
        ('What is "cat" in Spanish?', ["translation", "english to spanish translation"]),
        (
            'Could you put this into French? "See you tomorrow."',
            ["translation", "english to french translation"],
        ),
        ('Was heißt "Schmetterling" auf Englisch?', TO_ENGLISH),
        ("日本語で「ありがとう」は英語で何と言いますか？", TO_ENGLISH),
        ("Traduza para o inglês: Bom dia", TO_ENGLISH),
        (
            'Give me the Spanish translation of "I am hungry".',
            ["translation", "english to spanish translation"],
        ),
        ("Please provide an English translation of this Chinese sentence: 我饿了", TO_ENGLISH),
        ("英訳してください：猫が好きです。", TO_ENGLISH),
        ("translate from japanese: ありがとう", TO_ENGLISH),
        # every target named
        (
            'Translate "I love you" into Spanish, French, and German.',
            [
                "translation",
                "english to spanish translation",
                "english to french translation",
                "english to german translation",
            ],
        ),
    ],
)
def test_other_senses_tools_and_set_phrases(request_text, want):
    assert translation_labels(request_text) == want


def test_a_translation_verb_inside_a_quoted_passage_is_not_the_request():
    passage = "Background. " * 20 + "The club's name was translated from English. " + "More. " * 20
    assert translation_request("Answer the question below.\n" + passage + "Who founded it?") is None
    # the same verb at the start is the request
    assert translation_request("Please translate this:\n" + passage) is not None


@pytest.mark.parametrize(
    ("request_text", "want"),
    [
        ("Rewrite this Python code in Java: def f(x): return x+1", True),
        ("Convert this JavaScript function into TypeScript: function f(x){return x}", True),
        ("Can you write the Rust equivalent of this Python function? def f(x): return 2*x", True),
        ("Port this to Go:\n\ndef add(a, b):\n    return a + b", True),
        ("Translate the following C++ code snippet to equivalent Python code: int a = 5;", True),
        (
            "Translate the following JavaScript function that calculates the factorial of a "
            "number into a Python function.\n\nfunction f(n) { return n ? n * f(n - 1) : 1; }",
            True,
        ),
        ("Translate the following shell script into a Python script: echo hi;", True),
        ("Translate this C code to assembly.", True),
        ('Convert this Python 2 code to Python 3: print "hi"', True),
        ("I want to switch from Python to Java, which version should I learn?", False),
        (
            "Write a function in Python that converts Celsius to Fahrenheit. def f(c): return c",
            False,
        ),
        ("Convert 5 miles to kilometres.", False),
    ],
)
def test_code_port_needs_a_porting_verb_and_a_target_language(request_text, want):
    assert code_port(request_text) is want
    assert (translation_labels(request_text) == ["code translation"]) is want


def test_every_rule_label_is_a_taxonomy_tag():
    tags, _ = load_taxonomy()
    assert RULE_LABELS <= set(tags)
