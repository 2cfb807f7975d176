"""Write a label graph as GraphML or GEXF (for Gephi, Cytoscape, yEd) with networkx's writers.

Nodes are the label texts, with attributes `count` (records carrying the label), `degree` and
`component` (connected-component number, 0 = the largest); each undirected edge is written once
with its `weight` (cosine similarity). The files are written atomically.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .atomic_files import atomic_path
from .label_graph import LabelGraph

EXPORT_FORMATS = {".graphml": "graphml", ".gexf": "gexf"}


def export_format(path: str) -> str | None:
    """'graphml' or 'gexf' from the file name, None for any other extension."""
    return EXPORT_FORMATS.get(Path(path).suffix.lower())


def to_networkx(graph: LabelGraph, components: np.ndarray | None = None):
    """An undirected `networkx.Graph`; `components` numbers each node's component (optional)."""
    import networkx as nx

    g = nx.Graph()
    g.graph["name"] = "mig label graph"
    for key in ("model", "edge_threshold", "input"):
        value = graph.meta.get(key)
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            g.graph[key] = value
    degrees = graph.degrees()
    for i, label in enumerate(graph.labels):
        attrs = {"count": int(graph.counts[i]), "degree": int(degrees[i])}
        if components is not None:
            attrs["component"] = int(components[i])
        g.add_node(label, **attrs)
    labels = graph.labels
    for s, t, w in zip(graph.sources.tolist(), graph.targets.tolist(), graph.weights.tolist()):
        if s < t:
            g.add_edge(labels[s], labels[t], weight=float(w))
    return g


def write_graph_file(graph: LabelGraph, path: str, components: np.ndarray | None = None) -> str:
    """Write `graph` to `path` (.graphml or .gexf); returns the format. ValueError otherwise."""
    import networkx as nx

    kind = export_format(path)
    if kind is None:
        raise ValueError(f"{path}: unknown extension (use .graphml or .gexf)")
    g = to_networkx(graph, components)
    with atomic_path(path) as tmp:
        if kind == "graphml":
            nx.write_graphml(g, tmp)
        else:
            nx.write_gexf(g, tmp)
    return kind
