"""Render the whole course, with its stored outputs, as a static HTML book (`make book`).

Jupyter Book 1 (Sphinx) builds from a staging folder: the ``book/`` configuration, the
executed chapter notebooks, and MathJax 2 copied from ``jupyter-server-mathjax`` so that the
pages show their equations offline. Notebooks are not re-executed. Widget cells (tagged
``nbval-ignore-output``) have their live-widget output removed: without a kernel they show
nothing, and the static fallback cell that follows each one carries the figure instead.

    python scripts/build_book.py [--out _build/book]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def stage(src_notebooks: Path, dest: Path) -> list[Path]:
    import jupyter_server_mathjax
    import nbformat
    import yaml

    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(ROOT / "book", dest)
    toc = yaml.safe_load((ROOT / "book" / "_toc.yml").read_text())
    chapters = [c["file"] for c in toc["chapters"]]
    staged = []
    for name in chapters:
        nb_path = src_notebooks / f"{name}.ipynb"
        if not nb_path.exists():
            sys.exit(f"build_book: {nb_path} is listed in book/_toc.yml but does not exist")
        nb = nbformat.read(nb_path, as_version=4)
        for cell in nb.cells:
            tags = cell.metadata.get("tags", [])
            if "nbval-ignore-output" in tags and "remove-output" not in tags:
                cell.metadata["tags"] = [*tags, "remove-output"]
        nb.metadata.pop("widgets", None)
        out = dest / nb_path.name
        nbformat.write(nb, out)
        staged.append(out)
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
