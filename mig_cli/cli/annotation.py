"""What `mig tag` and `mig score` share: enums, options, the LLM client, the annotation run."""

from __future__ import annotations

import contextlib
import signal
import time
from collections.abc import Iterator
from enum import Enum

import typer

from ..annotate.engine import AnnotationReport, run_annotation
from .common import err_console, handling_signal, progress
from .output_checks import check_outputs

DEFAULT_BASE_URL = "http://127.0.0.1:8000/v1"


class TaggerName(str, Enum):
    taxonomy = "taxonomy"
    vocab = "vocab"
    llm = "llm"
    field = "field"


class ScorerName(str, Enum):
    quality = "quality"
    length = "length"
    tagnum = "tagnum"
    llm = "llm"
    field = "field"


class TextMode(str, Enum):
    first_user = "first-user"
    all_user = "all-user"
    all = "all"


class EmbedBackend(str, Enum):
    onnx_int8 = "onnx-int8"
    onnx = "onnx"
    torch = "torch"


BACKEND = typer.Option(
    EmbedBackend.onnx_int8,
    "--backend",
    help="Embedding runtime (taxonomy/vocab): onnx-int8 (fast, exported once and cached), "
    "onnx (fp32) or torch (fp32 PyTorch, the reference; used on GPUs).",
)


class EngineName(str, Enum):
    local = "local"
    ray = "ray"


ENGINE = typer.Option(
    EngineName.local,
    "--engine",
    help="local (this process) or ray (Ray Data actors; needs mig-cli[ray]).",
)
RAY_ADDRESS = typer.Option(
    None,
    "--ray-address",
    help="Ray cluster to join ('auto', 'ray://host:10001') [default: start a local Ray].",
)
NUM_WORKERS = typer.Option(
    None, "--num-workers", min=1, help="Ray actors [default: CPUs (or GPUs / --num-gpus)]."
)
NUM_GPUS = typer.Option(0.0, "--num-gpus", min=0.0, help="GPUs per Ray actor (embedding model).")


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
ANSWER_FIELD = typer.Option(
    None,
    "--answer-field",
    help="Field (dotted path) holding the answer, when it is not found in a usual chat shape "
    "(a string, or a message list whose last assistant turns are the answer).",
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


def llm_client(base_url: str, model: str | None, api_key_env: str, timeout: float, retries: int):
    from ..annotate.llm.client import OpenAIClient
    from ..annotate.llm.credentials import api_key_from_env

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
        hint = "'--api-key-env'" if "API key" in str(exc) else "'--base-url'"
        raise typer.BadParameter(str(exc), param_hint=hint) from None


@contextlib.contextmanager
def cancel_on_interrupt() -> Iterator[None]:
    """Ctrl-C stops LLM requests in flight and their retry waits at once (not after every
    retry of every worker thread), then ends the run as an interrupt."""
    from ..annotate.llm.transport import allow_requests, cancel_requests

    def interrupted(signum: int, frame: object) -> None:
        cancel_requests()
        raise KeyboardInterrupt

    allow_requests()
    with handling_signal(signal.SIGINT, interrupted):
        yield


# More than this share of records without text or answer gets a prominent warning.
WARN_SHARE = 0.05
HINT = "if the pool keeps them under other names, use --text-field / --answer-field"


def ray_engine(address: str | None, workers: int | None, gpus: float, factory) -> dict:
    """What `run_stage` needs to run on Ray: options and the annotator's picklable recipe."""
    from ..annotate.ray_engine import RayOptions

    options = RayOptions(address=address, num_workers=workers, num_gpus=gpus)
    return {"options": options, "factory": factory}


def run_stage(
    pool: str,
    output: str,
    annotator,
    batch_size: int,
    strict: bool,
    restart: bool,
    what: str,
    ray: dict | None = None,
    shown_as: str | None = None,
) -> AnnotationReport:
    """Annotate `pool` into `output` (resumable), with a progress bar and a summary line;
    `shown_as` names the output in that line when it is an intermediate file."""
    check_outputs([pool], [("-o", output)])
    started = time.perf_counter()
    with cancel_on_interrupt(), progress() as bar:
        task = bar.add_task(what, total=None)
        if ray is not None:
            from ..annotate.ray_engine import run_ray_annotation

            report = run_ray_annotation(
                pool,
                output,
                annotator,
                ray["factory"],
                batch_size=batch_size,
                strict=strict,
                restart=restart,
                options=ray["options"],
                on_rows=lambda n: bar.advance(task, n),
                on_start=lambda total: bar.update(task, total=total),
            )
        else:
            report = run_annotation(
                pool,
                output,
                annotator,
                batch_size=batch_size,
                strict=strict,
                restart=restart,
                on_rows=lambda n: bar.advance(task, n),
                on_start=lambda total: bar.update(task, total=total),
                nothing_hint=HINT,
            )
    if report.discarded_checkpoint:
        changes = getattr(report, "checkpoint_changes", None) or []
        what = "the input or the options changed"
        if changes:
            what = f"changed: {', '.join(changes[:6])}"
        err_console.print(
            f"[yellow]Warning:[/] a checkpoint from a different run ({what}) was discarded; "
            "every row was annotated anew"
        )
    where = shown_as or ("stdout" if output == "-" else output)
    note = f"{report.annotated:,} of {report.rows:,} records annotated -> {where}"
    if report.resumed_rows:
        note += f" ({report.resumed_rows:,} rows resumed from a checkpoint)"
    err_console.print(f"{note} in {time.perf_counter() - started:.1f}s")
    warn_problems(report, annotator.field, getattr(annotator, "skip_value", None))
    unusable = getattr(annotator, "unusable", 0)
    if unusable:
        err_console.print(f"[yellow]Warning:[/] {unusable:,} unusable model replies in this run")
    return report


def warn_problems(report: AnnotationReport, field: str, skip_value: object) -> None:
    """Skipped and unreadable records on stderr: prominent when more than WARN_SHARE."""
    problems = report.problems
    if not problems:
        return
    shown = "; ".join(f"line {line}: {reason}" for line, reason in problems[:5])
    more = f" (and {len(problems) - 5:,} more)" if len(problems) > 5 else ""
    share = len(problems) / max(report.rows, 1)
    if share > WARN_SHARE:
        err_console.print(
            f"[bold red]Warning: {len(problems):,} of {report.rows:,} records "
            f"({share:.1%}) yielded no text or no answer or could not be read[/]: "
            f"{shown}{more}. Skipped records hold {field} = {skip_value!r} (they come last "
            f"when sampling); {HINT}.",
            markup=True,
        )
        return
    err_console.print(
        f"[yellow]Warning:[/] {len(report.skipped):,} records skipped, "
        f"{len(report.dropped):,} unreadable lines left out: {shown}{more}",
        markup=True,
    )
