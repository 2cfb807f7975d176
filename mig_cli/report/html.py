"""Put the report together: one self-contained HTML page (inline CSS, inline SVG, no fetch).

The page carries a Content-Security-Policy that forbids every network request, so opening it
offline or online looks the same. A few lines of inline script only count page errors (script
errors, blocked or failed resources) into `<body data-mig-errors="N">`, so a check in a real
browser can tell a clean render from a broken one. The numbers behind the charts are embedded as
JSON in `<script type="application/json" id="mig-report-data">` for anyone who wants them
(`payload`).
"""

from __future__ import annotations

import html
import json
import math
from typing import Any

from . import charts
from .data import ReportData
from .payload import json_ready, report_payload

CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
    "img-src data:; font-src data:"
)

ERROR_PROBE = """
(function () {
  var errors = [];
  function note(message) {
    errors.push(String(message));
    if (document.body) document.body.setAttribute('data-mig-errors', String(errors.length));
  }
  window.addEventListener('error', function (e) {
    var t = e.target;
    note(e.message || ('could not load ' + ((t && (t.src || t.href)) || 'a resource')));
  }, true);
  window.addEventListener('unhandledrejection', function (e) { note(e.reason); });
  document.addEventListener('securitypolicyviolation', function (e) {
    note('blocked by the page policy: ' + e.blockedURI);
  });
  window.addEventListener('load', function () {
    document.body.setAttribute('data-mig-errors', String(errors.length));
    document.body.setAttribute('data-mig-loaded', '1');
    var box = document.getElementById('mig-errors');
    if (box && errors.length) { box.hidden = false; box.textContent = errors.join('\\n'); }
  });
})();
"""

CSS = """
:root { --ink: #1d1d1f; --muted: #5f6368; --line: #e3e3e3; --band: #f6f7f9; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans",
       sans-serif; color: var(--ink); background: #fff; }
main { max-width: 1500px; margin: 0 auto; padding: 20px 28px 60px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 34px 0 8px; padding-top: 10px; border-top: 2px solid var(--line); }
h3 { font-size: 14px; margin: 16px 0 6px; }
p.lead, .muted { color: var(--muted); }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 18px; }
.grid3 { display: grid; grid-template-columns: repeat(auto-fill, minmax(380px, 1fr)); gap: 18px; }
figure { margin: 0; padding: 10px 12px; border: 1px solid var(--line); border-radius: 8px;
         background: #fff; }
figcaption { color: var(--muted); font-size: 12.5px; margin-top: 4px; }
svg.chart { width: 100%; height: auto; display: block; }
table { border-collapse: collapse; font-size: 13px; margin: 6px 0 10px; }
th, td { padding: 4px 10px; border-bottom: 1px solid var(--line); text-align: right;
         vertical-align: top; }
th:first-child, td:first-child, th.text { text-align: left; }
thead th { background: var(--band); font-weight: 600; }
td.text { text-align: left; max-width: 520px; }
code, .hash { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; }
.hash { word-break: break-all; color: var(--muted); }
.note { background: #fff8e1; border: 1px solid #ffe08a; padding: 8px 12px; border-radius: 6px; }
#mig-errors { white-space: pre-wrap; color: #b00020; }
dl.kv { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 6px 0; }
dl.kv dt { color: var(--muted); } dl.kv dd { margin: 0; }
"""


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _num(value: float, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:,.{digits}f}"


