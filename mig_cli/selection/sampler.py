"""The MIG sampler: lazy greedy over sparse propagated vectors (built by `propagation.py`).

Exactly the rule of design.md: greedy on gain_i = u_i . phi'(X) (gradient) or
sum_j phi(X_j + u_ij) - phi(X_j) (exact), ties to the lowest row, over u_i = v_i P. Gains only
fall as X grows, so a lazy max-heap returns the same sequence as a full scan while touching a
few rows per step. The baseline samplers are in `baselines.py`.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from . import kernels
from .budget import BudgetError, best_single, check_costs, single_gain
from .lazy_dedup import LazyDuplicates
from .phi import Phi
from .quota import GroupLimits, QuotaError, check_feasible

GAIN_MODES = ("gradient", "exact")


def information(x: np.ndarray, phi: Phi) -> float:
    """I(D) = sum_j phi(X_j)."""
    return float(np.sum(phi.value(np.asarray(x, dtype=np.float64))))


def eligible_rows(n: int, k: int, exclude: np.ndarray | None) -> np.ndarray:
    """Row indices that may be chosen; k larger than their number is a ValueError."""
    rows = np.arange(n, dtype=np.int64)
    if exclude is not None:
        rows = rows[~np.asarray(exclude, dtype=bool)]
    if k > len(rows):
        raise ValueError(f"k={k} is larger than the {len(rows)} records that can be chosen")
    return rows


@dataclass
class Selection:
    """Selected rows in selection order, each with the gain it had when chosen.

    `included` leading rows are the `include` rows (picked first, in their order); `guard` is
    "single" when a budgeted run returned the best single affordable record instead of the
    greedy's set (see `budget.py`), else "".
    """

    rows: np.ndarray
    gains: np.ndarray
    state: np.ndarray | None = None  # X after the selection (MIG only)
    evaluations: int = 0
    information: float | None = None  # I(D) of the state after the selection (MIG only)
    start_information: float | None = None  # I(D) of the `given` records alone (MIG only)
    coverage: Any = None  # what the pool gave to select by (selection.coverage.Coverage)
    included: int = 0
    cost: float | None = None  # total cost of the rows, when costs were given
    guard: str = ""
    duplicates: np.ndarray | None = None  # rows dropped as copies (lazy dedup), ascending


class MigSampler:
    """Greedy information-gain maximiser over CSR propagated vectors.

    `select` runs the rule of design.md ("The MIG sampler, exactly"), extended by the selection
    controls: `include` rows start the subset, `cost` + `budget` turn the rule into the
    cost-benefit greedy (key gain / cost, rows over the budget left dropped; `budget.py`), and
    `groups` closes a group at its cap and meets minimums first (`quota.py`). Without controls
    the picks are those of the plain rule.
    """

    def __init__(self, phi: Phi, gain: str = "gradient", backend: str = "auto") -> None:
        if gain not in GAIN_MODES:
            raise ValueError(f"unknown gain mode '{gain}' (choose from {', '.join(GAIN_MODES)})")
        if backend not in ("auto", "numba", "python"):
            raise ValueError("backend must be auto, numba or python")
        if backend == "numba" and kernels.greedy_phase_compiled is None:
            raise ValueError("the numba backend is not available (pip install numba)")
        self.phi = phi
        self.gain = gain
        self.backend = (
            "numba"
            if backend in ("auto", "numba") and kernels.greedy_phase_compiled is not None
            else "python"
        )

    def select(
        self,
        u: sp.csr_matrix,
        k: int | None,
        *,
        start: np.ndarray | None = None,
        exclude: np.ndarray | None = None,
        include: np.ndarray | None = None,
        cost: np.ndarray | None = None,
        budget: float | None = None,
        groups: GroupLimits | None = None,
        duplicates: LazyDuplicates | None = None,
    ) -> Selection:
        """Pick up to k rows of `u` (N x M CSR), `include` rows first, counted in k.

        start: initial X (M,); exclude: bool (N,) rows never picked; include: row indices
        picked first in their order; cost: float64 (N,) > 0 per row; budget: most total cost
        (None = no budget; k None = as many as the budget allows); groups: quota limits;
        duplicates: lazy exact dedup (`lazy_dedup.py`): a row about to be picked is read and
        dropped when a copy of it is already chosen or blocked (`Selection.duplicates`).
        Raises ValueError when k exceeds the rows that can be chosen (without a budget) and
        `QuotaError` when the quotas cannot be met.
        """
        n, m = u.shape
        x = np.zeros(m) if start is None else np.array(start, dtype=np.float64)
        include = np.zeros(0, np.int64) if include is None else np.asarray(include, np.int64)
        blocked = np.zeros(n, dtype=bool) if exclude is None else np.array(exclude, dtype=bool)
        blocked[include] = True
        if k is None:
            if budget is None:
                raise ValueError("give k, a budget, or both")
            k = n
        if k < len(include):
            raise ValueError(f"k={k} is smaller than the {len(include)} included records")
        if budget is None:
            rows = eligible_rows(n, k - len(include), blocked)
        else:
            rows = np.flatnonzero(~blocked).astype(np.int64)
        indptr = np.asarray(u.indptr, dtype=np.int64)  # no copies of the big arrays when
        indices = np.asarray(u.indices, dtype=np.int32)  # scipy already holds these dtypes
        data = np.asarray(u.data, dtype=np.float64)
        csr = (indptr, indices, data)
        costs = np.zeros(0) if cost is None else np.asarray(cost, dtype=np.float64)
        if cost is not None:
            check_costs(costs, n)
        left = np.array([np.inf if budget is None else float(budget)])
        room = np.zeros(0) if groups is None else groups.cap.astype(np.float64)
        need = np.zeros(0, np.int64) if groups is None else groups.minimum.copy()
        out_gain = np.empty(k)
        out = np.empty(k, dtype=np.int64)
        for t, row in enumerate(include.tolist()):
            out[t], out_gain[t] = row, self._add_row(csr, x, row)
            c = 1.0 if cost is None else costs[row]
            left[0] -= c
            if groups is not None:
                room[groups.group[row]] -= c
                need[groups.group[row]] -= 1
        if left[0] < 0:
            raise BudgetError(
                f"the included records cost {budget - left[0]:,.0f}, more than the budget of "
                f"{budget:,.0f}"
            )
        if groups is not None:
            check_feasible(groups, rows, include, k, None if cost is None else costs, budget)
        x_included, left_included, room_included = x.copy(), float(left[0]), room.copy()
        exact = self.gain == "exact"
        last_gain = np.zeros(n)
        stamp = np.zeros(n, dtype=np.int64)
        self._first_gains(csr, x, rows, exact, last_gain)
        dedup = (
            (np.zeros(0, np.int64), np.zeros(0, bool), np.zeros(0, bool))
            if duplicates is None
            else (duplicates.digest, duplicates.taken, np.zeros(n, dtype=bool))
        )
        state = (csr, x, last_gain, stamp, costs, groups, room, left, exact, out, out_gain, dedup)

        def run(state, rows, t, t_end, need):
            return self._phase(state, rows, t, t_end, need, duplicates)

        t, evaluations = len(include), 0
        if groups is not None and (need > 0).any():
            wanted = rows[need[groups.group[rows]] > 0]
            t, evals = run(state, wanted, t, k, need)
            evaluations += evals
            short = np.flatnonzero(need > 0)
            if len(short):
                g = int(short[0])
                raise QuotaError(
                    f"--min-count {groups.names[g]}={groups.minimum[g]} was not met within "
                    f"the budget and the caps: the greedy reached "
                    f"{groups.minimum[g] - need[g]:,} records of {groups.field} = "
                    f"'{groups.names[g]}' before nothing more fitted"
                )
        if groups is not None:
            need = np.full(len(need), n + 1, dtype=np.int64)
        taken = np.zeros(n, dtype=bool)
        taken[out[:t]] = True
        t, evals = run(state, rows[~taken[rows]], t, k, need)
        evaluations += evals
        chosen = Selection(
            out[:t].copy(), out_gain[:t].copy(), x, evaluations, included=len(include)
        )
        if duplicates is not None:
            chosen.duplicates = np.flatnonzero(dedup[2])
        if cost is not None:
            chosen.cost = float(costs[chosen.rows].sum())
        if budget is not None and (groups is None or not groups.minimum.any()) and k > len(include):
            unit = np.ones(n) if cost is None else costs
            affordable = unit[rows] <= left_included
            if groups is not None:
                affordable &= unit[rows] <= room_included[groups.group[rows]]
            single = best_single(csr, x_included, rows, affordable, self.phi)
            while single is not None and duplicates is not None:  # not a copy of a blocked row
                if not duplicates.blocked_before(single[0]):
                    break
                affordable &= rows != single[0]
                single = best_single(csr, x_included, rows, affordable, self.phi)
            if single is not None and single[1] > information(x, self.phi):
                best = single[0]
                gain = single_gain(csr, x_included, best, self.phi, exact)
                x_single = x_included.copy()
                self._add_row(csr, x_single, best)
                chosen = Selection(
                    np.append(include, best),
                    np.append(out_gain[: len(include)], gain),
                    x_single,
                    evaluations,
                    included=len(include),
                    cost=float(unit[include].sum() + unit[best]) if cost is not None else None,
                    guard="single",
                )
                if duplicates is not None:
                    chosen.duplicates = np.zeros(0, np.int64)  # the greedy's set was dropped
        return chosen

    def _add_row(self, csr, x: np.ndarray, row: int) -> float:
        """X += u_row; returns the row's gain at X before the update."""
        indptr, indices, data = csr
        lo, hi = indptr[row], indptr[row + 1]
        cols, vals = indices[lo:hi], data[lo:hi]
        cached = self.phi.value(x[cols]) if self.gain == "exact" else self.phi.derivative(x[cols])
        terms = self.phi.value(x[cols] + vals) - cached if self.gain == "exact" else vals * cached
        g = 0.0
        for term in terms.tolist():
            g += term
        x[cols] += vals
        return g

    def _first_gains(self, csr, x, rows, exact, last_gain) -> None:
        indptr, indices, data = csr
        if self.backend == "numba":
            phi = self.phi
            kernels.first_gains_compiled(
                indptr, indices, data, x, rows, phi.kind, phi.p1, phi.p2, exact, last_gain
            )
            return
        # All at once: scipy's CSR product sums each row left to right, exactly like
        # _row_gain, so the values are the ones a row-by-row loop would give.
        cached = self._cached(x, exact)
        terms = self.phi.value(x[indices] + data) - cached[indices] if exact else data
        weights = sp.csr_matrix((terms, indices, indptr), shape=(len(indptr) - 1, len(x)))
        first = weights @ (np.ones(len(x)) if exact else cached)
        last_gain[rows] = first[rows]

    def _phase(self, state, rows, t, t_end, need, duplicates):
        """One greedy phase over `rows`; with lazy dedup, reads the rows the phase stops at
        (and the likely next picks, `LazyDuplicates.rows_to_read`) and resumes."""
        step = self._step_numba if self.backend == "numba" else self._step_python
        if self.backend == "numba":
            heap = self._heap_numba(state, rows)
        else:
            heap = self._heap_python(state, rows)
        evaluations, first = 0, True
        while True:
            t, evals, stop = step(state, heap, t, t_end, need)
            evaluations += evals
            if stop < 0:
                return t, evaluations
            keys, heap_rows = self._heap_keys(heap)
            remaining, costs, left = t_end - t, state[4], float(state[7][0])
            if math.isfinite(left):  # a budget: about as many picks as it still affords
                mean = float(costs[heap_rows].mean()) if len(costs) else 1.0
                remaining = min(remaining, int(left / mean) + 1)
            duplicates.read(duplicates.rows_to_read(keys, heap_rows, remaining, stop, first))
            first = False

    def _heap_numba(self, state, rows):
        csr, x, last_gain, stamp, costs = state[:5]
        exact = state[8]
        hg, hr = np.empty(len(rows)), np.empty(len(rows), dtype=np.int64)
        kernels.build_heap_compiled(np.asarray(rows, np.int64), last_gain, costs, hg, hr)
        cached = np.empty(len(x))
        phi = self.phi
        kernels.fill_cached_compiled(x, phi.kind, phi.p1, phi.p2, exact, cached)
        return hg, hr, np.array([len(rows)], dtype=np.int64), cached

    def _heap_keys(self, heap) -> tuple[np.ndarray, np.ndarray]:
        """(keys, rows) of the heap's entries, in no order."""
        if self.backend == "numba":
            hg, hr, size, _ = heap
            return hg[: size[0]], hr[: size[0]]
        entries, _ = heap
        if not entries:
            return np.zeros(0), np.zeros(0, np.int64)
        keys, rows = zip(*entries)
        return -np.asarray(keys, dtype=np.float64), np.asarray(rows, dtype=np.int64)

    def _step_numba(self, state, heap, t, t_end, need):
        csr, x, last_gain, stamp, costs, groups, room, left, exact, out, out_gain, dedup = state
        hg, hr, size, cached = heap
        group = np.zeros(0, np.int32) if groups is None else groups.group
        phi = self.phi
        t, evals, stop = kernels.greedy_phase_compiled(
            *csr,
            x,
            cached,
            hg,
            hr,
            size,
            last_gain,
            stamp,
            t,
            t_end,
            costs,
            group,
            room,
            need,
            left,
            phi.kind,
            phi.p1,
            phi.p2,
            exact,
            out,
            out_gain,
            *dedup,
        )
        return int(t), int(evals), int(stop)

    def _cached(self, x: np.ndarray, exact: bool) -> np.ndarray:
        return self.phi.value(x) if exact else self.phi.derivative(x)

    def _row_gain(self, indptr, indices, data, x, cached, i, exact) -> float:
        lo, hi = indptr[i], indptr[i + 1]
        cols = indices[lo:hi]
        vals = data[lo:hi]
        terms = self.phi.value(x[cols] + vals) - cached[cols] if exact else vals * cached[cols]
        g = 0.0
        for term in terms.tolist():  # sequential, like the compiled kernel
            g += term
        return g

    def _heap_python(self, state, rows):
        x, last_gain, costs, exact = state[1], state[2], state[4], state[8]
        keys = last_gain[rows] if len(costs) == 0 else last_gain[rows] / costs[rows]
        heap = list(zip((-keys).tolist(), np.asarray(rows).tolist()))
        heapq.heapify(heap)
        return heap, self._cached(x, exact)

    def _step_python(self, state, heap_state, t, t_end, need):
        """The same step as `kernels._greedy_phase`, with heapq (the fallback backend)."""
        (indptr, indices, data), x, last_gain, stamp, costs, groups, room, left, exact = state[:9]
        out, out_gain, (digest, taken, dropped) = state[9:]
        heap, cached = heap_state
        unit = len(costs) == 0
        group = None if groups is None else groups.group
        dedup = len(digest) > 0
        evaluations = 0
        while t < t_end and heap:
            neg, row = heap[0]
            c = 1.0 if unit else float(costs[row])
            admissible = c <= left[0]
            if admissible and group is not None:
                g = group[row]
                admissible = need[g] > 0 and c <= room[g]
            duplicate = False
            if admissible and dedup and stamp[row] == t:
                if digest[row] < 0:
                    return t, evaluations, row
                duplicate = bool(taken[digest[row]])
                dropped[row] = duplicate
            if not admissible or duplicate:
                heapq.heappop(heap)
            elif stamp[row] == t:
                heapq.heappop(heap)
                if dedup:
                    taken[digest[row]] = True
                out[t], out_gain[t] = row, last_gain[row]
                lo, hi = indptr[row], indptr[row + 1]
                cols = indices[lo:hi]
                x[cols] += data[lo:hi]
                cached[cols] = self._cached(x[cols], exact)
                left[0] -= c
                if group is not None:
                    room[group[row]] -= c
                    need[group[row]] -= 1
                t += 1
            else:
                gain = self._row_gain(indptr, indices, data, x, cached, row, exact)
                evaluations += 1
                last_gain[row] = gain
                stamp[row] = t
                heapq.heapreplace(heap, (-(gain if unit else gain / c), row))
        return t, evaluations, -1
