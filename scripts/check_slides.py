"""Measure built reveal.js decks in Chromium at 1280x720, the way a lecturer sees them.

    .venv/bin/python scripts/check_slides.py _build/slides/04_pca.slides.html [more decks]
    .venv/bin/python scripts/check_slides.py            # every deck in _build/slides/

Each deck is opened from disk (file://) in headless Chromium (Debian's /usr/bin/chromium, or
COURSE_CHROMIUM=/path) at a 1280x720 window; every slide is visited through the reveal.js API
and measured:

* overflowing: content reaches past the edge of the window (taller or wider than the screen,
  a figure cut off), or a block inside the slide needs a scroll bar;
* code: the slide shows code input (a lecture deck shows figures, not the code that draws
  them; at most a quarter of a deck's slides may show code);
* no notes: the slide has no speaker notes (``aside.notes``);
* widget text: a widget's text repr such as ``VBox(children=...`` is visible;
* solutions: a ``<details>`` block or a cell tagged ``solution`` / ``going-further``;
* upscaled: an image drawn more than 1.25x its stored pixel size on a 1920x1080 projector
  (blurry when projected).

Prints one row per deck and, for every violation, the slide number (``#/h/v`` is the
address to open it at) and the slide's first words. Exits 1 if any deck violates a rule.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WINDOW = {"width": 1280, "height": 720}
MAX_CODE_FRACTION = 0.25
MAX_UPSCALE = 1.25
# Upscaling is judged on a 1920x1080 projector, where reveal.js draws the slide 1.5x larger
# than in the 1280x720 test window.
PROJECTOR_WIDTH = 1920
CHROMIUM_CANDIDATES = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
CHROMIUM_FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update", "--no-first-run",
    "--disable-sync", "--disable-quic",
]
LOAD_TIMEOUT_MS = 60_000
SETTLE_MS = 700  # before measuring a slide with a problem again

# Runs in the page for the current slide: everything the rules need, measured after layout.
MEASURE_JS = """
async ([tol, maxUp, projectorWidth]) => {
  const s = Reveal.getCurrentSlide();
  // MathJax re-renders a slide when it is shown, asynchronously: wait until every formula
  // of the slide has its final rendering (not a preview, not mid-processing), at most 5 s.
  const typeset = () => [...s.querySelectorAll('script[type^="math/"]')].every(sc => {
    const e = sc.previousElementSibling;
    return e && /^(MathJax|MathJax_Display|MathJax_Error)$/.test(e.className);
  }) && !s.querySelector('.MathJax_Processing, .MathJax_Processed');
  for (let i = 0; i < 100 && !typeset(); i++) await new Promise(r => setTimeout(r, 50));
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  const W = window.innerWidth, H = window.innerHeight;
  const notes = [...s.querySelectorAll('aside.notes')];
  const inNotes = el => notes.some(n => n.contains(el));
  const visible = el => {
    const st = getComputedStyle(el);
    return st.display !== 'none' && st.visibility !== 'hidden';
  };
  // MathJax's inner spans are positioned and clipped oddly: measure each formula's box only
  const mathInside = el => (el.parentElement && el.parentElement.closest('.MathJax'))
    || el.closest('.MJX_Assistive_MathML');
  const els = [...s.querySelectorAll('*')]
    .filter(el => !inNotes(el) && !mathInside(el) && visible(el));
  let top = Infinity, bottom = -Infinity, left = Infinity, right = -Infinity;
  for (const el of els) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    top = Math.min(top, r.top); bottom = Math.max(bottom, r.bottom);
    left = Math.min(left, r.left); right = Math.max(right, r.right);
  }
  const problems = [];
  const px = x => Math.round(x);
  if (bottom > H + tol) problems.push(`content ends ${px(bottom - H)} px below the screen`);
  if (top < -tol) problems.push(`content starts ${px(-top)} px above the screen`);
  if (right > W + tol) problems.push(`content ends ${px(right - W)} px right of the screen`);
  if (left < -tol) problems.push(`content starts ${px(-left)} px left of the screen`);
  const tag = el => el.tagName.toLowerCase() + (el.classList.length ? '.' + el.classList[0] : '');
  for (const el of [s, ...els]) {
    if (el.matches('.MathJax, .MathJax *, .MathJax_Display, .MJX_Assistive_MathML')) continue;
    const st = getComputedStyle(el);
    // scroll bars only: MathJax's invisible assistive-MathML spans can make an
    // overflow:hidden block report a scroll height although nothing visible is cut
    const clipsY = ['auto', 'scroll'].includes(st.overflowY);
    const clipsX = ['auto', 'scroll'].includes(st.overflowX);
    if (clipsY && el.scrollHeight > el.clientHeight + tol) {
      const d = el.scrollHeight - el.clientHeight;
      problems.push(`<${tag(el)}> scrolls or cuts ${d} px vertically`);
      break;
    }
    if (clipsX && el.scrollWidth > el.clientWidth + tol) {
      const d = el.scrollWidth - el.clientWidth;
      problems.push(`<${tag(el)}> scrolls or cuts ${d} px horizontally`);
      break;
    }
  }
  const upscaled = [];
  for (const img of s.querySelectorAll('img')) {
    if (inNotes(img) || !img.naturalWidth) continue;
    const r = img.getBoundingClientRect();  // object-fit: contain draws the image inside r
    const drawn = Math.min(r.width / img.naturalWidth, r.height / img.naturalHeight);
    const f = drawn * devicePixelRatio * projectorWidth / W;
    if (f > maxUp) upscaled.push(f.toFixed(2));
  }
  const inputs = '.jp-CodeCell .jp-InputArea, .jp-CodeCell .jp-Cell-inputWrapper';
  const code = [...s.querySelectorAll(inputs)]
    .filter(el => !inNotes(el) && visible(el) && el.getBoundingClientRect().height > 0).length;
  const text = (s.innerText || '').replace(/\u00b6/g, '').replace(/\\s+/g, ' ').trim();
  const boxRepr = /\\b(?:[VH]?Box|GridBox|Output|Tab|Accordion)\\((?:children|outputs|layout)=/;
  const widget = boxRepr.exec(s.textContent || '') || /\\b\\w*Slider\\(/.exec(s.textContent || '');
  const mathErrors = s.querySelectorAll('.MathJax_Error').length;
  if (mathErrors) problems.push(`${mathErrors} math formula(s) fail to render`);
  const solutions = s.querySelectorAll('details, .celltag_solution, .celltag_going-further').length;
  const hasNotes = notes.some(n => n.textContent.trim().length > 0)
    || !!s.getAttribute('data-notes');
  return {problems, upscaled, code, text: text.slice(0, 200), widget: widget ? widget[0] : null,
          solutions, hasNotes};
}
"""

SLIDE_INDICES_JS = """
() => Reveal.getHorizontalSlides().flatMap((h, i) => {
  const v = h.querySelectorAll(':scope > section');
  return v.length ? [...v].map((_, j) => [i, j]) : [[i, 0]];
})
"""


@dataclass
class Slide:
    number: int  # 1-based, in the order the deck is presented
    h: int
    v: int
    first_words: str
    problems: list = field(default_factory=list)
    code: bool = False
    notes: bool = True
    widget: str | None = None
    solutions: int = 0
    upscaled: list = field(default_factory=list)

    @property
    def where(self) -> str:
        return f"slide {self.number} (#/{self.h}/{self.v}) \"{self.first_words}\""


@dataclass
class DeckReport:
    name: str
    slides: list

    def _which(self, pred):
        return [s for s in self.slides if pred(s)]

    @property
    def overflowing(self):
        return self._which(lambda s: s.problems)

    @property
    def code_visible(self):
        return self._which(lambda s: s.code)

    @property
    def without_notes(self):
        return self._which(lambda s: not s.notes)

    @property
    def widget_text(self):
        return self._which(lambda s: s.widget)

    @property
    def with_solutions(self):
        return self._which(lambda s: s.solutions)

    @property
    def upscaled(self):
        return self._which(lambda s: s.upscaled)

    def violations(self) -> list[str]:
        """One line per broken rule, naming the offending slides."""
        out = []
        n = len(self.slides)
        for s in self.overflowing:
            out.append(f"{self.name}: {s.where} does not fit 1280x720: {'; '.join(s.problems)}")
        if len(self.code_visible) > MAX_CODE_FRACTION * n:
            listed = ", ".join(str(s.number) for s in self.code_visible)
            out.append(f"{self.name}: code input shows on {len(self.code_visible)} of {n} slides "
                       f"(at most {int(MAX_CODE_FRACTION * n)}): slides {listed}; tag only the "
                       "cells worth showing `slide-code`")
        for s in self.without_notes:
            out.append(f"{self.name}: {s.where} has no speaker notes (add a notes cell after it)")
        for s in self.widget_text:
            out.append(f"{self.name}: {s.where} shows widget text {s.widget!r}")
        for s in self.with_solutions:
            out.append(f"{self.name}: {s.where} shows a solution or optional material")
        for s in self.upscaled:
            out.append(f"{self.name}: {s.where} draws an image upscaled {', '.join(s.upscaled)}x "
                       f"(more than {MAX_UPSCALE}x)")
        return out


def chromium_path() -> str:
    for cand in [os.environ.get("COURSE_CHROMIUM", ""), *CHROMIUM_CANDIDATES]:
        if cand and Path(cand).exists():
            return cand
    raise RuntimeError("Chromium not found: install Debian's chromium "
                       "(apt-get install chromium) or set COURSE_CHROMIUM=/path/to/chromium")


def launch(playwright):
    return playwright.chromium.launch(executable_path=chromium_path(), headless=True,
                                      args=CHROMIUM_FLAGS)


def measure_deck(browser, deck: Path, tolerance_px: float = 1.0,
                 screenshots: Path | None = None) -> DeckReport:
    """Open ``deck`` at 1280x720 and measure every slide (see the module doc)."""
    context = browser.new_context(viewport=WINDOW, device_scale_factor=1)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(Path(deck).resolve().as_uri(), timeout=LOAD_TIMEOUT_MS)
        try:
            page.wait_for_function("() => window.Reveal && Reveal.isReady && Reveal.isReady()",
                                   timeout=LOAD_TIMEOUT_MS)
        except Exception as exc:
            raise RuntimeError(f"{deck.name}: reveal.js did not start ({exc}); "
                               f"page errors: {errors}") from exc
        # build_slides.py sets courseMathReady when MathJax has typeset the deck
        page.wait_for_function("() => window.courseMathReady || !window.MathJax",
                               timeout=LOAD_TIMEOUT_MS)
        page.evaluate("() => document.fonts.ready")
        slides = []
        for number, (h, v) in enumerate(page.evaluate(SLIDE_INDICES_JS), start=1):
            page.evaluate("([h, v]) => Reveal.slide(h, v)", [h, v])
            m = page.evaluate(MEASURE_JS, [tolerance_px, MAX_UPSCALE, PROJECTOR_WIDTH])
            for _ in range(2):  # MathJax may still be re-laying out: a real problem persists
                if not m["problems"]:
                    break
                page.wait_for_timeout(SETTLE_MS)
                m = page.evaluate(MEASURE_JS, [tolerance_px, MAX_UPSCALE, PROJECTOR_WIDTH])
            if screenshots is not None:
                screenshots.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=screenshots / f"{deck.name.split('.')[0]}-{number:02d}.png")
            words = " ".join(m["text"].split()[:8]) or "(empty)"
            slides.append(Slide(number, h, v, words, m["problems"], m["code"] > 0,
                                m["hasNotes"], m["widget"], m["solutions"], m["upscaled"]))
        return DeckReport(deck.name.removesuffix(".slides.html"), slides)
    finally:
        context.close()


def measure(decks, browser=None, screenshots=None) -> list[DeckReport]:
    if browser is not None:
        return [measure_deck(browser, Path(d), screenshots=screenshots) for d in decks]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = launch(pw)
        try:
            return [measure_deck(b, Path(d), screenshots=screenshots) for d in decks]
        finally:
            b.close()


def table(reports) -> str:
    cols = ["deck", "slides", "overflowing", "code-visible", "without notes", "widget text",
            "solutions", "upscaled"]
    rows = [[r.name, len(r.slides), len(r.overflowing), len(r.code_visible),
             len(r.without_notes), len(r.widget_text), len(r.with_solutions), len(r.upscaled)]
            for r in reports]
    if len(reports) > 1:
        rows.append(["total", *[sum(row[i] for row in rows) for i in range(1, len(cols))]])
    widths = [max(len(str(x)) for x in [c, *[row[i] for row in rows]]) for i, c in enumerate(cols)]
    fmt = lambda row: "  ".join(str(x).ljust(w) if i == 0 else str(x).rjust(w)  # noqa: E731
                                for i, (x, w) in enumerate(zip(row, widths, strict=True)))
    lines = [fmt(cols), fmt(["-" * w for w in widths])] + [fmt(row) for row in rows]
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("decks", nargs="*", type=Path,
                    help="deck files (default: every *.slides.html in _build/slides/)")
    ap.add_argument("--screenshots", type=Path, metavar="DIR",
                    help="also save a 1280x720 PNG of every slide into DIR")
    args = ap.parse_args(argv)
    decks = args.decks or sorted((ROOT / "_build" / "slides").glob("*.slides.html"))
    if not decks:
        print("check_slides: no decks given and none in _build/slides/ (run `make slides`)",
              file=sys.stderr)
        return 2
    missing = [d for d in decks if not d.exists()]
    if missing:
        print(f"check_slides: not found: {', '.join(map(str, missing))}", file=sys.stderr)
        return 2
    reports = measure(decks, screenshots=args.screenshots)
    print(table(reports))
    problems = [line for r in reports for line in r.violations()]
    if problems:
        print(f"\n{len(problems)} problem(s):")
        print("\n".join(f"  {p}" for p in problems))
        return 1
    print("\nevery deck passes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
