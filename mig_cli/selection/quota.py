"""Quotas over a grouping field: caps (`--max-share`) and minimums (`--min-count`) per group.

A quota names a field (`source`, `category`, ...); each distinct value is a group. A cap bounds
how much of the subset a group may take, as a share of the subset's size measured in the unit of
the stopping rule: records of K (`-k`, the largest K when several are given) or cost units of the
budget (`--budget-tokens`). A minimum asks for at least that many records of a group.

The greedy enforces both inside the selection (see `sampler.MigSampler.select`): a group whose
next record would pass its cap is closed (its rows leave the heap), and minimums are met first by
a greedy phase restricted to the groups still under their minimum. What can be checked before the
selection starts is checked by `check_feasible`, which raises `QuotaError` (exit 1) naming the
group: a minimum above its group's cap, more records asked for than the group has, minimums
adding up to more than K, or (under a budget) more cost than the budget for the cheapest records
that would meet them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import MigError

EVERY_GROUP = "*"
MISSING_GROUP = "(missing)"


class QuotaError(MigError):
    """Quotas that no subset can meet (exit 1), or that name a group the pool does not have."""


@dataclass
class GroupLimits:
    """Groups of the rows and their limits.

    group: int32 (N,), index into `names` for every row of the pool;
    cap: float64 (G,), most a group may hold, in cost units (records when costs are 1); inf = none;
    minimum: int64 (G,), fewest records a group must hold (0 = none).
    """

    field: str
    group: np.ndarray
    names: list[str]
    cap: np.ndarray
    minimum: np.ndarray

    def counts(self, rows: np.ndarray) -> dict[str, int]:
        """Records per group among `rows` (groups with none left out)."""
        found = np.bincount(self.group[np.asarray(rows, dtype=np.int64)], minlength=len(self.names))
        return {self.names[g]: int(c) for g, c in enumerate(found.tolist()) if c}


def group_codes(values: Sequence[object]) -> tuple[np.ndarray, list[str]]:
    """Group index per row and the group names (sorted); None becomes '(missing)'."""
    text = [MISSING_GROUP if v is None else str(v) for v in values]
    names = sorted(set(text))
    index = {name: i for i, name in enumerate(names)}
    return np.fromiter((index[t] for t in text), dtype=np.int32, count=len(text)), names


def _per_group(
    spec: Mapping[str, float], names: list[str], field: str, what: str
) -> dict[int, float]:
    out: dict[int, float] = {}
    index = {name: i for i, name in enumerate(names)}
    if EVERY_GROUP in spec:
        out = dict.fromkeys(range(len(names)), spec[EVERY_GROUP])
    for value, limit in spec.items():
        if value == EVERY_GROUP:
            continue
        if value not in index:
            shown = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "")
            raise QuotaError(f"{what}: no record has {field} = '{value}' (values: {shown})")
        out[index[value]] = limit
    return out


def quota_limits(
    field: str,
    values: Sequence[object],
    *,
    max_share: Mapping[str, float] | None = None,
    min_count: Mapping[str, int] | None = None,
    size: float,
) -> GroupLimits:
    """Limits for the groups of `values` (one per row). `size` is K, or the budget in cost units.

    A cap is floor(share * size); `*` stands for every group not named on its own.
    """
    group, names = group_codes(values)
    cap = np.full(len(names), np.inf)
    for g, share in _per_group(max_share or {}, names, field, "--max-share").items():
        if not 0.0 <= share <= 1.0:
            raise QuotaError(f"--max-share for '{names[g]}' must be between 0 and 1, got {share}")
        cap[g] = float(math.floor(share * size))
    minimum = np.zeros(len(names), dtype=np.int64)
    for g, count in _per_group(min_count or {}, names, field, "--min-count").items():
        if count < 0 or count != int(count):
            raise QuotaError(f"--min-count for '{names[g]}' must be a whole number >= 0")
        minimum[g] = int(count)
    return GroupLimits(field, group, names, cap, minimum)


def check_feasible(
    limits: GroupLimits,
    candidates: np.ndarray,
    included: np.ndarray,
    k: int,
    cost: np.ndarray | None,
    budget: float | None,
) -> None:
    """Raise `QuotaError` when no subset of `candidates` (rows) can meet the limits.

    `included` rows are already in the subset (they count toward caps and minimums); `k` is the
    largest number of records the subset may hold, included ones counted.
    """
    unit = np.ones(len(limits.group)) if cost is None else cost
    g_count = len(limits.names)
    inc_groups = limits.group[included]
    held = np.bincount(inc_groups, minlength=g_count)
    held_cost = np.bincount(inc_groups, weights=unit[included], minlength=g_count)
    for g in np.flatnonzero(held_cost > limits.cap).tolist():
        raise QuotaError(
            f"the included records already pass the cap of {limits.field} = "
            f"'{limits.names[g]}' ({held_cost[g]:,.0f} > {limits.cap[g]:,.0f})"
        )
    need = np.maximum(limits.minimum - held, 0)
    if not need.any():
        return
    cand_groups = limits.group[candidates]
    available = np.bincount(cand_groups, minlength=g_count)
    for g in np.flatnonzero(need > available).tolist():
        raise QuotaError(
            f"--min-count {limits.names[g]}={limits.minimum[g]} cannot be met: the pool has "
            f"{available[g] + held[g]:,} records with {limits.field} = '{limits.names[g]}' "
            "that may be chosen"
        )
    if int(need.sum()) > k - len(included):
        raise QuotaError(
            f"the minimums add up to {int(need.sum() + held[need > 0].sum()):,} records, "
            f"more than K = {k:,}"
        )
    # the cheapest records that would meet each minimum, against the cap and the budget
    order = np.lexsort((candidates, unit[candidates], cand_groups))
    sorted_groups = cand_groups[order]
    starts = np.searchsorted(sorted_groups, np.arange(g_count))
    rank = np.arange(len(order)) - starts[sorted_groups]
    take = rank < need[sorted_groups]
    cheapest = np.bincount(
        sorted_groups[take], weights=unit[candidates][order][take], minlength=g_count
    )
    for g in np.flatnonzero(held_cost + cheapest > limits.cap).tolist():
        raise QuotaError(
            f"--min-count {limits.names[g]}={limits.minimum[g]} cannot be met under the "
            f"--max-share cap of {limits.cap[g]:,.0f} for {limits.field} = '{limits.names[g]}'"
        )
    if budget is not None:
        spent = float(unit[included].sum())
        if spent + float(cheapest.sum()) > budget:
            raise QuotaError(
                f"the minimums need at least {spent + float(cheapest.sum()):,.0f} cost units "
                f"(their cheapest records), more than the budget of {budget:,.0f}"
            )
