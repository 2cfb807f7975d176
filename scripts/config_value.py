#!/usr/bin/env python3
"""Print one value of a TOML config (dotted key), for the Makefile: config_value.py FILE KEY."""

import sys

import tomllib

with open(sys.argv[1], "rb") as fh:
    value = tomllib.load(fh)
for part in sys.argv[2].split("."):
    value = value[part]
print(value)
