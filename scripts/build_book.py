"""Render the whole course, with its stored outputs, as a static HTML book (`make book`).

Jupyter Book 1 (Sphinx) builds from a staging folder: the ``book/`` configuration, the
executed chapter notebooks, and MathJax 2 copied from ``jupyter-server-mathjax`` so that the
pages show their equations offline. Notebooks are not re-executed. While staging:

* the table of contents gets one entry per ``notebooks/NN_*.ipynb``, in order, and the
  chapter list of the first page is written from the chapters' title cells;
* a widget cell (tagged ``nbval-ignore-output``) is removed with its output (without a
  kernel it shows nothing) and a one-line note stands in its place: the static panel in
  the cell after it carries the figure;
* a solution code cell (tagged ``solution``) keeps its input collapsed and shows no output;
  ``<details>`` solution blocks stay (they are collapsed), and so do the "Going further"
  sections (they are part of the book).

    python scripts/build_book.py [--out _build/book]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


CHAPTER_GLOB = "[0-9][0-9]_*.ipynb"
CHAPTER_LIST_MARKER = "<!-- chapter list: written by scripts/build_book.py -->"
WIDGET_NOTE = ("```{note}\nThe interactive figure runs in JupyterLab; the static panel below "
               "shows representative settings.\n```")


def _add_tags(cell, *new):
    tags = list(cell.metadata.get("tags", []))
    cell.metadata["tags"] = tags + [t for t in new if t not in tags]


def prepare(nb):
    """The notebook as the book shows it (changed in place and returned; see module doc)."""
    import nbformat

    cells = []
    for cell in nb.cells:
        tags = set(cell.metadata.get("tags", []))
        cells.append(cell)
        if cell.cell_type != "code":
            continue
        if "nbval-ignore-output" in tags:
            _add_tags(cell, "remove-input", "remove-output")
            cells.append(nbformat.v4.new_markdown_cell(WIDGET_NOTE))
        if "solution" in tags:
            _add_tags(cell, "hide-input", "remove-output")
    nb.cells = cells
    nb.metadata.pop("widgets", None)
    return nb


def chapter_title(nb, fallback: str) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.source.startswith("# "):
            return cell.source.splitlines()[0][2:].strip()
    return fallback


def stage(src_notebooks: Path, dest: Path) -> list[Path]:
    import jupyter_server_mathjax
    import nbformat
    import yaml

    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(ROOT / "book", dest, ignore=shutil.ignore_patterns("__pycache__"))
    sources = sorted(src_notebooks.glob(CHAPTER_GLOB))
    if not sources:
        sys.exit(f"build_book: no chapter notebooks ({CHAPTER_GLOB}) in {src_notebooks}")
    staged, titles = [], []
    for nb_path in sources:
        nb = prepare(nbformat.read(nb_path, as_version=4))
        titles.append((nb_path.stem, chapter_title(nb, nb_path.stem)))
        out = dest / nb_path.name
        nbformat.write(nb, out)
        staged.append(out)
    toc = yaml.safe_load((ROOT / "book" / "_toc.yml").read_text())
    toc["chapters"] = [{"file": stem} for stem, _ in titles]
    (dest / "_toc.yml").write_text(yaml.safe_dump(toc, sort_keys=False))
    intro = dest / "intro.md"
    text = intro.read_text()
    if CHAPTER_LIST_MARKER not in text:
        sys.exit(f"build_book: book/intro.md lacks the line {CHAPTER_LIST_MARKER!r}")
    listing = "\n".join(f"- [{title}]({stem}.ipynb)" for stem, title in titles)
    intro.write_text(text.replace(CHAPTER_LIST_MARKER, listing))
    mathjax = Path(jupyter_server_mathjax.__file__).parent / "static"
    # html_extra_path, not _static: Jupyter Book adds a script tag for every .js in _static
    shutil.copytree(mathjax, dest / "_extra" / "mathjax")
    return staged


def build(src_notebooks: Path, out: Path) -> Path:
    src = out / "src"
    stage(src_notebooks, src)
    jb = str(Path(sys.executable).with_name("jupyter-book"))
    cmd = [jb, "build", str(src), "--path-output", str(out),
           "--builder", "html", "--warningiserror", "--keep-going"]
    res = subprocess.run(cmd, cwd=ROOT)
    if res.returncode != 0:
        sys.exit(f"build_book: jupyter-book failed with exit code {res.returncode}")
    html = out / "_build" / "html"
    print(f"book written to {html / 'index.html'}")
    return html


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "_build" / "book")
    ap.add_argument("--notebooks", type=Path, default=ROOT / "notebooks")
    args = ap.parse_args(argv)
    build(args.notebooks, args.out)


if __name__ == "__main__":
    main()
