"""The label graph as data: node labels with record counts and a directed weighted edge list.

The graph folder (design.md) stores both directions of every undirected edge; `graph_files`
reads and writes it, `mig_cli.selection.graph` builds one from label embeddings.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

GRAPH_FORMAT_VERSION = 1


@dataclass
class LabelGraph:
    labels: list[str]
    counts: np.ndarray  # int64, records carrying each label
    sources: np.ndarray  # int64 node index
    targets: np.ndarray  # int64 node index
    weights: np.ndarray  # float32
    meta: dict = field(default_factory=dict)

    @property
    def num_nodes(self) -> int:
        return len(self.labels)

    @property
    def num_edges(self) -> int:
        """Undirected edges (each stored in both directions)."""
        return len(self.sources) // 2

    def weight_matrix(self) -> sp.csr_matrix:
        """Off-diagonal weights W as an M x M CSR matrix (float64)."""
        m = self.num_nodes
        keep = self.sources != self.targets
        return sp.csr_matrix(
            (
                self.weights[keep].astype(np.float64),
                (self.sources[keep], self.targets[keep]),
            ),
            shape=(m, m),
        )

    def degrees(self) -> np.ndarray:
        return np.bincount(self.sources, minlength=self.num_nodes)
