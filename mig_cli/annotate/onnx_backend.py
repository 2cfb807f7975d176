"""Sentence embeddings on ONNX Runtime: exported offline from the model folder, int8, cached.

The default encode path of `Embedder` (backend `onnx-int8`). For a sentence-transformers
folder made of a BERT-style `Transformer`, a mean or CLS `Pooling` and optionally `Normalize`
(all-MiniLM-L6-v2 and most small embedding models), `exported_model` traces the transformer
*with* its pooling and L2 normalisation into one ONNX graph (`torch.onnx.export`, TorchScript
exporter), then applies ONNX Runtime's dynamic int8 quantisation
(`onnxruntime.quantization.quantize_dynamic`, per-channel int8 weights, activations quantised
on the fly). Per-channel matters: per-tensor int8 weights of MiniLM lose ~4% cosine on average
(0.96 to fp32), per-channel keeps ~0.994.

The result is cached under `<mig cache dir>/onnx/<model>-<digest>/`, keyed by the model folder
(path, weight file sizes and times) and by the torch / transformers / onnx / onnxruntime
versions, so an upgrade re-exports. Export and quantisation take a few seconds, once. Writes
are atomic (temp file + rename), so concurrent workers (Ray actors) that export the same model
at once are safe.

`OnnxEncoder.encode` tokenises with the model's own fast tokenizer (`tokenizers`), truncates to
`max_length` word pieces and runs each text **on its own** (a batch of one, no padding), on one
intra-op thread per run, with one run per core in parallel. A vector is therefore a function
of the text alone: dynamic quantisation takes its activation scale over the input tensor, so
a batch of several texts (padding included) would make a text's int8 vector, and its labels,
depend on its batch neighbours (FINDINGS #6). Measured: per-text runs are as fast as sorted
batches on these short texts, and bit-identical whatever the batch, order or thread count.
Why it is faster than PyTorch, and how much the tags change: benchmarks/RESULTS.md
(`scripts/bench_tag_cli.py`).

Errors: `ModelError` when onnx/onnxruntime are missing or the model folder has another layout
(use `--backend torch` then).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from ..errors import ModelError

EXPORT_VERSION = 1  # bump when the exported graph changes
_POOLING = {"pooling_mode_mean_tokens": "mean", "pooling_mode_cls_token": "cls"}


def _versions() -> dict[str, str]:
    import onnx
    import onnxruntime
    import torch
    import transformers

    return {
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "onnx": onnx.__version__,
        "onnxruntime": onnxruntime.__version__,
        "export": str(EXPORT_VERSION),
    }


def _require_onnx() -> None:
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError as exc:
        raise ModelError(
            "the onnx backends need onnx and onnxruntime: pip install 'mig-cli[embed]' "
            "(or use --backend torch)"
        ) from exc


def model_layout(folder: Path) -> str:
    """The pooling ('mean' or 'cls') of a sentence-transformers folder this module can export.

    Raises `ModelError` for any other layout (e.g. a Dense layer after pooling).
    """
    modules_file = folder / "modules.json"
    if not (folder / "tokenizer.json").exists() or not modules_file.exists():
        raise ModelError(
            f"{folder}: not a sentence-transformers folder with a tokenizer.json; "
            "use --backend torch"
        )
    modules = json.loads(modules_file.read_text())
    kinds = [m.get("type", "").rsplit(".", 1)[-1] for m in modules]
    if kinds[:2] != ["Transformer", "Pooling"] or any(k != "Normalize" for k in kinds[2:]):
        raise ModelError(
            f"{folder}: the onnx backends export Transformer + Pooling (+ Normalize) models, "
            f"not {' + '.join(kinds)}; use --backend torch"
        )
    pooling = json.loads((folder / modules[1].get("path", "1_Pooling") / "config.json").read_text())
    chosen = [name for key, name in _POOLING.items() if pooling.get(key)]
    others = [k for k, v in pooling.items() if k.startswith("pooling_mode") and v]
    if len(chosen) != 1 or len(others) != 1:
        raise ModelError(
            f"{folder}: the onnx backends support mean or CLS pooling, not {others}; "
            "use --backend torch"
        )
    return chosen[0]


def _fingerprint(folder: Path, quantize: bool) -> str:
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    stamp = [(str(p.relative_to(folder)), p.stat().st_size, p.stat().st_mtime_ns) for p in files]
    blob = json.dumps(
        {"folder": str(folder.resolve()), "files": stamp, "int8": quantize, **_versions()},
        sort_keys=True,
    )
    return hashlib.sha1(blob.encode()).hexdigest()[:16]


def _export(folder: Path, pooling: str, target: Path) -> None:
    """Trace transformer + pooling + normalisation to `target` (fp32 ONNX)."""
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(folder))
    model.eval()

    class SentenceEncoder(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            hidden = self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            if pooling == "cls":
                pooled = hidden[:, 0]
            else:
                mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2.0, dim=1)

    example = torch.ones((2, 16), dtype=torch.long)
    axes = {"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"}}
    axes["token_type_ids"] = {0: "batch", 1: "tokens"}
    axes["embedding"] = {0: "batch"}
    import warnings

    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            SentenceEncoder(model),
            (example, example, torch.zeros_like(example)),
            str(target),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["embedding"],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )


def _quantize(source: Path, target: Path) -> None:
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    logging.getLogger().setLevel(max(logging.getLogger().level, logging.ERROR))
    quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8, per_channel=True)


def exported_model(folder: str | os.PathLike, cache_dir: Path, *, quantize: bool = True) -> Path:
    """Path of the cached ONNX export of `folder` (int8 when `quantize`), made if missing."""
    _require_onnx()
    folder = Path(folder)
    pooling = model_layout(folder)
    name = folder.name if folder.name else "model"
    key = f"{name[-40:]}-{_fingerprint(folder, quantize)}"
    out_dir = cache_dir / "onnx" / key
    target = out_dir / ("model-int8.onnx" if quantize else "model.onnx")
    if target.exists():
        return target
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=".export-") as tmp:
        fp32 = Path(tmp) / "model.onnx"
        try:
            _export(folder, pooling, fp32)
            made = fp32
            if quantize:
                made = Path(tmp) / "model-int8.onnx"
                _quantize(fp32, made)
        except Exception as exc:  # noqa: BLE001 - any export failure: say which backend works
            raise ModelError(
                f"cannot export {folder} to ONNX ({type(exc).__name__}: {exc}); use --backend torch"
            ) from exc
        os.replace(made, target)  # atomic: a concurrent exporter just replaces it
    return target


def _cores() -> int:
    """Cores this process may use (its CPU affinity where the OS tells it)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _threads() -> int:
    """Parallel runs: OMP_NUM_THREADS when set (Ray sets it per actor), else 0 (all cores)."""
    value = os.environ.get("OMP_NUM_THREADS", "")
    return int(value) if value.isdigit() and int(value) > 0 else 0


