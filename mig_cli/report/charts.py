"""The report's charts as inline SVG, drawn with matplotlib from `ReportData` (already aggregated).

matplotlib's SVG backend writes plain vector markup: no script, no font files, nothing to fetch,
so a chart renders the same in any browser, offline. Text stays text (`svg.fonttype = none`);
every figure gets its own id salt (`svg.hashsalt`), so the ids of several SVGs inlined in one page
never collide, and no date is written, so the same data gives the same bytes.
"""

from __future__ import annotations

import io
import re

import numpy as np

from ..selection.graph_inspect import GraphSummary
from .data import Histograms, ReportData, Shares

POOL_COLOR = "#8c8c8c"
SUBSET_COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#e377c2"]
BASELINE_COLORS = {"mig": "#08306b", "random": "#7f4f24", "top-score": "#b8860b"}
STYLE = {
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "legend.fontsize": 8,
    "legend.frameon": False,
}


def colors_for(names: list[str]) -> list[str]:
    """Pool grey, then one colour per subset (cycled)."""
    return [POOL_COLOR] + [SUBSET_COLORS[i % len(SUBSET_COLORS)] for i in range(len(names) - 1)]


class ChartMaker:
    """Makes figures and turns them into SVG strings with ids unique within one page."""

    def __init__(self, prefix: str = "c") -> None:
        self.prefix = prefix
        self.count = 0

    def figure(self, width: float = 6.2, height: float = 3.4):
        from matplotlib.figure import Figure

        return Figure(figsize=(width, height), layout="constrained")

    def svg(self, fig) -> str:
        import matplotlib

        self.count += 1
        buffer = io.StringIO()
        with matplotlib.rc_context({**STYLE, "svg.hashsalt": f"{self.prefix}{self.count}"}):
            fig.savefig(buffer, format="svg", metadata={"Date": None})
        text = buffer.getvalue()
        text = text[text.index("<svg") :]
        text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.S)  # RDF: no use here
        text = _prefix_ids(text, f"{self.prefix}{self.count}-")
        # responsive: drop the fixed size, keep the viewBox
        head_end = text.index(">")
        head = re.sub(r'\s(width|height)="[^"]*"', "", text[:head_end])
        return head + ' class="chart" role="img"' + text[head_end:]

    def styled(self, draw, width: float = 6.2, height: float = 3.4) -> str:
        import matplotlib

        with matplotlib.rc_context({**STYLE}):
            fig = self.figure(width, height)
            draw(fig)
        return self.svg(fig)


def _prefix_ids(svg: str, prefix: str) -> str:
    """Prefix every id of one SVG and the references to it, so ids stay unique in the page."""
    ids = set(re.findall(r'\bid="([^"]+)"', svg))
    if not ids:
        return svg
    svg = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}{m.group(1)}"', svg)

    def ref(m: re.Match) -> str:
        name = m.group(2)
        return f"{m.group(1)}#{prefix}{name}" if name in ids else m.group(0)

    return re.sub(r'(href="|url\()#([^")]+)', ref, svg)


def _thousands(ax, axis: str = "x") -> None:
    from matplotlib.ticker import FuncFormatter

    fmt = FuncFormatter(lambda v, _: f"{v:,.0f}")
    (ax.xaxis if axis == "x" else ax.yaxis).set_major_formatter(fmt)


def _percent(ax, axis: str = "y") -> None:
    from matplotlib.ticker import PercentFormatter

    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(PercentFormatter(1.0))


def _line_style(data: ReportData, name: str, kind: str) -> dict:
    colors = colors_for(data.names)
    if kind == "subset":
        return {"color": colors[data.names.index(name)], "lw": 1.8}
    method = name.split(" ")[0].rstrip(",")
    return {"color": BASELINE_COLORS.get(method, "#444444"), "lw": 1.3, "ls": "--"}


def _name(data: ReportData, name: str) -> str:
    same = data.same_as.get(name)
    return f"{name} (= {same})" if same else name


