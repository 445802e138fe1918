"""scripts/tidy_notebook.py: what `make execute` does to an executed notebook."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import nbformat

SPEC = importlib.util.spec_from_file_location(
    "tidy_notebook", Path(__file__).resolve().parents[1] / "scripts" / "tidy_notebook.py")
tidy_notebook = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(tidy_notebook)


def test_merges_stream_chunks_and_drops_widget_state(tmp_path):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("print(1); print(2)", execution_count=1)
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="1\n"),
        nbformat.v4.new_output("stream", name="stdout", text="2\n"),
        nbformat.v4.new_output("stream", name="stderr", text="w\n"),
        nbformat.v4.new_output("execute_result", data={"text/plain": "3"}, execution_count=1),
        nbformat.v4.new_output("stream", name="stdout", text="4\n"),
    ]
    nb.cells = [cell]
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {}}
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    tidy_notebook.main([str(path)])
    out = nbformat.read(path, as_version=4)
    assert "widgets" not in out.metadata
    kinds = [(o.output_type, o.get("name")) for o in out.cells[0].outputs]
    assert kinds == [("stream", "stdout"), ("stream", "stderr"), ("execute_result", None),
                     ("stream", "stdout")]
    assert out.cells[0].outputs[0].text == "1\n2\n"
    # a second pass finds nothing to change and leaves the file alone
    before = path.read_bytes()
    tidy_notebook.main([str(path)])
    assert path.read_bytes() == before
