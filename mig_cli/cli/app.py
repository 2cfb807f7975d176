"""The `mig` typer app: each command is a plain function in its own module, registered here."""

from __future__ import annotations

import typer

from .. import __version__
from . import build_graph, graph, report, sample, score, stats, tag

app = typer.Typer(
    name="mig",
    help="Pick the most valuable subset of an instruction-tuning pool (MIG: maximise "
    "information gain over a label graph).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"mig {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """Pick the most valuable subset of an instruction-tuning pool."""


app.command("tag")(tag.tag_cmd)
app.command("score")(score.score_cmd)
app.command("build-graph")(build_graph.build_graph_cmd)
app.command("sample")(sample.sample_cmd)
app.command("stats")(stats.stats_cmd)
app.command("report")(report.report_cmd)
app.add_typer(graph.graph_app, name="graph")


def main() -> None:
    app()
