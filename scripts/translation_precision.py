"""Every record of ../shared/data whose request gets a translation label, and the counts.

Usage: .venv/bin/python scripts/translation_precision.py [--all]

Prints how many first user turns each rule label (`annotate/translation_tags.py`) fires on, and
lists the records with a natural-language translation label (with --all, the code ports too),
so that each can be read and judged. The figures go to benchmarks/SELECTION.md.
"""

from __future__ import annotations

import argparse
import collections
import json

from shared_data import shared_data_dir

from mig_cli.annotate.shape_tags import instruction_of
from mig_cli.annotate.translation_tags import translation_labels

DATA = shared_data_dir()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--all", action="store_true", help="List the code ports too.")
    args = ap.parse_args()
    seen, counts, shown = 0, collections.Counter(), []
    for path in sorted(DATA.glob("*.jsonl")):
        for line in path.open(encoding="utf-8"):
            turns = json.loads(line).get("messages") or []
            request = next((t["content"] for t in turns if t.get("role") == "user"), None)
            if not isinstance(request, str):
                continue
            seen += 1
            found = translation_labels(instruction_of(request[:2000]))
            counts.update(found)
            if found and (args.all or found != ["code translation"]):
                shown.append((path.name, request, found))
    print(f"{seen:,} requests; labels: {dict(counts)}")
    for name, request, found in shown:
        print(f"{name} | {' '.join(request.split())[:110]} | {found}")


if __name__ == "__main__":
    main()
