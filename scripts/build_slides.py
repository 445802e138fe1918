"""Build one reveal.js slide deck per chapter notebook, viewable offline (`make slides`).

The slide structure comes from the ``slideshow`` cell metadata written in the ``.py``
sources. reveal.js is copied from the ``sphinx-revealjs`` package and MathJax 2 from
``jupyter-server-mathjax`` (both installed from PyPI by the ``book`` extra), so a deck opens
from disk with no network: no CDN is referenced.

    python scripts/build_slides.py [--out _build/slides] [--projector] [NB.ipynb ...]
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REMOTE_SCRIPTS = re.compile(
    r'<script src="https?://[^"]*(?:jquery|require)[^"]*"></script>'
    r'|<script type="module">\s*import mermaid from \'https?://[^\']*\';.*?</script>',
    re.S,
)
# jupyter-server-mathjax ships MathJax 2 with the STIX-Web fonts only.
MATHJAX_FONTS = (
    '<script type="text/x-mathjax-config">MathJax.Hub.Config({"HTML-CSS": '
    '{availableFonts: ["STIX-Web"], preferredFont: "STIX-Web", webFont: "STIX-Web", '
    "imageFont: null}});</script>\n"
)
# nbconvert's reveal template loads reveal.js through require.js (from a CDN). Offline we load
# the two UMD files directly; they define the globals Reveal and RevealNotes, and this
# three-line shim hands them to the template's require([...], callback) call.
LOCAL_LOADER = (
    # a slide taller than the screen scrolls instead of being cut off
    "<style>.reveal .slides > section, .reveal .slides > section > section "
    "{ max-height: 100%; overflow-y: auto !important; }</style>\n"
    '<script src="reveal.js/dist/reveal.js"></script>\n'
    '<script src="reveal.js/plugin/notes/notes.js"></script>\n'
    "<script>function require(config, deps, callback) "
    "{ callback(Reveal, RevealNotes); }</script>\n"
)


def asset_dirs():
    try:
        import jupyter_server_mathjax
        import sphinx_revealjs
    except ImportError as exc:  # pragma: no cover - message for a half-installed venv
        sys.exit(f"build_slides: {exc.name} is missing; `make slides` installs the book extra")
    reveal = Path(sphinx_revealjs.__file__).parent / "_static" / "revealjs"
    mathjax = Path(jupyter_server_mathjax.__file__).parent / "static"
    return reveal, mathjax


def build(notebooks, out: Path) -> list[Path]:
    import nbformat
    from nbconvert import SlidesExporter

    reveal, mathjax = asset_dirs()
    out.mkdir(parents=True, exist_ok=True)
    for src, name in [(reveal, "reveal.js"), (mathjax, "mathjax")]:
        dst = out / name
        if not dst.exists():
            shutil.copytree(src, dst)
    exporter = SlidesExporter(
        reveal_url_prefix="reveal.js",
        reveal_theme="white",
        reveal_transition="none",
        mathjax_url="mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe",
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    written = []
    for nb_path in notebooks:
        nb = nbformat.read(nb_path, as_version=4)
        body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": nb_path.stem}})
        body = REMOTE_SCRIPTS.sub("", body)
        body = body.replace("</head>", LOCAL_LOADER + "</head>", 1)
        body = body.replace('<script src="mathjax/', MATHJAX_FONTS + '<script src="mathjax/', 1)
        target = out / f"{nb_path.stem}.slides.html"
        target.write_text(body, encoding="utf-8")
        written.append(target)
        print(f"wrote {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}")
    return written


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebooks", nargs="*", type=Path)
    ap.add_argument("--out", type=Path, default=ROOT / "_build" / "slides")
    args = ap.parse_args(argv)
    nbs = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if not nbs:
        sys.exit("build_slides: no notebooks/NN_*.ipynb found")
    build(nbs, args.out)


if __name__ == "__main__":
    main()
