"""Where the benchmark scripts find the project's real data, `../shared/data`.

`shared_data_dir()` returns `$MIG_SHARED_DATA` when it is set, else the first `shared/data`
folder found above the checkout (beside the repository, or above a git worktree of it), else
`<repo>/../shared/data` (which the caller reports as missing). Scripts import it as
`from shared_data import shared_data_dir`: Python puts `scripts/` on the path of a script run
as `python scripts/NAME.py`.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path:
    """The `../shared/data` folder (see the module docstring); it may not exist."""
    if os.environ.get("MIG_SHARED_DATA"):
        return Path(os.environ["MIG_SHARED_DATA"])
    return next(
        (p / "shared" / "data" for p in REPO.parents if (p / "shared" / "data").is_dir()),
        REPO.parent / "shared" / "data",
    )
