"""Lecture mode and the static book: both build offline from the executed notebooks.

`make slides` writes one reveal.js deck per chapter; `make book` renders the course with
Jupyter Book. These tests build both into a temporary folder and check what a reader gets:
every chapter, its slides, figures, equations and cross-chapter links, and no reference to a
network resource (both must open from disk in a lecture hall with no connection). The deck
preparation (what a slide leaves out) is tested on a hand-made notebook; the book is scanned
for stray `$` (a display equation broken mid-paragraph shows as a literal dollar), widget
code, solution output and title style. Decks and pages in a real browser: tests/browser.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
REMOTE = re.compile(r'<(?:script|link|img|iframe)\b[^>]*?(?:src|href)="(?:https?:)?//[^"]*"', re.I)
INLINE_MATH = re.compile(r"(?<![\\$])\$(?!\$)[^$\n]+?\$")
DISPLAY_MATH = re.compile(r"\$\$.+?\$\$", re.S)

sys.path.insert(0, str(ROOT / "scripts"))
import build_book  # noqa: E402
import build_slides  # noqa: E402


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


def _cell(kind, source, slide_type=None, tags=None, outputs=None):
    cell = (nbformat.v4.new_markdown_cell(source) if kind == "md"
            else nbformat.v4.new_code_cell(source, outputs=outputs or []))
    if slide_type:
        cell.metadata["slideshow"] = {"slide_type": slide_type}
    if tags:
        cell.metadata["tags"] = tags
    return cell


def _stream(text):
    return nbformat.v4.new_output("stream", name="stdout", text=text)


WIDGET_OUT = nbformat.v4.new_output("display_data", data={
    "text/plain": "VBox(children=(FloatSlider(value=1.0),))",
    "application/vnd.jupyter.widget-view+json": {"model_id": "x", "version_major": 2,
                                                  "version_minor": 0}})


def test_deck_preparation_keeps_only_what_a_slide_shows():
    nb = nbformat.v4.new_notebook(cells=[
        _cell("md", "# Chapter 0: T", "slide"),
        _cell("md", "notes for the title", "notes"),
        _cell("code", "a = 1"),  # hidden input, no output: dropped
        _cell("code", "print(a)", outputs=[_stream("1\n")]),  # input hidden, output kept
        _cell("code", "show_me()", tags=["slide-code"], outputs=[_stream("shown\n")]),
        _cell("code", "w", "skip", ["nbval-ignore-output"], [WIDGET_OUT]),
        _cell("code", "plain_widget", outputs=[nbformat.v4.new_output(
            "execute_result", data={"text/plain": "HBox(children=(Button(),))"})]),
        _cell("md", "Exercise 1.\n\n<details><summary>Solution</summary>42</details>"),
        _cell("code", "print(42)", "skip", ["solution", "hide-input"], [_stream("42\n")]),
        _cell("md", "## Dropped slide start", "slide", ["solution"]),
        _cell("md", "inherits the slide start"),
        _cell("md", "## Going further", "skip", ["going-further"]),
        _cell("code", "print('gf')", tags=["going-further"], outputs=[_stream("optional gf\n")]),
    ])
    before = json.dumps(nb, sort_keys=True)
    shown = build_slides.prepare(nb)
    assert json.dumps(nb, sort_keys=True) == before  # the committed notebook is not touched
    sources = [c.source for c in shown.cells]
    assert sources == ["# Chapter 0: T", "notes for the title", "print(a)", "show_me()",
                       "Exercise 1.\n\n", "inherits the slide start"]
    hidden = [c.metadata.get("transient", {}).get("remove_source", False) for c in shown.cells]
    assert hidden == [False, False, True, False, False, False]
    assert shown.cells[-1].metadata["slideshow"]["slide_type"] == "slide"
    html = build_slides.render(nb, "00_t")
    text = re.sub(r"<[^>]+>", "", html)
    for absent in ("VBox(", "HBox(", "Solution", "print(42)", "optional gf", "print(a)",
                   "Dropped slide start"):
        assert absent not in text, absent
    assert "show_me()" in text and "notes for the title" in html
    assert html.count('<aside class="notes">') == 1


def test_book_preparation_hides_widget_code_and_solution_output():
    nb = nbformat.v4.new_notebook(cells=[
        _cell("md", "# Chapter 0: T"),
        _cell("code", "w", "skip", ["nbval-ignore-output"], [WIDGET_OUT]),
        _cell("code", "static_panel()", outputs=[_stream("panel\n")]),
        _cell("code", "assert check()", "skip", ["solution", "hide-input"]),
    ])
    cells = build_book.prepare(nb).cells
    assert [c.cell_type for c in cells] == ["markdown", "code", "markdown", "code", "code"]
    assert {"remove-input", "remove-output"} <= set(cells[1].metadata["tags"])
    assert "runs in JupyterLab" in cells[2].source
    assert "tags" not in cells[3].metadata
    assert {"hide-input", "remove-output"} <= set(cells[4].metadata["tags"])


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


@pytest.mark.slow
@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_slide_deck(slides, nb_path):
    nb = nbformat.read(nb_path, as_version=4)
    deck = (slides / f"{nb_path.stem}.slides.html").read_text(encoding="utf-8")
    shown = build_slides.prepare(nb)  # what the deck shows: no solutions, optional, skipped
    starts = sum(c.metadata.get("slideshow", {}).get("slide_type") in ("slide", "subslide")
                 for c in shown.cells)
    assert starts >= 5, f"{nb_path.name}: only {starts} cells start a slide (slideshow metadata)"
    assert deck.count("<section") >= starts
    # every figure of a shown cell is in the deck
    shown.cells = [c for c in shown.cells
                   if c.metadata.get("slideshow", {}).get("slide_type") != "notes"]
    assert deck.count("data:image/png;base64") >= image_outputs(shown, skip_tags=())
    assert not REMOTE.search(deck), f"remote resource in deck: {REMOTE.search(deck).group(0)}"
    for asset in ["reveal.js/dist/reveal.js", "reveal.js/plugin/notes/notes.js",
                  "mathjax/MathJax.js"]:
        assert (slides / asset).exists(), asset


@pytest.mark.slow
@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_book_chapter(book, nb_path):
    nb = nbformat.read(nb_path, as_version=4)
    page = (book / f"{nb_path.stem}.html").read_text(encoding="utf-8")
    title = next(c.source.splitlines()[0].lstrip("# ").strip() for c in nb.cells
                 if c.cell_type == "markdown" and c.source.startswith("# "))
    number = int(nb_path.stem[:2])
    assert re.fullmatch(rf"Chapter {number}: \S.*", title), (
        f"{nb_path.name}: title {title!r} is not in the style 'Chapter {number}: Title'")
    h1 = re.search(r"<h1>(.*?)<a class=\"headerlink\"", page, re.S)
    assert h1 and re.sub(r"<[^>]+>", "", h1.group(1)).startswith(f"Chapter {number}: ")
    # widget cells: no code, a note in their place; solution cells: no output
    for cell in nb.cells:
        tags = set(cell.metadata.get("tags", []))
        if cell.cell_type == "code" and "nbval-ignore-output" in tags:
            first = cell.source.strip().splitlines()[0]
            assert first not in re.sub(r"<[^>]+>", "", page), f"widget code shown: {first}"
    n_widgets = sum("nbval-ignore-output" in c.metadata.get("tags", []) for c in nb.cells)
    assert page.count("The interactive figure runs in JupyterLab") == n_widgets
    for m in re.finditer(r'<div class="cell [^"]*\btag_solution\b[^"]*"', page):
        nxt = page.find('<div class="cell ', m.end())
        body = page[m.end(): nxt if nxt > 0 else len(page)]
        assert "cell_output" not in body, f"{nb_path.stem}: a solution cell shows its output"
    figures = image_outputs(nb)
    assert figures > 0 and page.count("<img") >= figures, (figures, page.count("<img"))
    equations = math_count(nb)
    rendered = page.count('class="math')
    assert equations > 0 and rendered >= equations, (equations, rendered)
    assert not REMOTE.search(page), f"remote resource: {REMOTE.search(page).group(0)}"
    # cross-chapter and internal links resolve to pages of the book
    for href in re.findall(r'href="([^"#:]+\.html)(?:#[^"]*)?"', page):
        assert (book / href).exists(), f"{nb_path.stem}: broken link {href}"


class _TextOutsideMath(HTMLParser):
    """Visible text of a page, leaving out math, code, scripts and styles."""

    SKIP = {"script", "style", "pre", "code", "math", "svg", "title"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.chunks = [], []

    def handle_starttag(self, tag, attrs):
        if tag in ("br", "img", "meta", "link", "input", "hr", "source", "wbr"):
            return
        classes = (dict(attrs).get("class") or "").split()
        self.stack.append(tag in self.SKIP or "math" in classes or "MathJax" in classes)

    def handle_endtag(self, tag):
        if self.stack and tag not in ("br", "img", "meta", "link", "input", "hr"):
            self.stack.pop()

    def handle_data(self, data):
        if not any(self.stack):
            self.chunks.append(data)


def stray_dollars(html: str) -> list[str]:
    parser = _TextOutsideMath()
    parser.feed(html)
    text = " ".join(" ".join(parser.chunks).split())
    return [text[max(0, m.start() - 60): m.end() + 60] for m in re.finditer(r"\$", text)]


def test_stray_dollar_finder():
    ok = '<p>Price <span class="math notranslate nohighlight">\\(x$\\)</span></p><pre>$ ls</pre>'
    assert stray_dollars(ok) == []
    broken = '<p>and $ \\sum_k \\pi_k $ mid-paragraph</p>'
    assert len(stray_dollars(broken)) == 2


@pytest.mark.slow
def test_book_has_no_stray_dollar(book):
    found = {}
    for page in sorted(book.glob("*.html")):
        hits = stray_dollars(page.read_text(encoding="utf-8"))
        if hits:
            found[page.name] = hits
    assert not found, "literal $ outside math (a broken $$...$$ display?):\n" + "\n".join(
        f"  {name}: ...{hit}..." for name, hits in found.items() for hit in hits)


@pytest.mark.slow
def test_book_index_and_toc(book):
    index = (book / "intro.html").read_text(encoding="utf-8")
    for nb_path in NOTEBOOKS:
        assert f'href="{nb_path.stem}.html' in index, f"{nb_path.stem} not in the table of contents"
    assert (book / "mathjax" / "MathJax.js").exists()
