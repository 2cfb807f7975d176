"""Selection: the label graph's construction (`graph`), the concave phi (`phi`), the propagated
vectors (`propagation`), the MIG sampler and its compiled kernel (`sampler`, `kernels`), the
baseline samplers (`baselines`), selection from annotations (`selection`) and pool
statistics (`stats`). Pure: arrays in, arrays and dataclasses out, no files."""
