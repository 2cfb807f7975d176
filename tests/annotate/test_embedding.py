"""The embedding backends against each other, with the real bundled model."""

from __future__ import annotations

import json
import pickle
import shutil

import numpy as np
import pytest

from mig_cli.annotate.embedding import Embedder, bundled_model_path
from mig_cli.annotate.onnx_backend import exported_model, model_layout
from mig_cli.errors import ModelError

pytestmark = pytest.mark.slow

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
    # nearest neighbours among the texts are the same as with fp32
    assert (
        (vecs @ vecs.T).argsort(1)[:, -2] == (torch_vectors @ torch_vectors.T).argsort(1)[:, -2]
    ).all()


def test_rows_come_back_in_input_order():
    embedder = Embedder()
    vecs = embedder.encode(TEXTS)
    perm = [4, 0, 5, 2, 1, 3]
    shuffled = embedder.encode([TEXTS[i] for i in perm])
    np.testing.assert_allclose(shuffled, vecs[perm], atol=2e-3)
    alone = embedder.encode([TEXTS[2]])
    assert float(alone[0] @ vecs[2]) > 0.99


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
