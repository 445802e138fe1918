"""The lecture decks in Chromium at 1280x720 (scripts/check_slides.py does the measuring).

First the checker itself, on a small hand-made notebook with one overflowing slide, one
slide without notes, one code slide, a widget, a solution and optional material: it must
find each planted defect and nothing else. Then every chapter deck, built from the
committed notebooks into a temporary folder: no slide taller or wider than the screen, code
input on at most a quarter of a deck's slides, speaker notes on every slide, no widget text,
no solutions, no image stretched past 1.25x on a 1080p projector.
"""

from __future__ import annotations

import base64
import io
import re
import sys

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from .conftest import NOTEBOOKS, ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import build_slides  # noqa: E402
import check_slides  # noqa: E402

pytestmark = pytest.mark.browser


def _png(dpi: int) -> str:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.0, 3.0), dpi=dpi)
    fig.add_subplot().plot([0, 1, 2], [0, 1, 0])
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return base64.b64encode(buf.getvalue()).decode()


def _md(text, slide_type=None, tags=None):
    cell = new_markdown_cell(text)
    if slide_type:
        cell.metadata["slideshow"] = {"slide_type": slide_type}
    if tags:
        cell.metadata["tags"] = tags
    return cell


def _code(source, outputs=(), slide_type=None, tags=None):
    cell = new_code_cell(source, outputs=list(outputs))
    if slide_type:
        cell.metadata["slideshow"] = {"slide_type": slide_type}
    if tags:
        cell.metadata["tags"] = tags
    return cell


def _notes(text="Say this; ask the room that. *(2 min)*"):
    return _md(text, "notes")


WIDGET_OUTPUT = new_output(
    "display_data",
    data={"text/plain": "VBox(children=(SelectionSlider(value=1.0, options=(1.0, 2.0)),))",
          "application/vnd.jupyter.widget-view+json": {"model_id": "abc", "version_major": 2,
                                                        "version_minor": 0}})


def tiny_notebook():
    """Seven slides: 2 overflows, 3 shows code, 4 has no notes and a blurry figure."""
    dense_png = new_output("display_data", data={"image/png": _png(160),
                                                 "text/plain": "<Figure size 480x240>"},
                           metadata={"image/png": {"width": 480, "height": 240}})
    plain_png = new_output("display_data", data={"image/png": _png(80),
                                                 "text/plain": "<Figure size 480x240>"})
    cells = [
        _md("# Chapter 0: A test deck\n\nOne line of motivation.", "slide"), _notes(),
        _md("## Too long\n\n" + "\n".join(f"* bullet number {i} of many" for i in range(40)),
            "slide"), _notes(),
        _md("## Code worth showing", "slide"),
        _code("x = 1\nprint(x)", [new_output("stream", name="stdout", text="1\n")],
              tags=["slide-code"]),
        _code("y = 2  # hidden input, no output: not on the slide"),
        _notes(),
        _md("## Speaker forgot the notes", "slide"),
        _code("plot()", [plain_png]),
        _md("## Interactive", "slide"),
        _code("widget", [WIDGET_OUTPUT], "skip", ["nbval-ignore-output"]),
        _code("static_panel()", [dense_png, new_output("stream", name="stdout", text="t=1\n")]),
        _notes(),
        _md("## Exercise\n\nCompute the answer.", "slide"),
        _md("<details><summary>Solution</summary>\n\nThe answer is 42.\n</details>",
            tags=["solution"]),
        _code("print(42)", [new_output("stream", name="stdout", text="42\n")], "skip",
              ["solution", "hide-input"]),
        _notes(),
        _md("## Summary\n\n* one\n* two", "slide"), _notes(),
        _md("## Going further\n\nOptional derivation.", "skip", ["going-further"]),
        _code("print('optional')", [new_output("stream", name="stdout", text="optional\n")],
              "skip", ["going-further"]),
    ]
    return new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3",
                                                              "display_name": "Python 3",
                                                              "language": "python"}})


def _write_deck(tmp_path, nb, name, raw=False, monkeypatch=None):
    build_slides.build([], tmp_path)  # copies reveal.js and MathJax next to the deck
    if raw:  # the deck nbconvert would make without our preparation
        monkeypatch.setattr(build_slides, "prepare", lambda nb: nb)
    path = tmp_path / f"{name}.slides.html"
    path.write_text(build_slides.render(nb, name), encoding="utf-8")
    return path


