"""Compiled inner loops of the lazy greedy (numba), with the same arithmetic as the fallback.

`greedy_phase` runs one phase of the greedy of `sampler.py` over a set of candidate rows: the
heap (`build_heap`, kept between calls so that a phase can stop and resume) is built from each
row's last known gain (an upper bound of its current gain, since gains
only fall), keyed by gain / cost when a cost array is given (the cost-benefit rule of a token
budget), and a row that cannot be admitted (over the budget left, its group closed or full) is
dropped from the heap for good: what is left of the budget and of a group's room only shrinks.

Import is optional: `greedy_phase_compiled` is None when numba is missing or when the
environment sets MIG_BACKEND=python.
"""

from __future__ import annotations

import math
import os

import numpy as np

greedy_phase_compiled = None
first_gains_compiled = None
build_heap_compiled = None
fill_cached_compiled = None

if os.environ.get("MIG_BACKEND", "auto") != "python":
    try:
        from numba import njit
    except ImportError:  # pragma: no cover - depends on the install
        njit = None

    if njit is not None:

        @njit(cache=True, nogil=True)
        def _phi(kind, p1, p2, x):
            if kind == 0:
                return (x + p1) ** p2
            return 1.0 - math.exp(-p1 * x)

        @njit(cache=True, nogil=True)
        def _phi_prime(kind, p1, p2, x):
            if kind == 0:
                return p2 * (x + p1) ** (p2 - 1.0)
            return p1 * math.exp(-p1 * x)

        @njit(cache=True, nogil=True)
        def _row_gain(indptr, indices, data, x, cached, i, kind, p1, p2, exact):
            # cached[j] is phi'(x_j) (gradient) or phi(x_j) (exact), kept current on updates
            g = 0.0
            for p in range(indptr[i], indptr[i + 1]):
                j = indices[p]
                if exact:
                    g += _phi(kind, p1, p2, x[j] + data[p]) - cached[j]
                else:
                    g += data[p] * cached[j]
            return g

        @njit(cache=True, nogil=True)
        def _sift_down(hg, hr, size, pos):
            # max-heap on (key desc, row asc); keys live in the heap arrays for locality
            g, r = hg[pos], hr[pos]
            while True:
                child = 2 * pos + 1
                if child >= size:
                    break
                right = child + 1
                if right < size and (
                    hg[right] > hg[child] or (hg[right] == hg[child] and hr[right] < hr[child])
                ):
                    child = right
                if hg[child] > g or (hg[child] == g and hr[child] < r):
                    hg[pos] = hg[child]
                    hr[pos] = hr[child]
                    pos = child
                else:
                    break
            hg[pos] = g
            hr[pos] = r

        @njit(cache=True, nogil=True)
        def _first_gains(indptr, indices, data, x, rows, kind, p1, p2, exact, last_gain):
            m = len(x)
            cached = np.empty(m)
            for j in range(m):
                cached[j] = _phi(kind, p1, p2, x[j]) if exact else _phi_prime(kind, p1, p2, x[j])
            for i in range(len(rows)):
                r = rows[i]
                last_gain[r] = _row_gain(indptr, indices, data, x, cached, r, kind, p1, p2, exact)

        @njit(cache=True, nogil=True)
        def _build_heap(rows, last_gain, cost, hg, hr):
            # the heap of one phase: every row keyed by its last gain (or gain / cost)
            unit = len(cost) == 0
            size = len(rows)
            for i in range(size):
                r = rows[i]
                hr[i] = r
                hg[i] = last_gain[r] if unit else last_gain[r] / cost[r]
            for pos in range(size // 2 - 1, -1, -1):
                _sift_down(hg, hr, size, pos)

        @njit(cache=True, nogil=True)
        def _fill_cached(x, kind, p1, p2, exact, cached):
            for j in range(len(x)):
                cached[j] = _phi(kind, p1, p2, x[j]) if exact else _phi_prime(kind, p1, p2, x[j])

        @njit(cache=True, nogil=True)
        def _greedy_phase(
            indptr,
            indices,
            data,
            x,
            cached,
            hg,
            hr,
            heap_size,
            last_gain,
            stamp,
            t,
            t_end,
            cost,
            group,
            room,
            need,
            left,
            kind,
            p1,
            p2,
            exact,
            out,
            out_gain,
            digest,
            taken,
            dropped,
        ):
            # cost: per-row cost (empty = every cost is 1 and keys are plain gains);
            # group / room / need: per-row group, per-group room in cost units and picks
            # still wanted in this phase (empty = no groups); left: 1-element budget left.
            # hg / hr / heap_size: the phase's heap (`_build_heap`), kept between calls;
            # cached: phi'(x) or phi(x), kept current. Lazy dedup (empty digest = off):
            # digest[row] is the row's text digest id (-1: not read yet), taken[id] says a
            # copy is already chosen or blocked. A row about to be picked whose digest is
            # unknown stops the phase: returns (t, evaluations, row) with nothing changed,
            # so that the caller reads it and calls again. A row whose digest is taken is
            # dropped (dropped[row] = True). Returns (t, evaluations, -1) when done.
            unit = len(cost) == 0
            grouped = len(group) > 0
            dedup = len(digest) > 0
            size = heap_size[0]
            evaluations = 0
            while t < t_end and size > 0:
                top = hr[0]
                c = 1.0 if unit else cost[top]
                admissible = c <= left[0]
                if admissible and grouped:
                    g = group[top]
                    admissible = need[g] > 0 and c <= room[g]
                duplicate = False
                if admissible and dedup and stamp[top] == t:
                    d = digest[top]
                    if d < 0:
                        heap_size[0] = size
                        return t, evaluations, top
                    if taken[d]:
                        duplicate = True
                        dropped[top] = True
                if not admissible or duplicate:  # never admissible again in this phase
                    size -= 1
                    hg[0] = hg[size]
                    hr[0] = hr[size]
                    _sift_down(hg, hr, size, 0)
                elif stamp[top] == t:
                    if dedup:
                        taken[digest[top]] = True
                    out[t] = top
                    out_gain[t] = last_gain[top]
                    for p in range(indptr[top], indptr[top + 1]):
                        j = indices[p]
                        x[j] += data[p]
                        if exact:
                            cached[j] = _phi(kind, p1, p2, x[j])
                        else:
                            cached[j] = _phi_prime(kind, p1, p2, x[j])
                    left[0] -= c
                    if grouped:
                        room[group[top]] -= c
                        need[group[top]] -= 1
                    size -= 1
                    hg[0] = hg[size]
                    hr[0] = hr[size]
                    _sift_down(hg, hr, size, 0)
                    t += 1
                else:
                    gain = _row_gain(indptr, indices, data, x, cached, top, kind, p1, p2, exact)
                    last_gain[top] = gain
                    hg[0] = gain if unit else gain / c
                    stamp[top] = t
                    evaluations += 1
                    _sift_down(hg, hr, size, 0)
            heap_size[0] = size
            return t, evaluations, -1

        greedy_phase_compiled = _greedy_phase
        first_gains_compiled = _first_gains
        build_heap_compiled = _build_heap
        fill_cached_compiled = _fill_cached