def information_chart(maker: ChartMaker, data: ReportData) -> str:
    def draw(fig):
        ax = fig.add_subplot()
        for line in data.curves:
            c = line.curves
            ax.plot(
                c.taken,
                c.information,
                label=_name(data, line.name),
                **_line_style(data, line.name, line.kind),
            )
        ax.set_xlabel("records taken (in each subset's order)")
        ax.set_ylabel("information I(D)")
        ax.set_title("Information I(D) as records are taken")
        _thousands(ax)
        ax.legend(loc="upper left")

    return maker.styled(draw)


def coverage_chart(maker: ChartMaker, data: ReportData) -> str:
    def draw(fig):
        ax = fig.add_subplot()
        total = max(1, data.num_nodes)
        for line in data.curves:
            c = line.curves
            ax.plot(
                c.taken,
                c.covered / total,
                label=_name(data, line.name),
                **_line_style(data, line.name, line.kind),
            )
        pool_share = data.stats[0].covered_nodes / total
        ax.axhline(pool_share, color=POOL_COLOR, lw=1, ls=":", label="whole pool")
        ax.set_xlabel("records taken (in each subset's order)")
        ax.set_ylabel("graph nodes (labels) covered")
        ax.set_title("Label coverage as records are taken")
        ax.set_ylim(0, min(1.0, max(pool_share * 1.08, 0.05)))
        _thousands(ax)
        _percent(ax)
        ax.legend(loc="upper left")

    return maker.styled(draw)


def gains_chart(maker: ChartMaker, data: ReportData) -> str:
    def draw(fig):
        ax = fig.add_subplot()
        colors = colors_for(data.names)
        positive = True
        for line in data.gains:
            b, c = line.binned, line.coarse
            if not len(b.mean):
                continue
            color = colors[data.names.index(line.name)]
            ax.scatter((b.start + b.stop) / 2, b.mean, s=5, color=color, alpha=0.35, lw=0)
            ax.plot(
                (c.start + c.stop) / 2,
                c.mean,
                color=color,
                lw=1.8,
                label=f"{line.name} ({line.source})",
            )
            positive = positive and bool((b.mean > 0).all())
        ax.set_yscale("log" if positive else "symlog")
        ax.set_xlabel("pick number")
        ax.set_ylabel("gain of the pick")
        ax.set_title("Gain of each pick (dots; line = mean over 25 stretches)")
        _thousands(ax)
        ax.legend(loc="upper right")

    return maker.styled(draw)


def histogram_chart(maker: ChartMaker, data: ReportData, hist: Histograms, title: str) -> str:
    def draw(fig):
        ax = fig.add_subplot()
        colors = colors_for(data.names)
        for i, (name, shares) in enumerate(zip(data.names, hist.shares)):
            values = np.concatenate([shares, shares[-1:]])
            if i == 0:
                ax.fill_between(
                    hist.edges,
                    values,
                    step="post",
                    color=POOL_COLOR,
                    alpha=0.35,
                    lw=0,
                    label=f"{name} (pool)",
                )
            else:
                ax.step(hist.edges, values, where="post", color=colors[i], lw=1.4, label=name)
            ax.axvline(hist.means[i], color=colors[i], lw=0.8, ls=":")
        ax.set_xlabel(hist.title + " (dotted: mean)")
        ax.set_ylabel("share of records")
        ax.set_title(title)
        _percent(ax)
        ax.legend(loc="best")

    return maker.styled(draw)


def components_chart(maker: ChartMaker, data: ReportData) -> str:
    hists = data.components
    cols = min(3, len(hists))
    rows = (len(hists) + cols - 1) // cols

    def draw(fig):
        colors = colors_for(data.names)
        axes = fig.subplots(rows, cols, squeeze=False)
        for ax, hist in zip(axes.ravel(), hists):
            for i, shares in enumerate(hist.shares):
                values = np.concatenate([shares, shares[-1:]])
                if i == 0:
                    ax.fill_between(
                        hist.edges,
                        values,
                        step="post",
                        color=POOL_COLOR,
                        alpha=0.35,
                        lw=0,
                        label=data.names[0],
                    )
                else:
                    ax.step(
                        hist.edges,
                        values,
                        where="post",
                        color=colors[i],
                        lw=1.2,
                        label=data.names[i],
                    )
            ax.set_title(hist.title)
            _percent(ax)
        for ax in axes.ravel()[len(hists) :]:
            ax.set_visible(False)
        handles, labels = axes.ravel()[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncols=min(4, len(labels)))
        fig.suptitle("Score components: share of records per bin")

    return maker.styled(draw, width=3.2 * cols, height=2.4 * rows + 0.8)


