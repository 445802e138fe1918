"""Build one reveal.js slide deck per chapter notebook, viewable offline (`make slides`).

The slide structure comes from the ``slideshow`` cell metadata written in the ``.py``
sources; a cell with ``slide_type: notes`` becomes the speaker notes of its slide (press
``s`` in the deck). reveal.js is copied from the ``sphinx-revealjs`` package and MathJax 2
from ``jupyter-server-mathjax`` (both installed from PyPI by the ``book`` extra), so a deck
opens from disk with no network: no CDN is referenced.

Each notebook is prepared in memory before nbconvert sees it (the committed notebooks are
never changed):

* code input is hidden unless the cell is tagged ``slide-code`` (outputs stay);
* cells tagged ``solution`` or ``going-further`` and markdown ``<details>`` blocks are left
  out, as are cells with ``slide_type: skip``;
* live-widget outputs are dropped (they need a kernel; the static-panel cell after each
  widget carries the figure), with their ``VBox(children=...)`` text fallback;
* figures that carry a display size (high-density PNGs) are shown 1.5x larger;
* cells that would render nothing are dropped (a dropped cell that started a slide hands
  the start to the next cell).

``--projector`` first executes every notebook with ``COURSE_PROJECTOR=1`` (large fonts and
lines, from ``course_utils.plotting``) into copies under ``_build/projector-notebooks/`` and
builds the decks from those copies (default output ``_build/slides-projector/``).

    python scripts/build_slides.py [--out _build/slides] [--projector] [NB.ipynb ...]
"""

from __future__ import annotations

import argparse
import copy
import os
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The size of a slide in CSS pixels; reveal.js scales it to the window, so a slide that fits
# 1280x720 fits any 16:9 screen.
SLIDE_WIDTH, SLIDE_HEIGHT = 1280, 720
EXECUTE_TIMEOUT = 300  # seconds per cell, projector mode
# Figures stored with twice the pixels of their notebook display size (course_utils.plotting)
# are shown 1.5x larger on a slide: still 1.33 stored pixels per slide pixel.
DECK_IMAGE_SCALE = 1.5

HIDDEN_TAGS = {"solution", "going-further"}
SHOW_CODE_TAG = "slide-code"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
# the text/plain repr of an ipywidgets object, e.g. "VBox(children=(FloatSlider(..."
WIDGET_REPR = re.compile(r"^\s*[A-Z][A-Za-z]*\((?:children|value|layout|description|outputs)=")
DETAILS = re.compile(r"<details\b.*?</details\s*>", re.S | re.I)

REMOTE_SCRIPTS = re.compile(
    r'<script src="https?://[^"]*(?:jquery|require)[^"]*"></script>'
    r'|<script type="module">\s*import mermaid from \'https?://[^\']*\';.*?</script>',
    re.S,
)
# jupyter-server-mathjax ships MathJax 2 with the STIX-Web fonts only.
MATHJAX_FONTS = (
    '<script type="text/x-mathjax-config">MathJax.Hub.Config({"HTML-CSS": '
    '{availableFonts: ["STIX-Web"], preferredFont: "STIX-Web", webFont: "STIX-Web", '
    # MathJax's blank test font points at about:blank, which Chromium refuses to fetch from a
    # file:// page (a console error); a missing local font behaves the same
    "imageFont: null, styles: {\"@font-face\": {\"font-family\": \"MathJax_Blank\", "
    "src: \"local('MathJax_Blank_none')\"}}}});\n"
    # a flag for scripts/check_slides.py: the first typesetting pass is over
    'MathJax.Hub.Register.StartupHook("End", function () { window.courseMathReady = true; });'
    "</script>\n"
)
# Slide layout for a 1280x720 slide: text sizes for a room, and figures scaled down to the
# height left on the slide instead of running below it (max-height; never scaled up).
SLIDE_CSS = f"""<style>
.reveal {{ font-size: 100%; }}
:root {{
  --jp-content-font-size1: 24px;
  --jp-ui-font-size1: 22px;
  --jp-code-font-size: 17px;
  --jp-content-heading-line-height: 1.2;
}}
.reveal .slides {{ text-align: left; }}
.reveal h1, .reveal h2, .reveal h3 {{ text-transform: none; }}
.reveal .slides section {{ padding: 0 8px; box-sizing: border-box; }}
.reveal .jp-RenderedHTMLCommon h1 {{ font-size: 44px; margin: 0 0 14px; }}
.reveal .jp-RenderedHTMLCommon h2 {{ font-size: 36px; margin: 0 0 12px; }}
.reveal .jp-RenderedHTMLCommon h3 {{ font-size: 30px; margin: 0 0 10px; }}
.reveal .jp-RenderedHTMLCommon p, .reveal .jp-RenderedHTMLCommon li {{ line-height: 1.35; }}
.reveal .jp-RenderedHTMLCommon p {{ margin: 0 0 10px; }}
.reveal .jp-Cell {{ padding: 2px 0; }}
.reveal .jp-OutputArea-output {{ padding: 0; }}
.reveal .jp-OutputArea-output pre {{ white-space: pre-wrap; font-size: var(--jp-code-font-size);
  line-height: 1.25; }}
.reveal section img {{
  display: block; margin: 4px auto; height: auto;
  max-width: 100%; max-height: {SLIDE_HEIGHT - 200}px; object-fit: contain;
}}
.reveal .jp-OutputArea-output.jp-RenderedImage {{ display: block; }}
/* no inner scroll bars: a slide's text either fits the slide or is reported by check_slides */
.reveal .jp-RenderedHTMLCommon, .reveal .jp-InputArea {{ overflow: visible; }}
.reveal div.highlight > pre {{ width: auto; box-sizing: border-box; white-space: pre-wrap;
  font-size: var(--jp-code-font-size); }}
</style>
"""
# nbconvert's reveal template loads reveal.js through require.js (from a CDN). Offline we load
# the two UMD files directly; they define the globals Reveal and RevealNotes, and this
# three-line shim hands them to the template's require([...], callback) call, which
# registers the notes plugin (speaker view on `s`).
LOCAL_LOADER = (
    '<script src="reveal.js/dist/reveal.js"></script>\n'
    '<script src="reveal.js/plugin/notes/notes.js"></script>\n'
    "<script>function require(config, deps, callback) "
    "{ callback(Reveal, RevealNotes); }</script>\n"
)


