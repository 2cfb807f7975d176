"""mig: pick the most valuable subset of an instruction-tuning pool."""

__version__ = "0.1.0"
