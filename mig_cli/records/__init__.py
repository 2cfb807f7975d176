"""Records: reading and writing pools (formats, chat shapes, dotted fields) and the artifact files
(annotated pools, label graphs, embedding cache, checkpoints). Nothing here imports `annotate`,
`selection` or `cli`."""
