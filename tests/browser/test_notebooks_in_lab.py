"""Every chapter notebook in a real JupyterLab: runs clean, every slider moves its figure.

For each notebook, from a fresh kernel: Run All Cells, wait for the kernel to be idle,
assert there is no error output anywhere, that every slider rendered, and that moving each
slider with the keyboard changes the widget's figure and its printed summary within 1 s.
Failures save a screenshot under tests/browser/artifacts/.
"""

from __future__ import annotations

import re
import time

import pytest

from .conftest import ARTIFACTS, NOTEBOOKS, api

pytestmark = pytest.mark.browser

RUN_TIMEOUT_MS = 120_000
MOVE_TIMEOUT_MS = 1_000


def test_there_are_notebooks():
    assert NOTEBOOKS, "no chapter notebooks found in notebooks/"


def _wait_idle(page, timeout_ms):
    """Wait until no cell shows the busy prompt [*] and the kernel status reads Idle."""
    page.wait_for_function(
        """() => {
            const prompts = [...document.querySelectorAll('.jp-InputArea-prompt')];
            const busy = prompts.some(p => p.textContent.includes('*'));
            const status = document.querySelector('.jp-Notebook-ExecutionIndicator');
            const idle = !status || status.getAttribute('data-status') === 'idle';
            return prompts.length > 0 && !busy && idle;
        }""",
        timeout=timeout_ms,
    )


def _run_all(page):
    page.locator(".jp-Cell .jp-InputArea-prompt").first.click()
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name=re.compile(r"^Run All Cells")).click()


def _changed(page, widget, before_src, before_text):
    """True when the widget's image and summary both changed within MOVE_TIMEOUT_MS."""
    try:
        page.wait_for_function(
            """([el, src, txt]) => {
                const img = el.querySelector('img');
                const sum = el.querySelector('.course-summary');
                return img.getAttribute('src') !== src && sum.innerText !== txt;
            }""",
            arg=[widget.element_handle(), before_src, before_text],
            timeout=MOVE_TIMEOUT_MS,
        )
        return True
    except Exception:
        return False


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_and_sliders_move(lab, browser, nb):
    ctx = browser.new_context(viewport={"width": 1400, "height": 20000})
    page = ctx.new_page()
    shot = ARTIFACTS / f"{nb.stem}.png"
    try:
        # a workspace of its own, reset: no tab of an earlier notebook is restored
        page.goto(f"{lab['base']}/lab/workspaces/t-{nb.stem}/tree/{nb.name}"
                  f"?reset&token={lab['token']}")
        page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=60_000)
        page.wait_for_function(
            "() => document.querySelector('.jp-Notebook-ExecutionIndicator')"
            "?.getAttribute('data-status') === 'idle'", timeout=60_000)
        # clear stored outputs first so every output we inspect comes from this run
        page.locator(".jp-Cell .jp-InputArea-prompt").first.click()
        page.get_by_role("menuitem", name="Edit", exact=True).click()
        page.get_by_role("menuitem", name=re.compile(r"^Clear Outputs of All Cells")).click()
        _run_all(page)
        time.sleep(1.0)
        _wait_idle(page, RUN_TIMEOUT_MS)

        errors = page.locator(
            '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
        if errors.count():
            texts = "\n---\n".join(errors.all_inner_texts())[:4000]
            pytest.fail(f"{nb.name}: error/stderr output after Run All:\n{texts}")
        assert page.locator(".jp-InputArea-prompt", has_text="*").count() == 0

        widgets = page.locator(".course-widget")
        n_widgets = widgets.count()
        handles = page.locator(".course-widget .noUi-handle")
        n_sliders = handles.count()
        if n_widgets:
            assert n_sliders > 0, f"{nb.name}: a widget rendered without its sliders"
        for w in range(n_widgets):
            widget = widgets.nth(w)
            widget.scroll_into_view_if_needed()
            img = widget.locator("img").first
            summary = widget.locator(".course-summary").first
            img.wait_for(timeout=10_000)
            for s in range(widget.locator(".noUi-handle").count()):
                handle = widget.locator(".noUi-handle").nth(s)
                before_src = img.get_attribute("src")
                before_text = summary.inner_text()
                now = handle.get_attribute("aria-valuenow")
                top = handle.get_attribute("aria-valuemax")
                key = "ArrowLeft" if now == top else "ArrowRight"
                handle.focus()
                handle.press(key)
                if not _changed(page, widget, before_src, before_text):
                    pytest.fail(f"{nb.name}: widget {w}, slider {s}: pressing {key} did not change "
                                f"the figure and the summary within {MOVE_TIMEOUT_MS} ms")
            # toggle buttons (e.g. the VE/VP schedule): click one that is not selected
            toggles = widget.locator(".widget-toggle-buttons")
            for g in range(toggles.count()):
                other = toggles.nth(g).locator("button:not(.mod-active)").first
                before_src = img.get_attribute("src")
                before_text = summary.inner_text()
                other.click()
                if not _changed(page, widget, before_src, before_text):
                    pytest.fail(f"{nb.name}: widget {w}, toggle {g}: a click did not change the "
                                f"figure and the summary within {MOVE_TIMEOUT_MS} ms")
        if n_widgets == 0:
            pytest.fail(f"{nb.name}: no course widget rendered (expected sliders)")
        print(f"{nb.name}: {n_widgets} widget(s), {n_sliders} slider(s) each moved and redrawn")
    except BaseException:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        try:
            page.screenshot(path=str(shot), full_page=False)
        except Exception:
            pass
        raise
    finally:
        ctx.close()
        for sess in api(lab["base"], lab["token"], "/api/sessions") or []:
            api(lab["base"], lab["token"], f"/api/sessions/{sess['id']}", method="DELETE")