def test_checker_finds_each_planted_defect(browser, tmp_path):
    deck = _write_deck(tmp_path, tiny_notebook(), "00_test")
    (report,) = check_slides.measure([deck], browser=browser)
    print(check_slides.table([report]))
    numbers = lambda slides: [s.number for s in slides]  # noqa: E731
    assert len(report.slides) == 7
    assert numbers(report.overflowing) == [2]
    assert numbers(report.code_visible) == [3]
    assert numbers(report.without_notes) == [4]
    assert numbers(report.upscaled) == [4]  # the 80-dpi figure; the 2x one on slide 5 is fine
    assert report.widget_text == [] and report.with_solutions == []
    problems = report.violations()
    assert len(problems) == 3, problems
    assert "slide 2 (#/1/0) \"Too long bullet number 0 of" in problems[0]
    assert "below the screen" in problems[0]
    assert "slide 4" in problems[1] and "Speaker forgot the notes" in problems[1]
    assert "no speaker notes" in problems[1]
    assert "upscaled 1.4" in problems[2]
    # the deck shows the static panel and its summary, not the widget
    text = re.sub(r"<[^>]+>", "", deck.read_text(encoding="utf-8"))
    assert "VBox(" not in text and "The answer is 42" not in text and "optional" not in text
    assert "print(x)" in text and "y = 2" not in text


def test_checker_flags_what_an_unprepared_deck_shows(browser, tmp_path, monkeypatch):
    nb = tiny_notebook()
    for cell in nb.cells:  # as the notebooks were before the lecture cut: nothing skipped
        cell.metadata.pop("slideshow", None) if "skip" in str(cell.metadata) else None
    deck = _write_deck(tmp_path, nb, "00_raw", raw=True, monkeypatch=monkeypatch)
    (report,) = check_slides.measure([deck], browser=browser)
    print(check_slides.table([report]))
    problems = "\n".join(report.violations())
    assert report.widget_text and "VBox(children=" in problems
    assert report.with_solutions and "shows a solution" in problems
    assert len(report.code_visible) > len(report.slides) / 4
    assert "code input shows on" in problems


@pytest.fixture(scope="module")
def decks(tmp_path_factory):
    out = tmp_path_factory.mktemp("decks")
    return build_slides.build(NOTEBOOKS, out)


def test_every_chapter_deck_fits_the_lecture_rules(browser, decks):
    assert decks, "no chapter notebooks to build decks from"
    reports = check_slides.measure(decks, browser=browser)
    table = check_slides.table(reports)
    print(table)
    problems = [line for r in reports for line in r.violations()]
    assert not problems, (f"\n{table}\n\n{len(problems)} problem(s) "
                          "(scripts/check_slides.py DECK reproduces this):\n"
                          + "\n".join(problems))
    for nb_path, report in zip(NOTEBOOKS, reports, strict=True):
        starts = sum(c.metadata.get("slideshow", {}).get("slide_type") in ("slide", "subslide")
                     for c in nbformat.read(nb_path, as_version=4).cells)
        assert len(report.slides) >= 5, f"{report.name}: only {len(report.slides)} slides"
        assert len(report.slides) <= starts + 1, report.name


def test_speaker_view_opens_offline_with_the_notes(browser, tmp_path):
    """`s` opens reveal.js's speaker view (notes plugin, loaded from disk) with the notes."""
    deck = _write_deck(tmp_path, tiny_notebook(), "00_notes")
    context = browser.new_context(viewport=check_slides.WINDOW)
    try:
        page = context.new_page()
        page.goto(deck.as_uri())
        page.wait_for_function("() => window.courseMathReady", timeout=60_000)
        assert page.evaluate("() => Reveal.hasPlugin('notes')")
        with context.expect_page(timeout=10_000) as popup:
            page.keyboard.press("s")
        view = popup.value
        view.wait_for_function(
            "() => document.body && document.body.innerText.includes('ask the room')",
            timeout=10_000)
        assert "Upcoming" in view.evaluate("() => document.body.innerText")
    finally:
        context.close()
