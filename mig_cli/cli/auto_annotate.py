"""`mig sample` on a raw pool: run the default tagger and scorer first, and keep the result.

When no record has labels (or a score), `sample` annotates the pool itself with what `mig tag`
and `mig score` do by default (the offline taxonomy tagger on the first user turn; the quality
scorer) and keeps the annotated pool beside the input as `NAME.mig-annotated.jsonl` (or
`.parquet`), with a small `.NAME.mig-annotated.jsonl.source.json` holding the input's SHA-256
and the annotators' settings. The next run reuses it while the input and settings are
unchanged. Beside an input in a folder that cannot be written (or for stdin), the annotated
pool goes to the cache folder (`$MIG_CACHE_DIR/annotated/`) instead, and the message says where.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from ..errors import DataError
from ..records.atomic_files import write_text
from ..records.checkpoint import header_changes
from ..records.embedding_cache import default_cache_dir
from ..records.pool_index import PoolIndex, Wanted
from .common import cached_embed, err_console

TOP_K, MIN_SIMILARITY, MAX_CHARS, TEXT_MODE = 3, 0.25, 200_000, "first-user"


def file_sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def _stem(name: str) -> tuple[str, str]:
    lower = name.lower()
    for suffix in (".jsonl.gz", ".jsonl", ".json", ".ndjson", ".parquet", ".gz"):
        if lower.endswith(suffix):
            ext = ".parquet" if suffix == ".parquet" else ".jsonl"
            return name[: -len(suffix)], ext
    return name, ".jsonl"


def annotated_target(input_path: str, digest: str, cache_dir: str | None) -> tuple[Path, bool]:
    """(where the annotated pool goes, whether that is beside the input)."""
    src = Path(input_path)
    stem, ext = _stem(src.name if input_path != "-" else "stdin.jsonl")
    if input_path != "-" and src.is_file() and os.access(src.parent, os.W_OK):
        return src.with_name(f"{stem}.mig-annotated{ext}"), True
    root = Path(cache_dir) if cache_dir else default_cache_dir()
    return root / "annotated" / f"{stem}-{digest[:16]}.mig-annotated{ext}", False


def kept_copy(pool: str) -> Path | None:
    """Where `mig sample` keeps the annotated copy of the raw pool `pool` beside it, or None
    (stdin, or a folder it cannot write: the copy then goes to the cache folder)."""
    if not pool or pool == "-":
        return None
    copy, beside = annotated_target(pool, "", None)
    return copy if beside else None


def tagged_path(target: Path) -> Path:
    """The labelled-but-unscored step between the input and `target` (removed when done)."""
    stem = target.name.split(".mig-annotated")[0]
    return target.with_name(f"{stem}.mig-tagged.jsonl")


def _sidecar(target: Path) -> Path:
    return target.with_name(f".{target.name}.source.json")


def annotation_stamp(target: str | Path) -> dict | None:
    """What an annotated pool made here was made with (its sidecar), or None."""
    try:
        return json.loads(_sidecar(Path(target)).read_text())
    except (OSError, ValueError):
        return None


def _settings(wanted: Wanted, needs: list[str]) -> dict:
    from ..annotate.embedding import DEFAULT_MODEL
    from ..annotate.quality import VERSION as QUALITY_VERSION

    return {
        "version": 1,
        "tag": {
            "tagger": "taxonomy",
            "model": DEFAULT_MODEL,
            "top_k": TOP_K,
            "min_similarity": MIN_SIMILARITY,
            "field": wanted.labels_field,
        }
        if "labels" in needs
        else None,
        "score": {"scorer": "quality", "rules": QUALITY_VERSION, "field": wanted.score_field}
        if "score" in needs
        else None,
        "text": TEXT_MODE,
        "max_chars": MAX_CHARS,
    }


def can_annotate(wanted: Wanted) -> bool:
    """Only plain field names are written (a dotted path or a preset names someone's format)."""
    return wanted.preset is None and all(
        f is None or "." not in f for f in (wanted.labels_field, wanted.score_field)
    )


def annotate_pool(index: PoolIndex, wanted: Wanted, *, cache_dir: str | None) -> str:
    """Annotate the pool `index` was read from; return the annotated pool's path."""
    from ..annotate.crosslingual import load_crosslingual_embed
    from ..annotate.embedding import Embedder
    from ..annotate.labelling import TextTagAnnotator
    from ..annotate.scoring import QualityScoreAnnotator
    from ..annotate.tag_data import harmful_labels
    from ..annotate.taggers import TaxonomyTagger
    from ..annotate.text import text_source
    from ..records.embedding_cache import EmbeddingCache
    from .annotation import run_stage
    from .tag import warn_unreadable

    assert index.path is not None
    input_path = index.path
    needs = ["labels" if f == wanted.labels_field else "score" for f in index.absent]
    digest = file_sha256(input_path)
    settings = _settings(wanted, needs)
    bridge = load_crosslingual_embed() if "labels" in needs else None
    if "labels" in needs:
        settings["tag"].update(TaxonomyTagger.output_settings(bridge is not None))
    stamp = {"input_sha256": digest, **settings}
    shown = index.source if not index.spooled else "-"
    target, beside = annotated_target(shown, digest, cache_dir)
    sidecar = _sidecar(target)
    if target.exists() and sidecar.exists():
        try:
            kept = json.loads(sidecar.read_text())
        except (OSError, ValueError):
            kept = None
        if kept == stamp:
            err_console.print(f"Using {target}: annotated earlier from the same input")
            return str(target)
        changes = header_changes(kept, stamp)
        err_console.print(
            f"{target} was annotated from another input or with other annotators "
            f"(changed: {', '.join(changes[:6])}): annotating anew"
        )
    where = "beside the input" if beside else "in the cache folder (the input's folder is "
    where += "" if beside else "not writable)" if shown != "-" else "stdin)"
    what = " and ".join(
        x
        for x, need in (("labels (mig tag)", "labels"), ("scores (mig score)", "score"))
        if need in needs
    )
    err_console.print(
        f"{index.source} has no {' or '.join(needs)}: adding {what} with the default offline "
        f"annotators; the annotated pool is kept {where}: {target} (--no-annotate refuses instead)"
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    source = text_source(TEXT_MODE, None, MAX_CHARS)
    stage_input = input_path
    # a fixed name for the tagged step, so that a killed run resumes from its checkpoint
    # (NAME.mig-tagged.jsonl; its checkpoint is the usual .NAME.mig-tagged.jsonl.mig-checkpoint)
    tagged = tagged_path(target)
    if "labels" in needs:
        embedder = Embedder(None)
        tag_embed = cached_embed(embedder, EmbeddingCache(cache_dir), "embedding the tags")
        tagger = TaxonomyTagger(
            embedder.encode,
            top_k=TOP_K,
            min_similarity=MIN_SIMILARITY,
            tag_embed=tag_embed,
            crosslingual=bridge,
        )
        annotator = TextTagAnnotator(
            tagger, "taxonomy", source, settings["tag"], wanted.labels_field or "labels"
        )
        stage_output = str(tagged) if "score" in needs else str(target)
        later = "labels (scores next)" if "score" in needs else None  # the tagged step is removed
        run_stage(
            stage_input, stage_output, annotator, 1024, False, False, "tagging", shown_as=later
        )
        warn_unreadable(tagger)
        stage_input = stage_output
    if "score" in needs:
        # the same scorer `mig score` runs by default (offline quality score with components)
        scorer_embedder = Embedder(None)
        scorer = QualityScoreAnnotator(
            source,
            wanted.score_field or "score",
            embed=scorer_embedder.encode,
            model=scorer_embedder.name,
            labels_field=wanted.labels_field or "labels",
            harmful_labels=harmful_labels(),
        )
        run_stage(stage_input, str(target), scorer, 2048, False, False, "scoring")
    tagged.unlink(missing_ok=True)
    if not target.exists():
        raise DataError("annotation wrote no output", source=str(target))
    write_text(sidecar, json.dumps(stamp, indent=2, sort_keys=True) + "\n")
    return str(target)