REVEAL_PLUGINS = "plugins: [RevealNotes],"
# A slide shown before MathJax finished its first pass can keep a "Math Processing Error";
# typeset such a slide again once MathJax is idle.
MATH_RETRY = """<script>
Reveal.on('slidechanged', function (event) {
  if (!window.MathJax || !MathJax.Hub) return;
  MathJax.Hub.Queue(function () {
    if (event.currentSlide.querySelector('.MathJax_Error')) {
      MathJax.Hub.Queue(['Reprocess', MathJax.Hub, event.currentSlide]);
    }
  });
});
</script>
"""


# ---------------------------------------------------------------- preparing a notebook


def _slide_type(cell) -> str:
    return cell.metadata.get("slideshow", {}).get("slide_type", "-") or "-"


def _is_widget_output(out) -> bool:
    data = out.get("data", {})
    if WIDGET_MIME in data:
        return True
    text = data.get("text/plain", "")
    text = "".join(text) if isinstance(text, list) else text
    return bool(text) and set(data) <= {"text/plain"} and bool(WIDGET_REPR.match(text))


def _shown_outputs(cell) -> list:
    kept = []
    for out in cell.get("outputs", []):
        if _is_widget_output(out):
            continue
        for mime, meta in out.get("metadata", {}).items():
            if mime.startswith("image/") and isinstance(meta, dict):
                for key in ("width", "height"):
                    if isinstance(meta.get(key), (int, float)):
                        meta[key] = round(meta[key] * DECK_IMAGE_SCALE)
        if out.get("output_type") == "stream":
            text = out.get("text", "")
            if not ("".join(text) if isinstance(text, list) else text).strip():
                continue
        kept.append(out)
    return kept


def prepare(nb):
    """The notebook as the deck shows it (a copy; ``nb`` is not changed). See the module doc."""
    nb = copy.deepcopy(nb)
    kept = []
    pending_start = None  # slide/subslide start of a dropped cell, for the next kept cell
    for cell in nb.cells:
        tags = set(cell.metadata.get("tags", []))
        kind = _slide_type(cell)
        drop = bool(tags & HIDDEN_TAGS) or kind == "skip"
        if not drop and cell.cell_type == "markdown":
            cell.source = DETAILS.sub("", cell.source)
            drop = not cell.source.strip()
        elif not drop and cell.cell_type == "code":
            cell.outputs = _shown_outputs(cell)
            if SHOW_CODE_TAG not in tags:
                cell.metadata["transient"] = {"remove_source": True}
                drop = not cell.outputs
            else:
                drop = not cell.source.strip() and not cell.outputs
        elif not drop and cell.cell_type == "raw":
            drop = True
        if drop:
            if kind in ("slide", "subslide") and pending_start != "slide":
                pending_start = kind
            continue
        if pending_start and kind in ("-", "fragment"):
            cell.metadata.setdefault("slideshow", {})["slide_type"] = pending_start
        if kind != "notes":
            pending_start = None
        kept.append(cell)
    nb.cells = kept
    nb.metadata.pop("widgets", None)
    return nb