class OnnxEncoder:
    """Encode texts with an exported sentence-transformers model on ONNX Runtime (CPU).

    `encode(texts)` -> float32 array (len(texts), dim), unit rows, in input order. Texts are
    cut to `max_length` word pieces (the model's own limit when None).
    """

    def __init__(
        self,
        folder: str | os.PathLike,
        cache_dir: Path,
        *,
        quantize: bool = True,
        max_length: int | None = None,
    ) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        folder = Path(folder)
        path = exported_model(folder, cache_dir, quantize=quantize)
        limit = _model_max_length(folder)
        self.max_length = min(max_length, limit) if max_length else limit
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(self.max_length)
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1  # one text per run; parallel runs use the cores
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.workers = _threads() or _cores()
        self.dimension = int(self.session.get_outputs()[0].shape[1] or 0) or self._probe()

    def _probe(self) -> int:
        return int(self._run_one([101, 102]).shape[0])

    def _run_one(self, ids: list[int]) -> np.ndarray:
        """The vector of one tokenised text, shape (dim,): a batch of one, no padding."""
        input_ids = np.asarray([ids], dtype=np.int64)
        feeds = {
            "input_ids": input_ids,
            "attention_mask": np.ones_like(input_ids),
            "token_type_ids": np.zeros_like(input_ids),
        }
        return self.session.run(None, feeds)[0][0]

    def encode(
        self,
        texts: Sequence[str],
        *,
        batch_size: int = 64,
        on_batch: Callable[[int], None] | None = None,
    ) -> np.ndarray:
        """Unit float32 vectors (len(texts), dim) in input order; each text is run on its own.

        `batch_size` only sets how many texts are tokenised and reported (`on_batch`) at a
        time (`batch_size * 8`); it never changes a vector.
        """
        from concurrent.futures import ThreadPoolExecutor

        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        step = max(1, batch_size * 8)  # tokenise a slice at a time: bounded memory
        with ThreadPoolExecutor(max_workers=max(1, self.workers)) as pool:
            for start in range(0, len(texts), step):
                encodings = self.tokenizer.encode_batch(list(texts[start : start + step]))
                ids = [e.ids for e in encodings]
                if self.workers > 1:
                    vectors = list(pool.map(self._run_one, ids))
                else:
                    vectors = [self._run_one(x) for x in ids]
                if vectors:
                    out[start : start + len(vectors)] = np.stack(vectors)
                if on_batch is not None:
                    on_batch(len(ids))
        return out


def _model_max_length(folder: Path) -> int:
    config = folder / "sentence_bert_config.json"
    if config.exists():
        value = json.loads(config.read_text()).get("max_seq_length")
        if isinstance(value, int) and value > 0:
            return value
    return 512
