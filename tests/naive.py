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
    exclude=None,
    include=(),
    cost=None,
    budget=None,
    groups=None,
    caps=None,
    minimums=None,
):
    """The rule of design.md plus the selection controls (README "Selection controls"), by a
    full scan of every record at every step.

    include: rows taken first, in order, counted in k; cost + budget: pick the largest
    gain / cost among the records whose cost fits in what is left, then compare with the best
    single affordable record by I (exact information); groups (group index per row) with caps
    (most cost per group) and minimums (fewest records per group): a record whose group would
    pass its cap is not admissible; while a group is under its minimum only such groups'
    records are admissible. Returns (rows, gains, X); raises AssertionError when a minimum is
    not met.
    """
    p = dense_propagation(labels, edges, alpha)
    u = dense_vectors(label_lists, scores, labels, p, norm)
    f, fprime = phi_fns(phi, a, b, lam)
    n = len(label_lists)
    x = np.zeros(len(labels)) if start is None else np.array(start, dtype=float)
    c = np.ones(n) if cost is None else np.asarray(cost, dtype=float)
    left = np.inf if budget is None else float(budget)
    grouped = groups is not None
    if grouped:
        groups = np.asarray(groups)
        room = np.array(caps, dtype=float)
        need = np.array(minimums, dtype=np.int64)
    blocked = np.zeros(n, dtype=bool) if exclude is None else np.array(exclude, dtype=bool)
    chosen = np.zeros(n, dtype=bool)
    order, gains = [], []

    def gains_at(x):
        if gain == "gradient":
            return np.cumsum(u * fprime(x)[None, :], axis=1)[:, -1]
        return np.cumsum(f(x[None, :] + u) - f(x)[None, :], axis=1)[:, -1]

    def take(row):
        nonlocal x, left
        g = gains_at(x)[row]
        order.append(int(row))
        gains.append(float(g))
        chosen[row] = True
        x = x + u[row]
        left -= c[row]
        if grouped:
            room[groups[row]] -= c[row]
            need[groups[row]] -= 1

    for row in include:
        take(row)
    x_included, left_included = x.copy(), left
    room_included = room.copy() if grouped else None

    def admissible(minimum_phase):
        ok = ~blocked & ~chosen & (c <= left)
        if grouped:
            ok &= c <= room[groups]
            if minimum_phase:
                ok &= need[groups] > 0
        return ok

    for minimum_phase in [True, False] if grouped else [False]:
        while len(order) < k:
            ok = admissible(minimum_phase)
            if not ok.any():
                break
            g = gains_at(x)
            key = g if cost is None else g / c
            key = np.where(ok, key, -np.inf)
            take(int(np.argmax(key)))  # argmax: the first (lowest row) of equal maxima
        if minimum_phase:
            assert not (need > 0).any(), "a minimum was not met"
    if budget is not None and not (grouped and np.any(minimums)) and k > len(include):
        ok = ~blocked & np.isin(np.arange(n), include, invert=True) & (c <= left_included)
        if grouped:
            ok &= c <= room_included[groups]
        if ok.any():
            exact = np.cumsum(f(x_included[None, :] + u) - f(x_included)[None, :], axis=1)[:, -1]
            best = int(np.argmax(np.where(ok, exact, -np.inf)))
            single = float(np.sum(f(x_included + u[best])))
            if single > float(np.sum(f(x))):
                if gain == "gradient":
                    g = float(np.cumsum(u[best] * fprime(x_included))[-1])
                else:
                    g = float(exact[best])
                n_inc = len(include)
                return list(order[:n_inc]) + [best], gains[:n_inc] + [g], x_included + u[best]
    return order, gains, x
