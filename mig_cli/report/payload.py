"""The numbers behind the report's charts, as the JSON embedded in the page.

`report_payload(data, meta)` gathers, per input, the `mig stats` numbers, the information and
coverage curves, the binned gains, score shares, scorer components, compositions, what was left
out and the label graph's shape; `json_ready` turns numpy scalars and arrays into Python values
and NaN and infinities into null. `html.render_html` writes the result into
`<script type="application/json" id="mig-report-data">`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .data import ReportData


def report_payload(data: ReportData, meta: dict) -> dict:
    """The page's data: `meta` and, per input, curves, gains, shares and graph shape (a dict)."""

    def arr(x) -> list:
        return [float(v) for v in np.asarray(x).tolist()]

    return {
        "meta": meta,
        "inputs": [{"name": n, **s.as_dict()} for n, s in zip(data.names, data.stats)],
        "curves": [
            {
                "name": c.name,
                "kind": c.kind,
                "taken": [int(v) for v in c.curves.taken.tolist()],
                "information": arr(c.curves.information),
                "covered": [int(v) for v in c.curves.covered.tolist()],
            }
            for c in data.curves
        ],
        "gains": [
            {"name": g.name, "source": g.source, "count": g.count, "mean": arr(g.binned.mean)}
            for g in data.gains
        ],
        "scores": {"edges": arr(data.scores.edges), "shares": [arr(s) for s in data.scores.shares]},
        "components": [{"name": h.title, "means": h.means} for h in data.components],
        "compositions": [
            {"by": c.title, "categories": c.categories, "shares": [arr(s) for s in c.shares]}
            for c in data.compositions
        ],
        "left_out": [lo.__dict__ for lo in data.left_out],
        "pool_never": {
            "no_label_on_graph": data.pool_unlabelled,
            "score_0": data.pool_zero_score,
            "either": data.pool_never,
        },
        "graph": {"given": data.graph_given, **data.graph.as_dict()},
        "same_as": data.same_as,
    }


def json_ready(value: Any) -> Any:
    """JSON-ready: numpy scalars and arrays as Python values, NaN and infinities as null."""
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    if isinstance(value, np.ndarray):
        return json_ready(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)
