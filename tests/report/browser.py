"""Open a page in a real headless Chromium (Debian package `chromium`): screenshot, DOM, console.

Network is cut off (`--host-resolver-rules`), so a page that tried to fetch anything would show
it as a console error rather than reach out. Console messages come from Chromium's own log
(`--enable-logging=stderr`): lines with `:CONSOLE`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
SKIP_REASON = (
    "Chromium is not installed (Debian: apt-get install chromium; .ci/run installs it when it "
    "runs as root): the report is not opened in a real browser"
)


def find_chromium() -> str | None:
    explicit = os.environ.get("MIG_CHROMIUM")
    if explicit:
        return explicit if Path(explicit).exists() else None
    for name in NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


@dataclass
class BrowserRun:
    stdout: str
    stderr: str

    @property
    def console(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if ":CONSOLE" in line]


def open_page(
    browser: str,
    page: Path,
    *,
    screenshot: Path | None = None,
    dump_dom: bool = False,
    size: tuple[int, int] = (1400, 3000),
    timeout: float = 120,
) -> BrowserRun:
    with tempfile.TemporaryDirectory(prefix="mig-chromium-") as profile:
        args = [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-extensions",
            "--no-first-run",
            "--hide-scrollbars",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--enable-logging=stderr",
            "--v=0",
            f"--user-data-dir={profile}",
            f"--window-size={size[0]},{size[1]}",
        ]
        if screenshot is not None:
            args.append(f"--screenshot={screenshot}")
        if dump_dom:
            args.append("--dump-dom")
        args.append(page.resolve().as_uri())
        done = subprocess.run(
            args, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
        )
    return BrowserRun(done.stdout, done.stderr)
