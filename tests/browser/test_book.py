"""The static book in Chromium: every page opens from disk with no console error.

The book is built from the stored outputs into a temporary folder (scripts/build_book.py, as
`make book` does); each page is opened via file:// and given time to typeset its equations.
An error logged to the console, an uncaught exception or a failed load fails the test with
the page and the message (for example the duplicated THEBE_JS_URL script this replaced).
Every figure is also measured: on a 2x (HiDPI) screen at 100% zoom no stored PNG may be
stretched more than 1.25x (the course stores figures at twice their display size).
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from .conftest import ROOT

pytestmark = pytest.mark.browser

SETTLE_MS = 1500  # after the load event: MathJax typesets, the theme scripts run
MAX_UPSCALE = 1.25
HIDPI = 2


@pytest.fixture(scope="module")
def book_html(tmp_path_factory):
    out = tmp_path_factory.mktemp("book")
    subprocess.run([sys.executable, str(ROOT / "scripts" / "build_book.py"), "--out", str(out)],
                   check=True, cwd=ROOT, timeout=900)
    return out / "_build" / "html"


def test_no_page_logs_a_console_error(browser, book_html):
    pages = sorted(book_html.glob("*.html"))
    assert len(pages) >= 3, "the book has no pages"
    problems = []
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        for path in pages:
            page = context.new_page()
            seen = []
            page.on("console", lambda m, seen=seen: seen.append(m.text)
                    if m.type == "error" else None)
            page.on("pageerror", lambda exc, seen=seen: seen.append(f"uncaught: {exc}"))
            page.on("requestfailed", lambda r, seen=seen: seen.append(f"failed load: {r.url}"))
            page.goto(path.as_uri(), wait_until="load")
            page.wait_for_timeout(SETTLE_MS)
            problems += [f"{path.name}: {text[:300]}" for text in seen]
            stretched = page.evaluate("""([dpr, limit]) => [...document.images]
                .filter(img => img.naturalWidth > 0 && img.getBoundingClientRect().width > 0)
                .map(img => [img.getAttribute('src').slice(-24),
                             img.getBoundingClientRect().width * dpr / img.naturalWidth])
                .filter(([, f]) => f > limit)""", [HIDPI, MAX_UPSCALE])
            problems += [f"{path.name}: image ...{src} stretched {f:.2f}x on a 2x screen"
                         for src, f in stretched]
            page.close()
    finally:
        context.close()
    assert not problems, "console errors and blurry figures:\n" + "\n".join(problems)
