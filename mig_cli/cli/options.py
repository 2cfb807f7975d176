"""Options and arguments shared by the commands, and the small helpers that read them."""

from __future__ import annotations

import math
from enum import Enum

import typer

from ..errors import DataError
from ..records.annotations import Annotations, read_annotations
from ..records.fields import PRESETS
from ..records.formats import read_pool
from ..records.pool import Pool
from ..selection.phi import make_phi
from .common import err_console


class Method(str, Enum):
    mig = "mig"
    random = "random"
    top_score = "top-score"


class PhiName(str, Enum):
    pow = "pow"
    exp = "exp"


class Gain(str, Enum):
    gradient = "gradient"
    exact = "exact"


Preset = Enum("Preset", {name: name for name in PRESETS}, type=str)  # type: ignore[misc]


POOL_ARG = typer.Argument(
    ...,
    metavar="POOL",
    help="Annotated pool: .jsonl, .jsonl.gz, .parquet, a datasets folder, or - (stdin).",
)
LABELS_FIELD = typer.Option(
    None, "--labels-field", help="Field (dotted path) holding the labels [default: labels]."
)
SCORE_FIELD = typer.Option(
    None, "--score-field", help="Field (dotted path) holding the score [default: score]."
)
PRESET = typer.Option(
    None, "--preset", help="Where labels and score live: 'xsample' reads the MIG authors' pools."
)
MODEL = typer.Option(
    None, "--model", help="Embedding model: hub name or local folder [default: bundled MiniLM]."
)


def finite(value: float | None) -> float | None:
    """Option callback: NaN and infinities are usage errors (click's ranges let them through)."""
    if value is not None and math.isnan(value):
        raise typer.BadParameter("not a number (nan)")
    if value is not None and not math.isfinite(value):
        raise typer.BadParameter(f"must be a finite number, got {value}")
    return value


def finite_between(low: float | None = None, high: float | None = None):
    """Option callback: `finite`, then low <= value <= high (NaN is 'not a number', never a
    range message: click's own range check would run first and say 'Input should be ...')."""

    def check(value: float | None) -> float | None:
        value = finite(value)
        if value is not None and low is not None and value < low:
            raise typer.BadParameter(f"must be >= {low:g}, got {value:g}")
        if value is not None and high is not None and value > high:
            raise typer.BadParameter(f"must be <= {high:g}, got {value:g}")
        return value

    return check


EDGE_THRESHOLD = typer.Option(
    None,
    "--edge-threshold",
    help="Join labels with cosine >= this: a number, or 'auto' (from the label similarities) "
    "[default: calibrated for the model (0.5 for the bundled MiniLM), else auto; raised "
    "where the mean degree would pass 32].",
)
MAX_NODES = typer.Option(None, "--max-nodes", min=1, help="Keep only the N most frequent labels.")
MIN_COUNT = typer.Option(None, "--min-count", min=1, help="Keep labels carried by >= N records.")
CACHE_DIR = typer.Option(
    None, "--cache-dir", help="Label-embedding cache [default: $MIG_CACHE_DIR or ~/.cache/mig]."
)
PROP_WEIGHT = typer.Option(
    1.0, "--prop-weight", callback=finite_between(0.0), help="Propagation weight alpha."
)
PHI = typer.Option(PhiName.pow, "--phi", help="Concave information function.")
PHI_A = typer.Option(1e-6, "--phi-a", callback=finite_between(0.0), help="pow: phi(x) = (x + a)^b.")
PHI_B = typer.Option(
    0.8, "--phi-b", callback=finite_between(0.0, 1.0), help="pow: phi(x) = (x + a)^b."
)
PHI_LAMBDA = typer.Option(
    1.0, "--phi-lambda", callback=finite_between(0.0), help="exp: phi(x) = 1 - e^(-lambda x)."
)
NORM = typer.Option(False, "--norm/--no-norm", help="Divide a record's score by its label count.")


def phi_from_options(phi: PhiName, a: float, b: float, lam: float):
    for flag, value in (("--phi-a", a), ("--phi-b", b), ("--phi-lambda", lam)):
        if value is not None and math.isnan(value):
            raise typer.BadParameter("not a number (nan)", param_hint=f"'{flag}'")
    try:
        return make_phi(phi.value, a=a, b=b, lam=lam)
    except ValueError as exc:
        hint = "'--phi-a' / '--phi-b' / '--phi-lambda'"
        raise typer.BadParameter(str(exc), param_hint=hint) from None


def read_input(path: str, what: str = "reading", *, allow_empty: bool = False) -> Pool:
    with err_console.status(f"{what} {path}"):
        pool = read_pool(path)
    if not allow_empty and len(pool) == 0:
        raise DataError("the pool is empty", source=pool.source)
    return pool


def annotations_of(pool: Pool, labels_field, score_field, preset) -> Annotations:
    return read_annotations(
        pool,
        labels_field=labels_field,
        score_field=score_field,
        preset=preset.value if preset is not None else None,
    )
