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
        def _row_gain(indptr, indices, data, x, i, kind, p1, p2, exact):
            g = 0.0
            for p in range(indptr[i], indptr[i + 1]):
                j = indices[p]
                if exact:
                    g += _phi(kind, p1, p2, x[j] + data[p]) - _phi(kind, p1, p2, x[j])
                else:
                    g += data[p] * _phi_prime(kind, p1, p2, x[j])
            return g

        @njit(cache=True, nogil=True)
        def _sift_down(heap, size, pos, gains):
            item = heap[pos]
            while True:
                child = 2 * pos + 1
                if child >= size:
                    break
                right = child + 1
                if right < size:
                    a, b = heap[right], heap[child]
                    if gains[a] > gains[b] or (gains[a] == gains[b] and a < b):
                        child = right
                c = heap[child]
                if gains[c] > gains[item] or (gains[c] == gains[item] and c < item):
                    heap[pos] = c
                    pos = child
                else:
                    break
            heap[pos] = item

        @njit(cache=True, nogil=True)
        def _lazy_greedy(indptr, indices, data, x, rows, k, kind, p1, p2, exact):
            n = len(indptr) - 1
            gains = np.zeros(n)
            stamp = np.full(n, -1, dtype=np.int64)
            for r in rows:
                gains[r] = _row_gain(indptr, indices, data, x, r, kind, p1, p2, exact)
                stamp[r] = 0
            heap = rows.copy()
            size = len(heap)
            for pos in range(size // 2 - 1, -1, -1):
                _sift_down(heap, size, pos, gains)
            out = np.empty(k, dtype=np.int64)
            out_gain = np.empty(k)
            t = 0
            evaluations = 0
            while t < k and size > 0:
                top = heap[0]
                if stamp[top] == t:
                    out[t] = top
                    out_gain[t] = gains[top]
                    for p in range(indptr[top], indptr[top + 1]):
                        x[indices[p]] += data[p]
                    size -= 1
                    heap[0] = heap[size]
                    _sift_down(heap, size, 0, gains)
                    t += 1
                else:
                    gains[top] = _row_gain(indptr, indices, data, x, top, kind, p1, p2, exact)
                    stamp[top] = t
                    evaluations += 1
                    _sift_down(heap, size, 0, gains)
            return out[:t], out_gain[:t], evaluations

        lazy_greedy_compiled = _lazy_greedy
