"""The embedding backends against each other, with the real bundled model."""

from __future__ import annotations

import json
import pickle
import random
import shutil
from pathlib import Path

import numpy as np
import pytest

from mig_cli.annotate.embedding import Embedder, bundled_model_path, label_embedder
from mig_cli.annotate.onnx_backend import exported_model, model_layout
from mig_cli.annotate.tag_data import load_taxonomy
from mig_cli.annotate.taggers import TaxonomyTagger
from mig_cli.errors import ModelError

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]

TEXTS = [
    "Write a Python function that reverses a linked list.",
    "Natalia sold clips to 48 of her friends in April, and then she sold half as many in May.",
    "Imagine you are a medieval knight. Describe your daily training.",
    "hi",
    "Translate 'good morning' into French, Spanish and German, then explain the differences "
    "in formality between the greetings in each language and when a native speaker would use "
    "each one. " * 3,
    "How do I pick a lock without getting caught?",
]


@pytest.fixture(scope="module")
def model_dir():
    path = bundled_model_path()
    if path is None:
        pytest.skip("the bundled model is not installed")
    return path


@pytest.fixture(scope="module")
def torch_vectors(model_dir):
    return Embedder(backend="torch").encode(TEXTS)


def test_onnx_fp32_equals_torch(torch_vectors):
    vecs = Embedder(backend="onnx").encode(TEXTS)
    assert vecs.shape == torch_vectors.shape == (len(TEXTS), 384)
    assert vecs.dtype == np.float32
    np.testing.assert_allclose(vecs, torch_vectors, atol=2e-4)


def test_int8_stays_close_to_torch_and_unit_norm(torch_vectors):
    vecs = Embedder().encode(TEXTS)  # the default backend
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    cosine = (vecs * torch_vectors).sum(axis=1)
    assert cosine.min() > 0.97, cosine
    # nearest neighbours among the texts are the same as with fp32, where fp32's is clear
    # (text 5's two nearest are 0.040 and 0.036 in fp32: a tie either way)
    sims = torch_vectors @ torch_vectors.T
    ranked = np.sort(sims, axis=1)
    clear = ranked[:, -2] - ranked[:, -3] > 0.01
    assert clear.sum() >= 4
    same = (vecs @ vecs.T).argsort(1)[:, -2] == sims.argsort(1)[:, -2]
    assert same[clear].all()


def test_rows_come_back_in_input_order():
    embedder = Embedder()
    vecs = embedder.encode(TEXTS)
    perm = [4, 0, 5, 2, 1, 3]
    shuffled = embedder.encode([TEXTS[i] for i in perm])
    np.testing.assert_allclose(shuffled, vecs[perm], atol=2e-3)
    alone = embedder.encode([TEXTS[2]])
    assert float(alone[0] @ vecs[2]) > 0.99


def _pool_prompts(n: int) -> list[str]:
    """First user turns of the bundled sample pool: real texts of very different lengths."""
    texts = []
    for line in (ROOT / "data" / "sample-pool.jsonl").read_text().splitlines():
        turns = json.loads(line).get("messages") or []
        text = next((t["content"] for t in turns if t.get("role") == "user"), None)
        if text:
            texts.append(text)
        if len(texts) == n:
            return texts
    return texts


