"""Compiled inner loop of the lazy greedy (numba), with the same arithmetic as the fallback.

Import is optional: `lazy_greedy_compiled` is None when numba is missing or when the
environment sets MIG_BACKEND=python.
"""

from __future__ import annotations

import math
import os

import numpy as np

lazy_greedy_compiled = None

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
            # max-heap on (gain desc, row asc); keys live in the heap arrays for locality
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
        def _lazy_greedy(indptr, indices, data, x, rows, k, kind, p1, p2, exact):
            n = len(indptr) - 1
            m = len(x)
            cached = np.empty(m)
            for j in range(m):
                cached[j] = _phi(kind, p1, p2, x[j]) if exact else _phi_prime(kind, p1, p2, x[j])
            size = len(rows)
            hg = np.empty(size)
            hr = rows.copy()
            for i in range(size):
                hg[i] = _row_gain(indptr, indices, data, x, cached, hr[i], kind, p1, p2, exact)
            for pos in range(size // 2 - 1, -1, -1):
                _sift_down(hg, hr, size, pos)
            stamp = np.zeros(n, dtype=np.int64)  # step at which a row's heap gain was computed
            out = np.empty(k, dtype=np.int64)
            out_gain = np.empty(k)
            t = 0
            evaluations = 0
            while t < k and size > 0:
                top = hr[0]
                if stamp[top] == t:
                    out[t] = top
                    out_gain[t] = hg[0]
                    for p in range(indptr[top], indptr[top + 1]):
                        j = indices[p]
                        x[j] += data[p]
                        if exact:
                            cached[j] = _phi(kind, p1, p2, x[j])
                        else:
                            cached[j] = _phi_prime(kind, p1, p2, x[j])
                    size -= 1
                    hg[0] = hg[size]
                    hr[0] = hr[size]
                    _sift_down(hg, hr, size, 0)
                    t += 1
                else:
                    hg[0] = _row_gain(indptr, indices, data, x, cached, top, kind, p1, p2, exact)
                    stamp[top] = t
                    evaluations += 1
                    _sift_down(hg, hr, size, 0)
            return out[:t], out_gain[:t], evaluations

        lazy_greedy_compiled = _lazy_greedy
