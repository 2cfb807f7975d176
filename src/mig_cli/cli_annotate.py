"""`mig tag` and `mig score`: resumable annotation of a raw pool (registered on the main app)."""

from __future__ import annotations

import time
from enum import Enum
from pathlib import Path

import typer

from .annotate import AnnotationReport, run_annotation
from .annotators import (
    FieldScoreAnnotator,
    FieldTagAnnotator,
    LengthScoreAnnotator,
    LLMScoreAnnotator,
    TagNumScoreAnnotator,
    TextTagAnnotator,
    text_source,
)
from .cli_common import cached_embed, config_option, err_console, progress, reports_errors
from .errors import DataError
from .io import count_rows

DEFAULT_BASE_URL = "http://127.0.0.1:8000/v1"


class TaggerName(str, Enum):
    taxonomy = "taxonomy"
    vocab = "vocab"
    llm = "llm"
    field = "field"


class ScorerName(str, Enum):
    length = "length"
    tagnum = "tagnum"
    llm = "llm"
    field = "field"


class TextMode(str, Enum):
    first_user = "first-user"
    all_user = "all-user"
    all = "all"


class Endpoint(str, Enum):
    chat = "chat"
    completions = "completions"


TEXT = typer.Option(
    TextMode.first_user,
    "--text",
    help="What is read: the first user turn, all user turns, or the whole conversation.",
)
TEXT_FIELD = typer.Option(
    None,
    "--text-field",
    help="Field (dotted path) holding the text, when it is not in a usual chat shape.",
)
MAX_CHARS = typer.Option(200_000, "--max-chars", min=1, help="Skip records whose text is longer.")
BATCH = typer.Option(None, "--batch-size", min=1, help="Rows per batch (and per checkpoint).")
STRICT = typer.Option(False, "--strict", help="Stop at the first bad record instead of skipping.")
RESTART = typer.Option(False, "--restart", help="Ignore a checkpoint left by an earlier run.")
BASE_URL = typer.Option(DEFAULT_BASE_URL, "--base-url", help="OpenAI-compatible server (llm).")
API_KEY_ENV = typer.Option(
    "OPENAI_API_KEY",
    "--api-key-env",
    help="Environment variable holding the API key (llm); the key is never printed or written.",
)
CONCURRENCY = typer.Option(8, "--concurrency", min=1, help="Parallel requests (llm).")
TIMEOUT = typer.Option(60.0, "--timeout", min=0.1, help="Seconds per request (llm).")
RETRIES = typer.Option(5, "--max-retries", min=0, help="Retries on 429, 5xx, timeouts (llm).")


def _client(base_url: str, model: str | None, api_key_env: str, timeout: float, retries: int):
    from .llm import OpenAIClient, api_key_from_env

    if not model:
        raise typer.BadParameter(
            "the llm backend needs --model (the served model's name)", param_hint="'--model'"
        )
    try:
        return OpenAIClient(
            base_url,
            model,
            api_key=api_key_from_env(api_key_env),
            timeout=timeout,
            max_retries=retries,
        )
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="'--base-url'") from None


def _run(
    pool: str, output: str, annotator, batch_size: int, strict: bool, restart: bool, what: str
) -> AnnotationReport:
    if output != "-" and pool != "-" and Path(output).resolve() == Path(pool).resolve():
        raise typer.BadParameter("the output must not overwrite the input", param_hint="'-o'")
    started = time.perf_counter()
    total = count_rows(pool) if pool != "-" else None
    with progress() as bar:
        task = bar.add_task(what, total=total)
        report = run_annotation(
            pool,
            output,
            annotator,
            batch_size=batch_size,
            strict=strict,
            restart=restart,
            on_rows=lambda n: bar.advance(task, n),
        )
    if report.discarded_checkpoint:
        err_console.print(
            "[yellow]Warning:[/] a checkpoint from a different run (the input or the options "
            "changed) was discarded; every row was annotated anew"
        )
    where = "stdout" if output == "-" else output
    note = f"{report.annotated:,} of {report.rows:,} records annotated -> {where}"
    if report.resumed_rows:
        note += f" ({report.resumed_rows:,} rows resumed from a checkpoint)"
    err_console.print(f"{note} in {time.perf_counter() - started:.1f}s")
    problems = report.problems
    if problems:
        shown = "; ".join(f"line {line}: {reason}" for line, reason in problems[:5])
        more = f" (and {len(problems) - 5:,} more)" if len(problems) > 5 else ""
        err_console.print(
            f"[yellow]Warning:[/] {len(report.skipped):,} records skipped, "
            f"{len(report.dropped):,} unreadable lines left out: {shown}{more}",
            markup=True,
        )
    unusable = getattr(annotator, "unusable", 0)
    if unusable:
        err_console.print(f"[yellow]Warning:[/] {unusable:,} unusable model replies in this run")
    return report


