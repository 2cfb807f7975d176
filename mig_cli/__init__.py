"""mig: pick the most valuable subset of an instruction-tuning pool (MIG, arXiv 2504.13835).

The Python API mirrors the commands; nothing here needs the CLI:

    from mig_cli import read_pool, read_annotations, read_graph, select
    sel = select(read_annotations(read_pool("pool.jsonl")), 5000, graph=read_graph("graph/"))
"""

__version__ = "0.1.0"

from .annotate.costs import record_costs  # noqa: E402
from .errors import DataError, GraphError, MigError  # noqa: E402
from .records.annotations import Annotations, LabelColumn, read_annotations  # noqa: E402
from .records.formats import read_pool  # noqa: E402
from .records.graph_files import read_graph, write_graph  # noqa: E402
from .records.label_graph import LabelGraph  # noqa: E402
from .records.manifest import read_manifest, write_manifest  # noqa: E402
from .records.writers import write_pool_rows  # noqa: E402
from .selection.baselines import RandomSampler, TopScoreSampler  # noqa: E402
from .selection.budget import BudgetError  # noqa: E402
from .selection.graph import build_graph, graph_without_edges  # noqa: E402
from .selection.phi import ExpPhi, PowPhi, make_phi  # noqa: E402
from .selection.quota import QuotaError  # noqa: E402
from .selection.sampler import MigSampler, Selection  # noqa: E402
from .selection.selection import mig_vectors, nested, select  # noqa: E402
from .selection.stats import pool_stats  # noqa: E402

__all__ = [
    "BudgetError",
    "QuotaError",
    "nested",
    "read_manifest",
    "record_costs",
    "write_manifest",
    "Annotations",
    "LabelColumn",
    "LabelGraph",
    "MigSampler",
    "RandomSampler",
    "Selection",
    "TopScoreSampler",
    "PowPhi",
    "ExpPhi",
    "make_phi",
    "DataError",
    "GraphError",
    "MigError",
    "build_graph",
    "graph_without_edges",
    "mig_vectors",
    "pool_stats",
    "read_annotations",
    "read_graph",
    "read_pool",
    "select",
    "write_graph",
    "write_pool_rows",
]