# ---------------------------------------------------------------- projector copies


def execute_projector_copies(notebooks, workdir: Path, timeout: int = EXECUTE_TIMEOUT):
    """Execute each notebook with COURSE_PROJECTOR=1 into ``workdir`` (originals untouched)."""
    import nbformat
    from nbclient import NotebookClient

    workdir.mkdir(parents=True, exist_ok=True)
    copies = []
    old = os.environ.get("COURSE_PROJECTOR")
    os.environ["COURSE_PROJECTOR"] = "1"  # the kernel inherits the environment
    try:
        for nb_path in notebooks:
            nb = nbformat.read(nb_path, as_version=4)
            print(f"executing {nb_path.name} in projector mode")
            NotebookClient(nb, timeout=timeout, kernel_name="python3",
                           resources={"metadata": {"path": str(nb_path.parent.resolve())}}
                           ).execute()
            dest = workdir / nb_path.name
            nbformat.write(nb, dest)
            copies.append(dest)
    finally:
        if old is None:
            os.environ.pop("COURSE_PROJECTOR", None)
        else:
            os.environ["COURSE_PROJECTOR"] = old
    return copies


# ---------------------------------------------------------------- the decks


def asset_dirs():
    try:
        import jupyter_server_mathjax
        import sphinx_revealjs
    except ImportError as exc:  # pragma: no cover - message for a half-installed venv
        sys.exit(f"build_slides: {exc.name} is missing; `make slides` installs the book extra")
    reveal = Path(sphinx_revealjs.__file__).parent / "_static" / "revealjs"
    mathjax = Path(jupyter_server_mathjax.__file__).parent / "static"
    return reveal, mathjax


def render(nb, name: str) -> str:
    """The HTML of one deck (assets referenced relative to the deck's folder)."""
    from nbconvert import SlidesExporter

    exporter = SlidesExporter(
        reveal_url_prefix="reveal.js",
        reveal_theme="white",
        reveal_transition="none",
        reveal_number="c/t",
        reveal_width=str(SLIDE_WIDTH),
        reveal_height=str(SLIDE_HEIGHT),
        mathjax_url="mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe",
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    body, _ = exporter.from_notebook_node(prepare(nb), resources={"metadata": {"name": name}})
    body = REMOTE_SCRIPTS.sub("", body)
    # Lay out every slide (not only the 3 nearest): MathJax 2 cannot typeset math inside a
    # display:none slide and shows it blank ("Math Processing Error") when revisited.
    if REVEAL_PLUGINS not in body:
        raise RuntimeError("build_slides: nbconvert's reveal template changed; "
                           f"{REVEAL_PLUGINS!r} not found")
    body = body.replace(REVEAL_PLUGINS, REVEAL_PLUGINS + " viewDistance: 1000, center: true,", 1)
    body = body.replace("</head>", SLIDE_CSS + LOCAL_LOADER + "</head>", 1)
    head, sep, tail = body.rpartition("</html>")
    body = head + MATH_RETRY + sep + tail
    body = body.replace('<script src="mathjax/', MATHJAX_FONTS + '<script src="mathjax/', 1)
    return body


def build(notebooks, out: Path) -> list[Path]:
    import nbformat

    reveal, mathjax = asset_dirs()
    out.mkdir(parents=True, exist_ok=True)
    for src, name in [(reveal, "reveal.js"), (mathjax, "mathjax")]:
        dst = out / name
        if not dst.exists():
            shutil.copytree(src, dst)
    written = []
    for nb_path in notebooks:
        nb = nbformat.read(nb_path, as_version=4)
        target = out / f"{nb_path.stem}.slides.html"
        target.write_text(render(nb, nb_path.stem), encoding="utf-8")
        written.append(target)
        print(f"wrote {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}")
    return written


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebooks", nargs="*", type=Path)
    ap.add_argument("--out", type=Path, default=None,
                    help="output folder (default _build/slides, or _build/slides-projector)")
    ap.add_argument("--projector", action="store_true",
                    help="execute the notebooks with COURSE_PROJECTOR=1 into "
                         "_build/projector-notebooks/ first, and build the decks from those")
    args = ap.parse_args(argv)
    nbs = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if not nbs:
        sys.exit("build_slides: no notebooks/NN_*.ipynb found")
    out = args.out or ROOT / "_build" / ("slides-projector" if args.projector else "slides")
    if args.projector:
        nbs = execute_projector_copies(nbs, ROOT / "_build" / "projector-notebooks")
    build(nbs, out)


if __name__ == "__main__":
    main()