def register(app: typer.Typer) -> None:
    @app.command("tag")
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
        top_k: int = typer.Option(3, "--top-k", min=1, help="Most tags kept per record."),
        min_similarity: float = typer.Option(
            None,
            "--min-similarity",
            help="Least cosine for a tag [default: 0.25 taxonomy, 0.3 vocab].",
        ),
        model: str = typer.Option(
            None, "--model", help="Embedding model (taxonomy/vocab) or served LLM name (llm)."
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
        max_chars: int = MAX_CHARS,
        batch_size: int = BATCH,
        strict: bool = STRICT,
        restart: bool = RESTART,
        base_url: str = BASE_URL,
        api_key_env: str = API_KEY_ENV,
        concurrency: int = CONCURRENCY,
        timeout: float = TIMEOUT,
        max_retries: int = RETRIES,
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
        """
        source = text_source(text.value, text_field, max_chars)
        if tagger == TaggerName.field:
            if not from_field:
                raise typer.BadParameter("--tagger field needs --from PATH", param_hint="'--from'")
            annotator = FieldTagAnnotator(from_field, field)
            default_batch = 4096
        elif tagger == TaggerName.llm:
            from .llm_annotators import LLMTagger

            client = _client(base_url, model, api_key_env, timeout, max_retries)
            settings = {"model": model, "base_url": base_url}
            annotator = TextTagAnnotator(
                LLMTagger(client, concurrency=concurrency), "llm", source, settings, field
            )
            default_batch = 64
        else:
            from .embed import Embedder
            from .io import EmbeddingCache
            from .taggers import TaxonomyTagger, VocabTagger, read_vocab_text, taxonomy_fingerprint

            embedder = Embedder(model)
            embed = embedder.encode
            tag_embed = cached_embed(embedder, EmbeddingCache(cache_dir), "embedding the tags")
            sim = min_similarity
            settings = {"model": embedder.name, "top_k": top_k}
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
                    impl = TaxonomyTagger(
                        embed, top_k=top_k, min_similarity=sim, tag_embed=tag_embed
                    )
                    settings["taxonomy"] = taxonomy_fingerprint()
            except ValueError as exc:
                raise typer.BadParameter(str(exc)) from None
            settings["min_similarity"] = sim
            annotator = TextTagAnnotator(impl, tagger.value, source, settings, field)
            default_batch = 1024
        _run(pool, output, annotator, batch_size or default_batch, strict, restart, "tagging")

    @app.command("score")
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
            help="length, tagnum, llm or field [default: length; field with --preset].",
        ),
        preset: str = typer.Option(
            None,
            "--preset",
            help="'xsample': score = mean over turns of "
            "deita quality x complexity (annotation.deita).",
        ),
        from_field: str = typer.Option(None, "--from", help="Field to copy (--scorer field)."),
        labels_field: str = typer.Option("labels", "--labels-field", help="Labels (tagnum)."),
        field: str = typer.Option("score", "--field", help="Field the score is written to."),
        model: str = typer.Option(None, "--model", help="Served judge model name (llm)."),
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
        max_chars: int = MAX_CHARS,
        batch_size: int = BATCH,
        strict: bool = STRICT,
        restart: bool = RESTART,
        base_url: str = BASE_URL,
        api_key_env: str = API_KEY_ENV,
        concurrency: int = CONCURRENCY,
        timeout: float = TIMEOUT,
        max_retries: int = RETRIES,
        config: str = config_option(),
    ) -> None:
        """Add a quality score to every record (resumable: re-run the same command after a crash).

        \b
        Examples:
          mig score tagged.jsonl -o annotated.jsonl                  # log-length of the answers
          mig score tagged.jsonl -o annotated.jsonl --scorer tagnum  # InsTag complexity proxy
          mig score tagged.jsonl -o annotated.jsonl --scorer llm --model judge \\
              --base-url http://localhost:8000/v1 --endpoint completions
          mig score xsample-pool.jsonl -o annotated.jsonl --preset xsample
        """
        if preset not in (None, "xsample"):
            raise typer.BadParameter("the only preset is 'xsample'", param_hint="'--preset'")
        chosen = scorer or (ScorerName.field if (preset or from_field) else ScorerName.length)
        source = text_source(text.value, text_field, max_chars)
        default_batch = 4096
        if chosen == ScorerName.field:
            path = from_field or ("annotation.deita" if preset == "xsample" else None)
            if not path:
                raise typer.BadParameter("--scorer field needs --from PATH", param_hint="'--from'")
            annotator = FieldScoreAnnotator(path, field, preset)
        elif chosen == ScorerName.tagnum:
            annotator = TagNumScoreAnnotator(labels_field, field)
        elif chosen == ScorerName.llm:
            from .llm_annotators import LLMScorer

            client = _client(base_url, model, api_key_env, timeout, max_retries)
            judge = LLMScorer(
                client, endpoint=endpoint.value, concurrency=concurrency, top_logprobs=top_logprobs
            )
            settings = {
                "model": model,
                "base_url": base_url,
                "endpoint": endpoint.value,
                "top_logprobs": top_logprobs,
            }
            annotator = LLMScoreAnnotator(judge, source, settings, field)
            default_batch = 64
        else:
            annotator = LengthScoreAnnotator(source, field)
        _run(pool, output, annotator, batch_size or default_batch, strict, restart, "scoring")