def shares_chart(maker: ChartMaker, data: ReportData, shares: Shares, title: str) -> str:
    n_cat, n_in = len(shares.categories), len(shares.shares)
    height = 0.9 + n_cat * (0.09 * n_in + 0.1)

    def draw(fig):
        ax = fig.add_subplot()
        colors = colors_for(data.names)
        bar = 0.8 / n_in
        y = np.arange(n_cat)
        for i, values in enumerate(shares.shares):
            ax.barh(
                y + (i - (n_in - 1) / 2) * bar,
                values,
                height=bar,
                color=colors[i],
                label=data.names[i],
            )
        ax.set_yticks(y, [c if len(c) <= 32 else c[:31] + "\u2026" for c in shares.categories])
        ax.invert_yaxis()
        ax.set_xlabel("share of records")
        _percent(ax, "x")
        ax.grid(axis="y", visible=False)
        ax.set_title(title)
        ax.legend(loc="lower right")

    return maker.styled(draw, width=6.2, height=height)


def _bars(ax, lefts, widths, counts, color) -> None:
    ax.bar(lefts, counts, width=widths, align="edge", color=color, edgecolor="white", lw=0.5)


def _integer_ticks(ax, *axes: str) -> None:
    from matplotlib.ticker import MaxNLocator

    for name in axes:
        (ax.xaxis if name == "x" else ax.yaxis).set_major_locator(MaxNLocator(integer=True))


def degree_chart(maker: ChartMaker, summary: GraphSummary) -> str:
    def draw(fig):
        ax = fig.add_subplot()
        h = summary.degree_histogram
        _bars(ax, h.edges[:-1] - 0.5, np.diff(h.edges), h.counts, "#4c72b0")
        ax.set_xlabel("degree (neighbours of a label)")
        ax.set_ylabel("labels")
        ax.set_title(f"Degree histogram ({summary.isolated:,} isolated labels at 0)")
        _integer_ticks(ax, "x", "y")
        _thousands(ax, "y")

    return maker.styled(draw, width=4.6, height=3.0)


def component_chart(maker: ChartMaker, summary: GraphSummary) -> str:
    def draw(fig):
        ax = fig.add_subplot()
        sizes = summary.component_sizes[summary.component_sizes >= 2][:40]
        if len(sizes):
            ax.bar(np.arange(1, len(sizes) + 1), sizes, color="#55a868")
            ax.set_xlabel("component, largest first (isolated labels left out)")
        else:
            ax.text(
                0.5, 0.5, "no component of two or more labels", ha="center", transform=ax.transAxes
            )
        ax.set_ylabel("labels")
        _integer_ticks(ax, "x", "y")
        ax.set_title(f"Connected components ({summary.components_2plus:,} of 2+ labels)")

    return maker.styled(draw, width=4.6, height=3.0)


def weight_chart(maker: ChartMaker, summary: GraphSummary) -> str:
    def draw(fig):
        ax = fig.add_subplot()
        h = summary.weight_histogram
        if len(h.counts):
            _bars(ax, h.edges[:-1], np.diff(h.edges), h.counts, "#c44e52")
        else:
            ax.text(0.5, 0.5, "no edges", ha="center", transform=ax.transAxes)
        ax.set_xlabel("edge weight (cosine similarity)")
        ax.set_ylabel("edges")
        ax.set_title("Edge weights")
        _integer_ticks(ax, "y")
        _thousands(ax, "y")

    return maker.styled(draw, width=4.6, height=3.0)
