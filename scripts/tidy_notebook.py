"""Tidy an executed notebook in place (run by `make execute` after nbconvert).

* Remove saved widget state (``metadata.widgets``): it breaks rendering on GitHub and goes
  stale as soon as the kernel stops.
* Merge consecutive stream outputs of the same stream: how the kernel splits printed text
  into chunks depends on timing, so without this every re-execution churns the diff although
  the text is identical (nbval compares the merged text either way).
* Store every widget output as a readable sentence, :data:`WIDGET_TEXT`. Saved widget state
  is removed (above), so the stored widget view can never come back to life: before the cell
  is run again JupyterLab would show "Error displaying widget: model not found", and GitHub
  its ``text/plain``, a ``VBox(children=(SelectionSlider(...`` dump. The view reference (whose
  random ``model_id`` would also change on every run) is dropped and the text replaced, so
  readers see what to do; running the cell brings the sliders.
* Rewrite the paired ``.py`` (when there is one next to the notebook) exactly as jupytext
  writes it from the ``.ipynb`` with the project's configuration: cell-metadata keys in
  jupytext's order, so the two files are byte-identical renderings of one notebook and
  JupyterLab opens the pair whichever file is newer. Only the form changes, never the content
  (the .ipynb was just made from that .py).

    python scripts/tidy_notebook.py notebooks/01_entropy.ipynb [...]
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
WIDGET_TEXT = ("Interactive figure: run this cell in JupyterLab to use the sliders; "
               "the static panel below shows representative settings.")
PAIRED_FMT = "py:percent"
# the text/plain repr of an ipywidgets box, e.g. "VBox(children=(SelectionSlider(..."
WIDGET_REPR = re.compile(r"^\s*[HV]?Box\(children=")


def tidy(nb) -> bool:
    """Tidy the notebook node in place; True if anything changed."""
    changed = nb.metadata.pop("widgets", None) is not None
    for cell in nb.cells:
        outputs = cell.get("outputs")
        if not outputs:
            continue
        merged = []
        for out in outputs:
            prev = merged[-1] if merged else None
            if (out.output_type == "stream" and prev is not None
                    and prev.output_type == "stream" and prev.name == out.name):
                prev.text += out.text
                changed = True
            else:
                merged.append(out)
            data = out.get("data", {})
            if WIDGET_MIME in data or (set(data) == {"text/plain"}
                                       and WIDGET_REPR.match(str(data["text/plain"]))):
                if dict(data) != {"text/plain": WIDGET_TEXT}:
                    out["data"] = nbformat.from_dict({"text/plain": WIDGET_TEXT})
                    out["metadata"] = nbformat.from_dict({})
                    changed = True
        cell.outputs = merged
    return changed


def canonical_py(nb, py_path: Path) -> str:
    """The percent-format text jupytext writes for nb, with the configuration of py_path."""
    import jupytext
    from jupytext.config import load_jupytext_config

    config = load_jupytext_config(str(py_path))
    return jupytext.writes(nb, fmt=PAIRED_FMT, config=config)


def main(paths) -> None:
    for path in map(Path, paths):
        nb = nbformat.read(path, as_version=4)
        if tidy(nb):
            nbformat.write(nb, path)
        py = path.with_suffix(".py")
        if py.exists():
            text = canonical_py(nb, py)
            if py.read_text(encoding="utf-8") != text:
                py.write_text(text, encoding="utf-8")
                print(f"{py}: rewritten in jupytext's canonical form (same cells)")


if __name__ == "__main__":
    main(sys.argv[1:])
