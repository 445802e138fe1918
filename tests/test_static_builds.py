"""Lecture mode and the static book: both build offline from the executed notebooks.

`make slides` writes one reveal.js deck per chapter; `make book` renders the course with
Jupyter Book. These tests build both into a temporary folder and check what a reader gets:
every chapter, its slides, figures, equations and cross-chapter links, and no reference to a
network resource (both must open from disk in a lecture hall with no connection).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
REMOTE = re.compile(r'<(?:script|link|img|iframe)\b[^>]*?(?:src|href)="(?:https?:)?//[^"]*"', re.I)
INLINE_MATH = re.compile(r"(?<![\\$])\$(?!\$)[^$\n]+?\$")
DISPLAY_MATH = re.compile(r"\$\$.+?\$\$", re.S)

pytestmark = pytest.mark.slow


def test_there_are_notebooks():
    assert NOTEBOOKS, "no executed chapter notebooks in notebooks/"


def image_outputs(nb, skip_tags=("remove-output", "nbval-ignore-output")):
    n = 0
    for cell in nb.cells:
        if cell.cell_type != "code" or set(cell.metadata.get("tags", [])) & set(skip_tags):
            continue
        n += sum("image/png" in out.get("data", {}) for out in cell.get("outputs", []))
    return n


def math_count(nb):
    n = 0
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            text = DISPLAY_MATH.sub("", cell.source)
            n += len(DISPLAY_MATH.findall(cell.source)) + len(INLINE_MATH.findall(text))
    return n


@pytest.fixture(scope="module")
def slides(tmp_path_factory):
    out = tmp_path_factory.mktemp("slides")
    subprocess.run([sys.executable, str(ROOT / "scripts" / "build_slides.py"), "--out", str(out)],
                   check=True, cwd=ROOT)
    return out


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    out = tmp_path_factory.mktemp("book")
    subprocess.run([sys.executable, str(ROOT / "scripts" / "build_book.py"), "--out", str(out)],
                   check=True, cwd=ROOT)
    return out / "_build" / "html"


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_slide_deck(slides, nb_path):
    nb = nbformat.read(nb_path, as_version=4)
    deck = (slides / f"{nb_path.stem}.slides.html").read_text(encoding="utf-8")
    starts = sum(c.metadata.get("slideshow", {}).get("slide_type") in ("slide", "subslide")
                 for c in nb.cells)
    assert starts >= 5, f"{nb_path.name}: only {starts} cells start a slide (slideshow metadata)"
    assert deck.count("<section") >= starts
    # every figure of a shown cell is in the deck (skipped cells are left out of slides)
    shown = nbformat.from_dict(json.loads(json.dumps(nb)))
    shown.cells = [c for c in nb.cells
                   if c.metadata.get("slideshow", {}).get("slide_type") not in ("skip", "notes")]
    assert deck.count("data:image/png;base64") >= image_outputs(shown, skip_tags=())
    assert not REMOTE.search(deck), f"remote resource in deck: {REMOTE.search(deck).group(0)}"
    for asset in ["reveal.js/dist/reveal.js", "reveal.js/plugin/notes/notes.js",
                  "mathjax/MathJax.js"]:
        assert (slides / asset).exists(), asset


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_book_chapter(book, nb_path):
    nb = nbformat.read(nb_path, as_version=4)
    page = (book / f"{nb_path.stem}.html").read_text(encoding="utf-8")
    title = next(c.source.splitlines()[0].lstrip("# ").strip() for c in nb.cells
                 if c.cell_type == "markdown" and c.source.startswith("# "))
    assert title.split()[0] in page
    figures = image_outputs(nb)
    assert figures > 0 and page.count("<img") >= figures, (figures, page.count("<img"))
    equations = math_count(nb)
    rendered = page.count('class="math')
    assert equations > 0 and rendered >= equations, (equations, rendered)
    assert not REMOTE.search(page), f"remote resource: {REMOTE.search(page).group(0)}"
    # cross-chapter and internal links resolve to pages of the book
    for href in re.findall(r'href="([^"#:]+\.html)(?:#[^"]*)?"', page):
        assert (book / href).exists(), f"{nb_path.stem}: broken link {href}"


def test_book_index_and_toc(book):
    index = (book / "intro.html").read_text(encoding="utf-8")
    for nb_path in NOTEBOOKS:
        assert f'href="{nb_path.stem}.html' in index, f"{nb_path.stem} not in the table of contents"
    assert (book / "mathjax" / "MathJax.js").exists()
