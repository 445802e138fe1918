"""scripts/check_notebooks.py: a clean pair passes, and each defect is reported.

The notebooks are built in tmp_path with nbformat and jupytext (outputs written by hand, no
kernel), so these tests are fast and independent of the chapters.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "check_notebooks.py"
HEADER = {
    "jupytext": {"formats": "ipynb,py:percent"},
    "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python",
                   "name": "python3"},
}


def load_checks():
    spec = importlib.util.spec_from_file_location("check_notebooks_under_test", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


checks = load_checks()


def executed_notebook():
    """A small notebook as one fresh kernel would leave it."""
    cells = [
        new_markdown_cell("# A chapter\n\nSome text."),
        new_code_cell("import math\nprint(round(math.pi, 3))", execution_count=1,
                      outputs=[new_output("stream", name="stdout", text="3.142\n")]),
        new_code_cell("x = 2\nx", execution_count=2, metadata={"tags": ["nbval-ignore-output"]},
                      outputs=[new_output("execute_result", data={"text/plain": "2"},
                                          execution_count=2)]),
        new_code_cell("", execution_count=None),  # an empty cell is never run
    ]
    return new_notebook(cells=cells, metadata=json.loads(json.dumps(HEADER)))


def write_pair(nb_dir: Path, nb=None, stem="01_demo") -> tuple[Path, Path]:
    nb = nb if nb is not None else executed_notebook()
    nb_dir.mkdir(parents=True, exist_ok=True)
    py, ipynb = nb_dir / f"{stem}.py", nb_dir / f"{stem}.ipynb"
    jupytext.write(nb, py, fmt="py:percent")
    nbformat.write(nb, ipynb)
    return py, ipynb


def edit_json(path: Path, change) -> None:
    raw = json.loads(path.read_text(encoding="utf-8"))
    change(raw)
    path.write_text(json.dumps(raw, indent=1), encoding="utf-8")


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True,
                          timeout=120)


# ---------------------------------------------------------------- a good pair


def test_a_clean_pair_passes(tmp_path):
    write_pair(tmp_path)
    assert checks.check_pairing(tmp_path) == []
    assert checks.check_hygiene(tmp_path) == []
    done = run_cli("--notebooks", str(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "pairing: ok (1 chapter(s): 01_demo)" in done.stdout
    assert "hygiene: ok" in done.stdout


def test_no_notebooks_is_not_an_error(tmp_path):
    (tmp_path / "helper.py").write_text("x = 1\n")  # not a chapter: ignored
    done = run_cli("--notebooks", str(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no chapter notebooks" in done.stdout


def test_unknown_check_is_a_usage_error(tmp_path):
    done = run_cli("--notebooks", str(tmp_path), "spelling")
    assert done.returncode == 2
    assert "unknown check spelling" in done.stderr


# ---------------------------------------------------------------- pairing defects


def test_py_without_ipynb(tmp_path):
    py, ipynb = write_pair(tmp_path)
    ipynb.unlink()
    (problem,) = checks.check_pairing(tmp_path)
    assert "01_demo.py has no paired 01_demo.ipynb" in problem and "make execute" in problem


def test_ipynb_without_py(tmp_path):
    py, ipynb = write_pair(tmp_path)
    py.unlink()
    (problem,) = checks.check_pairing(tmp_path)
    assert "01_demo.ipynb has no paired 01_demo.py" in problem and "jupytext --sync" in problem


def test_source_edited_in_py_only(tmp_path):
    py, _ = write_pair(tmp_path)
    py.write_text(py.read_text().replace("x = 2", "x = 3"))
    (problem,) = checks.check_pairing(tmp_path)
    assert "out of sync" in problem and "x = 3" in problem and "x = 2" in problem


def test_cell_added_in_ipynb_only(tmp_path):
    _, ipynb = write_pair(tmp_path)
    edit_json(ipynb, lambda nb: nb["cells"].append(
        {"cell_type": "markdown", "id": "extra-cell", "metadata": {}, "source": "More."}))
    (problem,) = checks.check_pairing(tmp_path)
    assert "out of sync" in problem


def test_tag_missing_from_py(tmp_path):
    py, _ = write_pair(tmp_path)
    py.write_text(py.read_text().replace(' tags=["nbval-ignore-output"]', ""))
    (problem,) = checks.check_pairing(tmp_path)
    assert "out of sync" in problem and "nbval-ignore-output" in problem


def test_outputs_and_language_info_do_not_count_as_differences(tmp_path):
    _, ipynb = write_pair(tmp_path)

    def change(nb):
        nb["metadata"]["language_info"] = {"name": "python", "version": "3.11.7"}
        nb["cells"][1]["outputs"][0]["text"] = "something else\n"
    edit_json(ipynb, change)
    assert checks.check_pairing(tmp_path) == []


def test_header_without_pairing_declaration(tmp_path):
    nb = executed_notebook()
    del nb.metadata["jupytext"]
    write_pair(tmp_path, nb)
    (problem,) = checks.check_pairing(tmp_path)
    assert "does not declare the pairing" in problem and "--set-formats" in problem


# ---------------------------------------------------------------- hygiene defects


def hygiene_after(tmp_path, change):
    _, ipynb = write_pair(tmp_path)
    edit_json(ipynb, change)
    return checks.check_hygiene(tmp_path, id_base=None)


def test_unexecuted_code_cell(tmp_path):
    problems = hygiene_after(tmp_path, lambda nb: nb["cells"][2].update(
        execution_count=None, outputs=[]))
    assert any("code cell 3 not executed" in p for p in problems), problems


def test_execution_out_of_order(tmp_path):
    def change(nb):
        nb["cells"][1]["execution_count"], nb["cells"][2]["execution_count"] = 2, 1
    (problem,) = hygiene_after(tmp_path, change)
    assert "execution counts are 2, 1" in problem


def test_execution_not_from_a_fresh_kernel(tmp_path):
    def change(nb):
        nb["cells"][1]["execution_count"], nb["cells"][2]["execution_count"] = 7, 8
    (problem,) = hygiene_after(tmp_path, change)
    assert "execution counts are 7, 8" in problem and "fresh kernel" in problem


def test_error_output(tmp_path):
    error = {"output_type": "error", "ename": "ZeroDivisionError",
             "evalue": "division by zero", "traceback": ["..."]}
    (problem,) = hygiene_after(tmp_path, lambda nb: nb["cells"][1]["outputs"].append(error))
    assert "cell 2 has an error output (ZeroDivisionError: division by zero)" in problem


def test_saved_widget_state(tmp_path):
    state = {"application/vnd.jupyter.widget-state+json": {"state": {}, "version_major": 2,
                                                           "version_minor": 0}}
    (problem,) = hygiene_after(tmp_path, lambda nb: nb["metadata"].update(widgets=state))
    assert "metadata.widgets" in problem


def test_missing_id(tmp_path):
    problems = hygiene_after(tmp_path, lambda nb: nb["cells"][0].pop("id"))
    assert any("cell 1 have no id" in p for p in problems), problems


def test_duplicate_ids(tmp_path):
    def change(nb):
        nb["cells"][0]["id"] = nb["cells"][2]["id"] = "same-id"
    (problem,) = hygiene_after(tmp_path, change)
    assert "id 'same-id' is used by cells 1, 3" in problem


def test_invalid_id(tmp_path):
    problems = hygiene_after(tmp_path, lambda nb: nb["cells"][0].update(id="has space"))
    assert any("invalid id" in p for p in problems), problems


def test_old_nbformat_without_ids(tmp_path):
    def change(nb):
        nb["nbformat_minor"] = 4
        for cell in nb["cells"]:
            cell.pop("id")
    (problem,) = hygiene_after(tmp_path, change)
    assert "nbformat 4.4 has no cell ids" in problem


def test_id_regenerated_since_last_commit(tmp_path):
    git = shutil.which("git")
    if git is None:
        pytest.fail("git is needed for this test (apt-get install git)")
    nb_dir = tmp_path / "notebooks"
    _, ipynb = write_pair(nb_dir)
    env_args = ["-c", "user.name=test", "-c", "user.email=test@example.invalid",
                "-c", "commit.gpgsign=false"]
    for cmd in (["init", "-q"], ["add", "."], [*env_args, "commit", "-q", "-m", "chapter"]):
        subprocess.run([git, "-C", str(tmp_path), *cmd], check=True, capture_output=True)
    assert checks.check_hygiene(nb_dir) == []  # unchanged since the commit

    old_id = json.loads(ipynb.read_text())["cells"][1]["id"]
    edit_json(ipynb, lambda nb: nb["cells"][1].update(id="brand-new-id"))
    (problem,) = checks.check_hygiene(nb_dir)
    assert f"cell 2: '{old_id}' -> 'brand-new-id'" in problem and "stable" in problem

    # an edited cell may get a new id: only unchanged sources must keep theirs
    def edited(nb):
        nb["cells"][1]["source"] = "print('changed')"
    edit_json(ipynb, edited)
    assert checks.check_hygiene(nb_dir) == []


def test_cli_reports_each_problem_and_fails(tmp_path):
    py, ipynb = write_pair(tmp_path)
    write_pair(tmp_path, stem="02_other")
    (tmp_path / "02_other.ipynb").unlink()
    edit_json(ipynb, lambda nb: nb["metadata"].update(widgets={}))
    done = run_cli("--notebooks", str(tmp_path))
    assert done.returncode == 1
    assert "pairing: " in done.stdout and "02_other.py has no paired" in done.stdout
    assert "hygiene: " in done.stdout and "metadata.widgets" in done.stdout
    assert "pairing: FAILED, 1 problem(s) in 2 chapter(s)." in done.stdout
    assert "hygiene: FAILED, 1 problem(s) in 2 chapter(s)." in done.stdout


# ---------------------------------------------------------------- byte-identical pairing


def slide_notebook():
    """A notebook with a cell carrying several metadata keys (their order is what differs)."""
    nb = executed_notebook()
    nb.cells[1].metadata.update({"tags": ["solution", "hide-input"],
                                 "jupyter": {"source_hidden": True},
                                 "slideshow": {"slide_type": "skip"}})
    nb.cells[1].outputs = []
    return nb


def test_py_with_the_same_cells_but_not_jupytexts_text_is_reported(tmp_path):
    # the .py is written from the notebook in memory, whose keys are in the order an author
    # typed them (tags, jupyter, slideshow); the .ipynb stores them sorted, so jupytext writes
    # them from the .ipynb as jupyter, slideshow, tags: the same cells, other bytes
    py, ipynb = write_pair(tmp_path, slide_notebook())
    authored = next(x for x in py.read_text().splitlines() if x.startswith("# %% tags="))
    assert authored.index("tags=") < authored.index("jupyter=") < authored.index("slideshow=")
    assert checks.pairing_difference(py, ipynb) is None  # the same cells...
    (problem,) = checks.check_pairing(tmp_path)  # ...but not byte-identical
    assert "not byte-identical" in problem and "tidy_notebook.py" in problem, problem
    assert authored[:40] in problem

    tidy = importlib.util.spec_from_file_location("tidy", ROOT / "scripts" / "tidy_notebook.py")
    module = importlib.util.module_from_spec(tidy)
    tidy.loader.exec_module(module)
    module.main([str(ipynb)])  # the fix the message gives
    assert checks.check_pairing(tmp_path) == []
    canonical = next(x for x in py.read_text().splitlines() if "tags=" in x)
    assert canonical.index("jupyter=") < canonical.index("slideshow=") < canonical.index("tags=")
    assert py.read_text() == jupytext.writes(nbformat.read(ipynb, as_version=4), "py:percent")


def test_a_missing_final_newline_is_reported(tmp_path):
    py, _ = write_pair(tmp_path)
    py.write_text(py.read_text().rstrip("\n"))
    (problem,) = checks.check_pairing(tmp_path)
    assert "not byte-identical" in problem


# ---------------------------------------------------------------- solutions, font sizes


def solution_notebook(tags, outputs):
    nb = executed_notebook()
    nb.cells[1].metadata["tags"] = tags
    nb.cells[1].outputs = outputs
    return nb


PRINTED = [new_output("stream", name="stdout", text="3.142\n")]


def test_a_solution_cell_with_output_is_a_problem(tmp_path):
    write_pair(tmp_path, solution_notebook(["solution", "hide-input"], PRINTED))
    (problem,) = checks.check_hygiene(tmp_path, id_base=None)
    assert "cell 2 is a worked solution" in problem and "stream" in problem, problem
    assert "assert" in problem


def test_a_solution_cell_showing_a_value_is_a_problem(tmp_path):
    result = [new_output("execute_result", data={"text/plain": "2"}, execution_count=1)]
    write_pair(tmp_path, solution_notebook(["solution"], result))
    (problem,) = checks.check_hygiene(tmp_path, id_base=None)
    assert "execute_result" in problem


@pytest.mark.parametrize("tags, outputs", [
    (["solution", "hide-input"], []),            # asserts, prints nothing
    (["solution", "remove-output"], PRINTED),    # output removed from every rendering
    (["solution", "hide-output"], PRINTED),
    (["hide-input"], PRINTED),                   # not a solution
])
def test_solution_cells_without_visible_output_are_fine(tmp_path, tags, outputs):
    write_pair(tmp_path, solution_notebook(tags, outputs))
    assert checks.check_hygiene(tmp_path, id_base=None) == []


def test_numeric_font_sizes_are_reported_in_sources_and_package(tmp_path):
    nb_dir = tmp_path / "notebooks"
    py, _ = write_pair(nb_dir)
    text = py.read_text() + '\n# %%\nax.legend(fontsize=8)  # comment fontsize=9\n'
    py.write_text(text)
    line = len(text.splitlines())
    package = tmp_path / "course_utils" / "widgets"
    package.mkdir(parents=True)
    (package / "demo.py").write_text(
        'ax.set_title("t", fontsize = 7.5)\n'
        'ax.text(0, 0, "s", **{"fontsize": 8})\n'
        'ax.legend(fontsize="small")\n'
        'STYLE = {"legend.fontsize": 9}  # the style itself sets sizes\n'
        '# fontsize=8 in a comment is fine\n')
    problems = [p for p in checks.check_hygiene(nb_dir, id_base=None) if "font size" in p]
    where = sorted(p.split(": numeric")[0].replace("\\", "/").rsplit("/", 2)[-1]
                   for p in problems)
    assert where == [f"01_demo.py:{line}", "demo.py:1", "demo.py:2"], problems
    # the pair itself is no longer in sync (the .py gained a cell): reported separately
    assert checks.check_pairing(nb_dir)


def test_relative_font_sizes_pass(tmp_path):
    nb_dir = tmp_path / "notebooks"
    write_pair(nb_dir)
    (tmp_path / "course_utils").mkdir()
    (tmp_path / "course_utils" / "plot.py").write_text(
        'ax.legend(fontsize="small")\nfig.suptitle("x", fontsize="large")\n')
    assert checks.check_hygiene(nb_dir, id_base=None) == []
