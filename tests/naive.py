"""A naive dense MIG sampler written straight from design.md, for checking the fast one.

It builds the dense N x M matrix of propagated vectors and scans every record at every step,
the way the paper's reference code runs. Sums run left to right so that identical records get
bit-identical gains (their ties then go to the lowest row, as the rule says).
"""

from __future__ import annotations

import numpy as np


def dense_propagation(labels: list[str], edges: dict[tuple[str, str], float], alpha: float):
    m = len(labels)
    index = {label: i for i, label in enumerate(labels)}
    w = np.eye(m)
    for (a, b), weight in edges.items():
        if a != b:
            w[index[a], index[b]] = weight
    p = np.diag(np.diag(w)) + alpha * (w - np.diag(np.diag(w)))
    sums = p.sum(axis=0)
    sums[sums == 0] = 1.0
    return p / sums[None, :]


def dense_vectors(label_lists, scores, labels, p, norm):
    index = {label: i for i, label in enumerate(labels)}
    n, m = len(label_lists), len(labels)
    u = np.zeros((n, m))
    for i, (row, s) in enumerate(zip(label_lists, scores)):
        kept = sorted({index[x] for x in row if x in index})
        if not kept:
            continue
        value = s / len(kept) if norm else s
        for j in kept:
            u[i] += value * p[j]
    return u


def phi_fns(phi: str, a: float, b: float, lam: float):
    if phi == "pow":
        return (lambda x: (x + a) ** b), (lambda x: b * (x + a) ** (b - 1.0))
    return (lambda x: 1.0 - np.exp(-lam * x)), (lambda x: lam * np.exp(-lam * x))


def naive_select(
    label_lists,
    scores,
    labels,
    edges,
    k,
    *,
    alpha=1.0,
    phi="pow",
    a=1e-6,
    b=0.8,
    lam=1.0,
    norm=False,
    gain="gradient",
    start=None,
):
    p = dense_propagation(labels, edges, alpha)
    u = dense_vectors(label_lists, scores, labels, p, norm)
    f, fprime = phi_fns(phi, a, b, lam)
    x = np.zeros(len(labels)) if start is None else np.array(start, dtype=float)
    chosen = np.zeros(len(label_lists), dtype=bool)
    order, gains = [], []
    for _ in range(k):
        if gain == "gradient":
            g = np.cumsum(u * fprime(x)[None, :], axis=1)[:, -1]
        else:
            g = np.cumsum(f(x[None, :] + u) - f(x)[None, :], axis=1)[:, -1]
        g = np.where(chosen, -np.inf, g)
        best = int(np.argmax(g))  # argmax returns the first (lowest row) of equal maxima
        order.append(best)
        gains.append(float(g[best]))
        chosen[best] = True
        x = x + u[best]
    return order, gains, x
