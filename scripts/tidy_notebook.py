"""Tidy an executed notebook in place (run by `make execute` after nbconvert).

* Remove saved widget state (``metadata.widgets``): it breaks rendering on GitHub and goes
  stale as soon as the kernel stops.
* Merge consecutive stream outputs of the same stream: how the kernel splits printed text
  into chunks depends on timing, so without this every re-execution churns the diff although
  the text is identical (nbval compares the merged text either way).

    python scripts/tidy_notebook.py notebooks/01_entropy.ipynb [...]
"""

from __future__ import annotations

import sys

import nbformat


def tidy(nb) -> bool:
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
        cell.outputs = merged
    return changed


def main(paths):
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        if tidy(nb):
            nbformat.write(nb, path)


if __name__ == "__main__":
    main(sys.argv[1:])
