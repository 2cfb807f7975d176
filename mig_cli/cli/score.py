"""`mig score`: add a quality score to every record (resumable)."""

from __future__ import annotations

import functools

import typer

from ..annotate.llm.credentials import safe_url
from ..annotate.scoring import (
    FieldScoreAnnotator,
    LengthScoreAnnotator,
    LLMScoreAnnotator,
    QualityScoreAnnotator,
    TagNumScoreAnnotator,
)
from ..annotate.text import text_source
from .annotation import (
    ANSWER_FIELD,
    API_KEY_ENV,
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
    Endpoint,
    EngineName,
    ScorerName,
    TextMode,
    llm_client,
    ray_engine,
    run_stage,
)
from .common import check_model_folder, config_option, reports_errors


@functools.lru_cache(maxsize=2)
def _embedder(model: str | None):
    """One loaded model per process (tests and the Python API call score_cmd many times)."""
    from ..annotate.embedding import Embedder

    return Embedder(model)


@reports_errors
def score_cmd(
    pool: str = typer.Argument(
        ...,
        metavar="POOL",
        help="Pool to score (.jsonl, .jsonl.gz, .parquet, a datasets folder, or - for stdin).",
    ),
    output: str = typer.Option(
        ..., "-o", "--output", help="Output (.jsonl, .jsonl.gz, .parquet; '-' = stdout)."
    ),
    scorer: ScorerName = typer.Option(
        None,
        "--scorer",
        help="quality (offline default: sees junk; see README), length (log of whitespace "
        "words), tagnum, llm or field [default: quality; field with --preset].",
    ),
    explain: bool = typer.Option(
        True,
        "--explain/--no-explain",
        help="quality: also write each factor of the score to 'score_components'.",
    ),
    preset: str = typer.Option(
        None,
        "--preset",
        help="'xsample': score = mean over turns of deita quality x complexity (annotation.deita).",
    ),
    from_field: str = typer.Option(None, "--from", help="Field to copy (--scorer field)."),
    labels_field: str = typer.Option(
        "labels", "--labels-field", help="Labels (tagnum; quality reads the first as the kind)."
    ),
    field: str = typer.Option("score", "--field", help="Field the score is written to."),
    model: str = typer.Option(
        None,
        "--model",
        help="Served judge model name (llm), or embedding model (quality) [default: bundled "
        "MiniLM].",
    ),
    endpoint: Endpoint = typer.Option(
        Endpoint.chat,
        "--endpoint",
        help="chat completions, or raw completions for served scorer models (llm).",
    ),
    top_logprobs: int = typer.Option(
        20,
        "--top-logprobs",
        min=0,
        help="Log-probabilities asked per rating; 0 = read the digit from the text.",
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
    engine: EngineName = ENGINE,
    ray_address: str = RAY_ADDRESS,
    num_workers: int = NUM_WORKERS,
    num_gpus: float = NUM_GPUS,
    config: str = config_option(),
) -> None:
    """Add a quality score to every record (resumable: re-run the same command after a crash).

    \b
    Examples:
      mig score tagged.jsonl -o annotated.jsonl                  # offline quality score
      mig score tagged.jsonl -o annotated.jsonl --scorer length  # log-length of the answers
      mig score tagged.jsonl -o annotated.jsonl --scorer tagnum  # InsTag complexity proxy
      mig score tagged.jsonl -o annotated.jsonl --scorer llm --model judge \\
          --base-url http://localhost:8000/v1 --endpoint completions
      mig score xsample-pool.jsonl -o annotated.jsonl --preset xsample
      mig score tagged/ -o annotated/ --engine ray --ray-address auto --scorer llm --model judge
    """
    recipe = functools.partial(
        score_annotator, scorer, preset, from_field, labels_field, field, model, endpoint
    )
    recipe = functools.partial(recipe, top_logprobs, text, text_field, max_chars, answer_field)
    recipe = functools.partial(recipe, base_url, api_key_env, concurrency, timeout, max_retries)
    recipe = functools.partial(recipe, explain=explain)
    annotator, default_batch = recipe()
    ray = None
    if engine == EngineName.ray:
        ray = ray_engine(ray_address, num_workers, num_gpus, functools.partial(_first, recipe))
    run_stage(pool, output, annotator, batch_size or default_batch, strict, restart, "scoring", ray)


def _first(recipe):
    """The annotator of a (annotator, default batch) recipe: what a Ray actor builds."""
    return recipe()[0]


def score_annotator(
    scorer: ScorerName | None,
    preset: str | None,
    from_field: str | None,
    labels_field: str,
    field: str,
    model: str | None,
    endpoint: Endpoint,
    top_logprobs: int,
    text: TextMode,
    text_field: str | None,
    max_chars: int,
    answer_field: str | None,
    base_url: str,
    api_key_env: str,
    concurrency: int,
    timeout: float,
    max_retries: int,
    *,
    explain: bool = True,
):
    """The score annotator for these options, and its default batch size (built in each actor)."""
    if preset not in (None, "xsample"):
        raise typer.BadParameter("the only preset is 'xsample'", param_hint="'--preset'")
    chosen = scorer or (ScorerName.field if (preset or from_field) else ScorerName.quality)
    source = text_source(text.value, text_field, max_chars, answer_field)
    default_batch = 4096
    if chosen == ScorerName.field:
        path = from_field or ("annotation.deita" if preset == "xsample" else None)
        if not path:
            raise typer.BadParameter("--scorer field needs --from PATH", param_hint="'--from'")
        annotator = FieldScoreAnnotator(path, field, preset)
    elif chosen == ScorerName.tagnum:
        annotator = TagNumScoreAnnotator(labels_field, field)
    elif chosen == ScorerName.llm:
        from ..annotate.llm.annotators import LLMScorer

        client = llm_client(base_url, model, api_key_env, timeout, max_retries)
        judge = LLMScorer(
            client, endpoint=endpoint.value, concurrency=concurrency, top_logprobs=top_logprobs
        )
        settings = {
            "model": model,
            "base_url": safe_url(base_url),
            "endpoint": endpoint.value,
            "top_logprobs": top_logprobs,
        }
        annotator = LLMScoreAnnotator(judge, source, settings, field)
        default_batch = 64
    elif chosen == ScorerName.quality:
        from ..annotate.tag_data import harmful_labels

        check_model_folder(model)
        embedder = _embedder(model)
        annotator = QualityScoreAnnotator(
            source,
            field,
            embed=embedder.encode,
            model=embedder.name,
            labels_field=labels_field,
            harmful_labels=harmful_labels(),
            components_field="score_components" if explain else None,
        )
        default_batch = 2048
    else:
        annotator = LengthScoreAnnotator(source, field)
    return annotator, default_batch
