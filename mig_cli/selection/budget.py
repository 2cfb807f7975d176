"""Selection under a budget (token budget): the cost-benefit greedy and its single-item guard.

The rule (README, "Token budget"): every record i has a cost c_i > 0 (tokens, characters or a
field) and the subset's total cost may not pass the budget B. At each step the greedy takes, among
the records whose cost fits in what is left of B (and in their group's room under a quota), the
one with the largest gain_i / c_i, ties to the lowest row; a record that does not fit is dropped
for good (what is left only shrinks). Gains only fall as X grows and costs are fixed, so the
ratios only fall too, and the lazy heap keyed by ratio returns exactly the picks of a full scan.

The ratio greedy alone can be arbitrarily bad (one cheap record of tiny gain beats one record
that would fill the budget with a large gain). The standard guard (Khuller, Moss and Naor 1999,
"The budgeted maximum coverage problem"; Leskovec et al. 2007, CELF) is to also consider the best
single affordable record: with S_g the greedy's set and i* the affordable record of largest
I({i}) (exact information, whatever the gain mode), the result is {i*} when I({i*}) > I(S_g),
else S_g. For a monotone submodular objective the better of the two is within (1 - 1/e) / 2 of
the best subset under the budget. `--include` records stay in both candidates and are counted
in I; the guard is off when quotas set minimums (a single record would not meet them).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..errors import MigError
from .phi import Phi


class BudgetError(MigError):
    """A budget that the costs or the included records cannot meet (exit 1)."""


def check_costs(cost: np.ndarray, n: int) -> None:
    """Costs must be one finite number > 0 per row."""
    if cost.shape != (n,):
        raise ValueError(f"expected {n} costs, got {cost.shape[0]}")
    bad = ~np.isfinite(cost) | (cost <= 0)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise BudgetError(f"row {row}: a cost must be a finite number > 0, got {cost[row]!r}")


def best_single(
    csr: tuple[np.ndarray, np.ndarray, np.ndarray],
    x: np.ndarray,
    rows: np.ndarray,
    affordable: np.ndarray,
    phi: Phi,
) -> tuple[int, float] | None:
    """The row of `rows[affordable]` whose u adds the most information to X, and I(X + u).

    Returns None when no row is affordable. Ties go to the lowest row.
    """
    candidates = rows[affordable]
    if not len(candidates):
        return None
    indptr, indices, data = csr
    n = len(indptr) - 1
    exact = np.zeros(n)
    step = 1 << 16  # rows per block: temporaries stay a few MiB however large the pool
    for lo in range(0, n, step):
        hi = min(n, lo + step)
        a, b = indptr[lo], indptr[hi]
        cols = indices[a:b]
        terms = phi.value(x[cols] + data[a:b]) - phi.value(x[cols])
        block = sp.csr_matrix((terms, cols, indptr[lo : hi + 1] - a), shape=(hi - lo, len(x)))
        exact[lo:hi] = block @ np.ones(len(x))
    best = int(candidates[int(np.argmax(exact[candidates]))])
    lo, hi = indptr[best], indptr[best + 1]
    after = x.copy()
    after[indices[lo:hi]] += data[lo:hi]
    return best, float(np.sum(phi.value(after)))


def single_gain(
    csr: tuple[np.ndarray, np.ndarray, np.ndarray], x: np.ndarray, row: int, phi: Phi, exact: bool
) -> float:
    """The gain of `row` at X in the run's gain mode (summed left to right)."""
    indptr, indices, data = csr
    lo, hi = indptr[row], indptr[row + 1]
    cols, vals = indices[lo:hi], data[lo:hi]
    terms = (
        phi.value(x[cols] + vals) - phi.value(x[cols]) if exact else vals * phi.derivative(x[cols])
    )
    g = 0.0
    for term in terms.tolist():
        g += term
    return g
