"""The `mig` command line: a thin layer that parses options, calls the core and writes artifacts."""

from .app import app, main

__all__ = ["app", "main"]