def _table(head: list[str], rows: list[list[str]], text_cols: tuple[int, ...] = ()) -> str:
    out = ["<table><thead><tr>"]
    for i, h in enumerate(head):
        cls = ' class="text"' if i in text_cols else ""
        out.append(f"<th{cls}>{_e(h)}</th>")
    out.append("</tr></thead><tbody>")
    for row in rows:
        cells = []
        for i, cell in enumerate(row):
            cls = ' class="text"' if i in text_cols else ""
            cells.append(f"<td{cls}>{cell}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _figure(svg: str, caption: str) -> str:
    return f"<figure>{svg}<figcaption>{caption}</figcaption></figure>"


def _stats_table(data: ReportData) -> str:
    s = data.stats
    rows = [
        ("records", lambda x: f"{x.records:,}"),
        ("labelled records", lambda x: f"{x.labelled_records:,}"),
        ("distinct labels", lambda x: f"{x.distinct_labels:,}"),
        ("node coverage", lambda x: f"{x.node_coverage:.1%} ({x.covered_nodes:,})"),
        ("information I(D)", lambda x: _num(x.information)),
        ("label entropy (norm.)", lambda x: _num(x.label_entropy, 3)),
        ("labels / record", lambda x: _num(x.labels_per_record)),
        ("score mean", lambda x: _num(x.score_mean)),
        (
            "score p10 / p50 / p90",
            lambda x: " / ".join(_num(v) for v in (x.score_p10, x.score_p50, x.score_p90)),
        ),
        ("top labels", lambda x: "<br>".join(f"{_e(a)} ({b:,})" for a, b in x.top_labels)),
    ]
    head = [""] + [f"{n} (pool)" if i == 0 else n for i, n in enumerate(data.names)]
    return _table(head, [[name] + [fn(x) for x in s] for name, fn in rows])


def _left_out_table(data: ReportData) -> str:
    head = ["", *[lo.name for lo in data.left_out]]

    def row(name: str, fn) -> list[str]:
        return [name] + [fn(lo) for lo in data.left_out]

    def maybe(v: int | None, missing: str) -> str:
        return f"{v:,}" if v is not None else f'<span class="muted">{missing}</span>'

    rows = [
        row("records in the subset", lambda lo: f"{lo.records:,}"),
        row("pool records not taken", lambda lo: f"{lo.not_taken:,}"),
        row("taken with no label on the graph", lambda lo: f"{lo.unlabelled_taken:,}"),
        row("taken with score 0", lambda lo: f"{lo.zero_score_taken:,}"),
        row(
            "skipped as duplicates by the sampler",
            lambda lo: maybe(lo.dedup_skipped, "not recorded"),
        ),
        row("taken twice (same conversation)", lambda lo: maybe(lo.repeated, "-")),
        row("graph nodes the pool has and the subset lacks", lambda lo: f"{lo.uncovered_nodes:,}"),
        row(
            "most frequent of those (pool records)",
            lambda lo: "<br>".join(f"{_e(a)} ({b:,})" for a, b in lo.uncovered_top) or "-",
        ),
    ]
    return _table(head, rows)


def _kv(pairs: list[tuple[str, str]]) -> str:
    return '<dl class="kv">' + "".join(f"<dt>{_e(k)}</dt><dd>{v}</dd>" for k, v in pairs) + "</dl>"


def _graph_section(maker: charts.ChartMaker, data: ReportData) -> str:
    g = data.graph
    parts = ["<h2 id='graph'>Label graph</h2>"]
    if not data.graph_given:
        parts.append(
            "<p class='note'>No <code>--graph</code> given: every label of the pool is a node "
            "of its own and nothing propagates between labels (as <code>mig stats</code> does "
            "without a graph). Pass the graph used for sampling to see its shape here.</p>"
        )
    parts.append(
        _kv(
            [
                ("nodes (labels)", f"{g.nodes:,}"),
                ("edges", f"{g.edges:,}"),
                ("mean degree", _num(g.mean_degree)),
                (
                    "connected components",
                    f"{g.components:,} ({g.components_2plus:,} of two or more labels)",
                ),
                ("largest component", f"{g.largest_component:,} labels ({g.largest_share:.1%})"),
                ("isolated labels", f"{g.isolated:,} ({g.isolated_share:.1%})"),
                ("pool labels that are not nodes", f"{data.pool_labels_off_graph:,}"),
                ("largest component, most frequent", _e(", ".join(g.largest_labels)) or "-"),
                ("isolated, most frequent", _e(", ".join(g.isolated_labels)) or "-"),
            ]
        )
    )
    parts.append("<div class='grid3'>")
    parts.append(
        _figure(
            charts.degree_chart(maker, g),
            "How many labels have each number of neighbours. A tall bar at 0 means "
            "many labels share nothing with others: their records gain no diversity "
            "credit from similar labels.",
        )
    )
    parts.append(
        _figure(
            charts.component_chart(maker, g),
            "Sizes of the connected components with two or more labels. One giant "
            "component means the threshold joins unrelated labels.",
        )
    )
    parts.append(
        _figure(
            charts.weight_chart(maker, g),
            "Cosine similarity of the joined label pairs (each edge once).",
        )
    )
    parts.append("</div>")
    return "".join(parts)


def render_html(data: ReportData, meta: dict) -> str:
    """The whole page. `meta`: 'title', 'created', 'version', 'inputs' (list of dicts with
    role, path, bytes, sha256, records, matched), 'options' (dict)."""
    maker = charts.ChartMaker()
    title = meta.get("title") or "mig report"
    parts: list[str] = []
    parts.append(f"<h1>{_e(title)}</h1>")
    parts.append(
        f"<p class='lead'>Made by mig {_e(meta.get('version', '?'))} on "
        f"{_e(meta.get('created', '?'))}. Pool: <b>{_e(data.names[0])}</b>; subsets: "
        + ", ".join(f"<b>{_e(n)}</b>" for n in data.names[1:])
        + ".</p><div id='mig-errors' hidden></div>"
    )
    inputs = meta.get("inputs", [])
    parts.append(
        _table(
            ["input", "role", "records", "bytes", "sha256", "notes"],
            [
                [
                    f"<code>{_e(i['path'])}</code>",
                    _e(i.get("role", "")),
                    f"{i['records']:,}" if i.get("records") is not None else "-",
                    f"{i['bytes']:,}" if i.get("bytes") is not None else "-",
                    f"<span class='hash'>{_e(i.get('sha256') or '-')}</span>",
                    _e(i.get("notes", "")),
                ]
                for i in inputs
            ],
            text_cols=(1, 4, 5),
        )
    )
    options = meta.get("options", {})
    parts.append(
        "<p class='muted'>Options: "
        + "; ".join(f"<code>{_e(k)}</code> = {_e(v)}" for k, v in options.items())
        + "</p>"
    )

    parts.append("<h2 id='summary'>Side by side</h2>")
    parts.append(
        "<p class='muted'>The numbers of <code>mig stats</code> for the pool and each subset, "
        "with the same graph and information function.</p>"
    )
    parts.append(_stats_table(data))

    parts.append("<h2 id='information'>Information and gains</h2><div class='grid'>")
    parts.append(
        _figure(
            charts.information_chart(maker, data),
            "Information I(D) = &sum;<sub>j</sub> &phi;(X<sub>j</sub>) of the first n records of "
            "each subset, in the order the subset lists them (solid), against baselines "
            "recomputed on the pool (dashed). A curve above the others at the same n packs more "
            "information into fewer records; a MIG subset's curve bends because each label's "
            "value grows more slowly the more it is covered.",
        )
    )
    parts.append(
        _figure(
            charts.coverage_chart(maker, data),
            "Share of the graph's nodes (labels) carried by the first n records. The dotted line "
            "is what the whole pool covers: a subset near it leaves few labels out.",
        )
    )
    parts.append(
        _figure(
            charts.gains_chart(maker, data),
            "The gain each record had when it was taken (log scale), from the subset's "
            "<code>--ranking</code> file when given, else recomputed with the sampler's rule. "
            "MIG's gains fall steadily; a random order's jump around.",
        )
    )
    parts.append("</div>")

    parts.append("<h2 id='scores'>Scores</h2><div class='grid'>")
    parts.append(
        _figure(
            charts.histogram_chart(maker, data, data.scores, "Score distribution"),
            "Share of each input's records per score bin (shared bins over the pool's range). A "
            "subset shifted right took higher-scored records; top-score takes only the right tail.",
        )
    )
    if data.components:
        parts.append(
            _figure(
                charts.components_chart(maker, data),
                "The scorer's components, pool against each subset, when the records carry them.",
            )
        )
    parts.append("</div>")

    parts.append("<h2 id='composition'>Composition: pool share against subset share</h2>")
    parts.append("<div class='grid'>")
    for comp in data.compositions:
        if comp.title == "top labels":
            caption = (
                "Share of records carrying each of the pool's most frequent labels. A subset "
                "that balances labels takes less of the common ones than the pool holds."
            )
            title = "By top labels"
        else:
            caption = (
                f"Share of records per value of <code>{_e(comp.title)}</code> (most frequent "
                "values; the rest as (other)). Bars longer than the pool's are over-represented."
            )
            title = f"By {comp.title}"
        parts.append(_figure(charts.shares_chart(maker, data, comp, title), caption))
    parts.append("</div>")

    parts.append("<h2 id='left-out'>What was left out</h2>")
    parts.append(
        f"<p>Of the pool's {data.stats[0].records:,} records, MIG could never choose "
        f"{data.pool_never:,}: {data.pool_unlabelled:,} have no label on the graph and "
        f"{data.pool_zero_score:,} more have score 0 (their gain is always 0; they come last, "
        "design.md). Random subsets take some of them; a MIG subset should not.</p>"
    )
    parts.append(_left_out_table(data))

    parts.append(_graph_section(maker, data))

    payload = json.dumps(json_ready(report_payload(data, meta)), allow_nan=False)
    payload = payload.replace("</", "<\\/")
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<meta http-equiv='Content-Security-Policy' content=\"{CSP}\">"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{_e(title)}</title><script>{ERROR_PROBE}</script><style>{CSS}</style></head>"
        "<body data-mig-errors='0'><main>"
        + "".join(parts)
        + "</main>"
        + f"<script type='application/json' id='mig-report-data'>{payload}</script>"
        + "</body></html>\n"
    )