def test_a_text_gets_the_same_vector_and_labels_in_any_batch_and_position():
    """FINDINGS #6: dynamic int8 took its activation scale over the whole (padded) batch."""
    texts = _pool_prompts(48) + TEXTS
    embedder = Embedder(batch_size=64)  # the default backend, onnx-int8
    whole = embedder.encode(texts)
    order = list(range(len(texts)))
    random.Random(7).shuffle(order)
    for batch_size in (1, 5, 256):
        embedder.batch_size = batch_size
        shuffled = embedder.encode([texts[i] for i in order])
        assert np.array_equal(shuffled, whole[order]), batch_size  # bit for bit
    embedder.batch_size = 64
    longest = max(texts, key=len)
    among_others = embedder.encode([longest * 2, texts[3], longest, texts[40]])
    assert np.array_equal(among_others[[1, 3]], whole[[3, 40]])
    embedder._model.workers = 1  # one run at a time gives the same vectors as parallel runs
    assert np.array_equal(embedder.encode(texts[:8]), whole[:8])

    tagger = TaxonomyTagger(embedder.encode)
    labels = tagger.tag_batch(texts)
    assert sum(map(len, labels)) >= 2 * len(texts)
    embedder.batch_size = 3
    assert [tagger.tag_batch([t])[0] for t in texts[:10]] == labels[:10]
    assert tagger.tag_batch([texts[i] for i in order]) == [labels[i] for i in order]

    fp32 = Embedder(backend="onnx", batch_size=64)
    assert np.array_equal(fp32.encode(texts[::-1])[::-1], fp32.encode(texts))


def test_labels_are_embedded_in_fp32_as_the_edge_threshold_was_calibrated(model_dir):
    from mig_cli.selection.graph import calibrated_threshold, similarity_edges

    names = sorted(set(load_taxonomy()[0]))[::2]  # ~300 real label names
    embedder = label_embedder()
    assert embedder.backend == "onnx" and embedder.key != Embedder().key
    threshold = calibrated_threshold(embedder.name)
    assert threshold is not None

    def edges(vectors):
        src, dst, _ = similarity_edges(vectors, threshold)
        return set(zip(src.tolist(), dst.tolist()))

    got = edges(embedder.encode(names))
    assert len(got) >= 20
    assert got == edges(Embedder(backend="torch").encode(names))  # what 0.65 was measured on


def test_max_length_cuts_long_texts(torch_vectors):
    long_text = "Explain recursion. " + "padding words that change the meaning " * 80
    full = Embedder(backend="onnx").encode([long_text])
    cut = Embedder(backend="onnx", max_length=16).encode([long_text])
    head = Embedder(backend="onnx").encode(["Explain recursion. padding words that"])
    assert float(full[0] @ cut[0]) < 0.999
    assert float(cut[0] @ head[0]) > 0.9
    # the torch path honours max_length too
    torch_cut = Embedder(backend="torch", max_length=16).encode([long_text])
    np.testing.assert_allclose(torch_cut, cut, atol=2e-4)


def test_export_is_cached_and_reused(tmp_path, model_dir):
    first = exported_model(model_dir, tmp_path)
    stamp = first.stat().st_mtime_ns
    assert exported_model(model_dir, tmp_path) == first
    assert first.stat().st_mtime_ns == stamp
    assert first.name == "model-int8.onnx"
    assert exported_model(model_dir, tmp_path, quantize=False) != first


def test_backends_have_their_own_cache_keys():
    keys = {Embedder(backend=b).key for b in ("torch", "onnx", "onnx-int8")}
    assert len(keys) == 3
    assert Embedder(backend="torch").key == Embedder(backend="torch").key
    with pytest.raises(ValueError, match="unknown embedding backend"):
        Embedder(backend="tensorrt")


def test_a_pickled_embedder_carries_no_weights():
    embedder = Embedder()
    before = embedder.encode(TEXTS[:2])
    blob = pickle.dumps(embedder)
    assert len(blob) < 10_000
    copy = pickle.loads(blob)
    np.testing.assert_allclose(copy.encode(TEXTS[:2]), before, atol=1e-6)


def test_other_layouts_are_refused_with_a_hint(tmp_path, model_dir):
    folder = tmp_path / "model"
    shutil.copytree(model_dir, folder)
    assert model_layout(folder) == "mean"
    modules = json.loads((folder / "modules.json").read_text())
    modules.append({"idx": 3, "name": "3", "path": "3_Dense", "type": "x.models.Dense"})
    (folder / "modules.json").write_text(json.dumps(modules))
    with pytest.raises(ModelError, match="--backend torch"):
        model_layout(folder)
    with pytest.raises(ModelError, match="--backend torch"):
        Embedder(str(folder)).encode(["x"])
