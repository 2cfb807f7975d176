#!/usr/bin/env python3
"""Config helper for the Makefile.

config_value.py FILE KEY            print one value (dotted key) of a TOML config
config_value.py FILE --stamp SECTION OUT
                                    write the [SECTION] table (plus top-level keys) to OUT,
                                    touching OUT only when it changed: a stage then depends on
                                    its own settings, not on the whole config file
"""

import json
import sys
from pathlib import Path

import tomllib

with open(sys.argv[1], "rb") as fh:
    config = tomllib.load(fh)
if sys.argv[2] == "--stamp":
    section, out = sys.argv[3], Path(sys.argv[4])
    shared = {k: v for k, v in config.items() if not isinstance(v, dict)}
    text = json.dumps({"shared": shared, section: config.get(section, {})}, sort_keys=True)
    if not out.exists() or out.read_text() != text:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text)
    sys.exit(0)
value = config
for part in sys.argv[2].split("."):
    value = value[part]
print(value)
