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


def test_widget_outputs_get_a_readable_text_fallback(tmp_path):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("fig", execution_count=1,
                                     metadata={"tags": ["nbval-ignore-output"]})
    view = {"model_id": "abc", "version_major": 2, "version_minor": 0}
    cell.outputs = [nbformat.v4.new_output(
        "display_data", data={"application/vnd.jupyter.widget-view+json": view,
                              "text/plain": "VBox(children=(SelectionSlider(continuous_upd…"})]
    plain = nbformat.v4.new_code_cell("1", execution_count=2)
    plain.outputs = [nbformat.v4.new_output("execute_result", data={"text/plain": "1"},
                                            execution_count=2)]
    bare = nbformat.v4.new_code_cell("box", execution_count=3)  # a repr without the view
    bare.outputs = [nbformat.v4.new_output(
        "execute_result", data={"text/plain": "VBox(children=(IntSlider(value=1),))"},
        execution_count=3)]
    nb.cells = [cell, plain, bare]
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    tidy_notebook.main([str(path)])
    out = nbformat.read(path, as_version=4)
    # only the sentence is left: the dead view reference (and its random model_id) is gone
    assert out.cells[0].outputs[0].data == {"text/plain": tidy_notebook.WIDGET_TEXT}
    assert "VBox" not in path.read_text() and "model_id" not in path.read_text()
    assert out.cells[1].outputs[0].data["text/plain"] == "1"  # other outputs untouched
    assert out.cells[2].outputs[0].data == {"text/plain": tidy_notebook.WIDGET_TEXT}
    before = path.read_bytes()
    tidy_notebook.main([str(path)])  # idempotent
    assert path.read_bytes() == before


def test_rewrites_the_paired_py_as_jupytext_writes_it(tmp_path):
    import jupytext

    nb = nbformat.v4.new_notebook(metadata={"jupytext": {"formats": "ipynb,py:percent"}})
    cell = nbformat.v4.new_code_cell("x = 1", execution_count=1)
    cell.metadata.update({"tags": ["solution"], "slideshow": {"slide_type": "skip"}})
    nb.cells = [nbformat.v4.new_markdown_cell("# Title"), cell]
    py, ipynb = tmp_path / "01_x.py", tmp_path / "01_x.ipynb"
    jupytext.write(nb, py, fmt="py:percent")  # keys in the authored order: tags first
    nbformat.write(nb, ipynb)  # stored sorted
    assert '# %% tags=["solution"] slideshow=' in py.read_text()
    tidy_notebook.main([str(ipynb)])
    text = py.read_text()
    assert '# %% slideshow={"slide_type": "skip"} tags=["solution"]' in text
    assert text == jupytext.writes(nbformat.read(ipynb, as_version=4), fmt="py:percent")
    assert jupytext.read(py).cells[1].source == "x = 1"
    before = py.stat().st_mtime_ns
    tidy_notebook.main([str(ipynb)])  # already canonical: not written again
    assert py.stat().st_mtime_ns == before


def _tiny_widget(**kwargs):
    from course_utils.widgets._core import InteractiveFigure, slider

    def compute(a):
        return {"a": a}

    def setup(fig, data):
        ax = fig.add_subplot()
        (line,) = ax.plot([0, 1], [0, data["a"]])
        return line

    def update(line, data):
        line.set_ydata([0, data["a"]])

    return InteractiveFigure(compute, setup, update, {"a": slider("a", [1, 2, 3])},
                             lambda d: f"a = {d['a']}", figsize=(2, 1.5), **kwargs)


def test_a_live_widget_carries_the_same_readable_text():
    from course_utils.widgets import _core

    assert _core.WIDGET_TEXT == tidy_notebook.WIDGET_TEXT
    bundle = _tiny_widget()._repr_mimebundle_()
    assert bundle["text/plain"] == tidy_notebook.WIDGET_TEXT
    assert "model_id" in bundle["application/vnd.jupyter.widget-view+json"]


def test_sliders_update_while_dragged_only_when_a_redraw_is_fast(monkeypatch):
    from course_utils.widgets import _core

    fig = _tiny_widget()
    fig.widget()
    assert fig.first_redraw_seconds > 0
    assert fig.continuous_update == (fig.first_redraw_seconds < _core.CONTINUOUS_BELOW_S)
    assert fig.controls["a"].continuous_update == fig.continuous_update
    monkeypatch.setattr(_core, "CONTINUOUS_BELOW_S", 0.0)  # nothing is fast enough
    slow = _tiny_widget()
    slow.widget()
    assert slow.continuous_update is False and slow.controls["a"].continuous_update is False
    monkeypatch.setattr(_core, "CONTINUOUS_BELOW_S", 1e9)
    fast = _tiny_widget()
    fast.widget()
    assert fast.continuous_update is True and fast.controls["a"].continuous_update is True
    forced = _tiny_widget(continuous_update=False)  # a widget may decide for itself
    forced.widget()
    assert forced.controls["a"].continuous_update is False


def test_the_widget_image_is_shown_at_its_own_pixel_size():
    from course_utils.widgets._core import png_width, render_png

    fig = _tiny_widget()
    fig.widget()
    png = fig._image.value
    assert png_width(png) == round(fig.fig.get_size_inches()[0] * fig.fig.dpi)
    # not stretched by the flex box to the output area's width (blurred), at most shrunk
    assert fig._image.layout.width == f"{png_width(png)}px"
    assert fig._image.layout.max_width == "100%"
    assert png_width(render_png(fig.fig)) == png_width(png)
