"""Open `mig report`'s page in real headless Chromium, as a person would: it must render charts
(a screenshot that is not blank and shows the chart colours) with no error in the console."""

from __future__ import annotations

import re

import numpy as np
import pytest

from tests.report.browser import SKIP_REASON, find_chromium, open_page
from tests.report.run_fixtures import make_run, run

BROWSER = find_chromium()
pytestmark = pytest.mark.skipif(BROWSER is None, reason=SKIP_REASON)


@pytest.fixture
def report(tiny_pool, tiny_graph, tmp_path):
    sampled = make_run(tiny_pool, tiny_graph, tmp_path)
    out = tmp_path / "report.html"
    result = run(
        "report",
        sampled["pool"],
        sampled["mig"],
        sampled["random"],
        sampled["top-score"],
        "--graph",
        sampled["graph"],
        "--by",
        "source",
        "--ranking",
        sampled["ranking"],
        "-o",
        out,
    )
    assert result.exit_code == 0, result.output
    return out


def body_tag(dom: str) -> str:
    m = re.search(r"<body[^>]*>", dom)
    assert m, dom[:500]
    return m.group(0)


def test_report_renders_in_chromium_without_errors(report, tmp_path):
    from PIL import Image

    dom = open_page(BROWSER, report, dump_dom=True)
    body = body_tag(dom.stdout)
    assert 'data-mig-loaded="1"' in body, body  # the page's load handler ran
    assert 'data-mig-errors="0"' in body, body
    assert dom.console == [], dom.console
    assert dom.stdout.count("<svg") >= 9

    shot = tmp_path / "report.png"
    run_ = open_page(BROWSER, report, screenshot=shot, size=(1400, 2400))
    assert shot.exists(), run_.stderr[-2000:]
    assert run_.console == [], run_.console
    pixels = np.asarray(Image.open(shot).convert("RGB")).astype(np.int16)
    assert pixels.shape[:2] == (2400, 1400)
    gray = pixels.mean(axis=2)
    assert gray.std() > 15  # not a blank page
    assert (gray < 200).mean() > 0.02  # text, axes and lines cover part of it
    # the charts are drawn, not only the text: the first subset's blue (#1f77b4) lines show
    blue = np.abs(pixels - np.array([31, 119, 180])).sum(axis=2) < 60
    assert blue.sum() > 500, int(blue.sum())
    # the I(D) chart sits in the top third of the page, below the tables
    assert blue[:1600].sum() > 200


def test_the_check_sees_script_errors_and_blocked_fetches(report, tmp_path):
    """The same check on a page with a broken script and a remote image must fail."""
    broken = tmp_path / "broken.html"
    html = report.read_text().replace(
        "<main>",
        "<main><script>notDefinedAnywhere()</script>"
        "<img src='https://example.invalid/logo.png' alt=''>",
        1,
    )
    broken.write_text(html)
    dom = open_page(BROWSER, broken, dump_dom=True)
    body = body_tag(dom.stdout)
    count = int(re.search(r'data-mig-errors="(\d+)"', body).group(1))
    assert count >= 2, body
    text = "\n".join(dom.console)
    assert "notDefinedAnywhere" in text and "example.invalid" in text
