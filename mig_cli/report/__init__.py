"""`mig report`: one self-contained HTML page about a pool, its subsets and its label graph."""
