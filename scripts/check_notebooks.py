#!/usr/bin/env python3
"""Check the chapter notebooks in ``notebooks/``: pairing and hygiene.

A chapter is ``notebooks/NN_slug.py`` (jupytext percent format, the file people edit) paired
with ``notebooks/NN_slug.ipynb`` (the executed notebook whose outputs nbval compares).

pairing
    every ``NN_*.py`` has its ``.ipynb`` and vice versa, their cells (type, source and the
    cell metadata the ``.py`` keeps, such as tags) are the same, and the ``.py`` is
    byte-identical to what jupytext writes from the ``.ipynb`` (otherwise JupyterLab refuses to
    open a pair whose ``.ipynb`` is the newer file). Read-only: nothing is written.
hygiene
    every ``.ipynb`` looks like one run of a fresh kernel, top to bottom: every code cell with
    source was executed, execution counts are 1, 2, 3, ... in order, no error output, no saved
    widget state (``metadata.widgets``), every cell has a valid id, ids are unique, and a cell
    whose source is unchanged since the last commit kept its id. A code cell tagged
    ``solution`` shows no output (worked solutions assert instead of printing) unless it is
    also tagged ``remove-output`` or ``hide-output``. No numeric ``fontsize=8`` in the
    notebook sources or in ``course_utils/`` (the style, and its projector mode, sets every
    font size; use relative sizes such as ``fontsize="small"``).

Usage::

    python scripts/check_notebooks.py                  # both checks
    python scripts/check_notebooks.py pairing          # one of them
    python scripts/check_notebooks.py --notebooks DIR  # another directory

Exit status: 0 when no problem was found (also when there are no chapter notebooks yet),
1 when a problem was found (one line per problem, with what to do), 2 on a usage error.

Dependencies: the standard library, nbformat and jupytext. ``course_utils.doctor`` loads this
file and calls ``check_pairing`` and ``check_hygiene``: keep it the single implementation.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import warnings
from pathlib import Path

import jupytext
import nbformat
from jupytext.compare import NotebookDifference, compare_notebooks
from jupytext.config import load_jupytext_config

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_NOTEBOOKS = REPO_ROOT / "notebooks"
CHAPTER = re.compile(r"^[0-9][0-9]_.+$")
PAIRED_FMT = "py:percent"
# nbformat 4.5 cell ids: 1-64 letters, digits, '-' or '_'.
CELL_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
FIX_EXECUTE = "run `make execute NB={py}` (fresh kernel, top to bottom)"
SOLUTION_TAG = "solution"
OUTPUT_HIDDEN_TAGS = ("remove-output", "hide-output")
# fontsize=8, fontsize = 7.5, "fontsize": 8, dict(fontsize=8): a number, not a relative size.
# The style's own rcParams ("legend.fontsize": 9) are where sizes belong: not matched.
NUMERIC_FONTSIZE = re.compile(r"""(?<![.\w])fontsize['"]?\s*[=:]\s*[-+]?(?:\d|\.\d)""")


def _show(path: Path) -> str:
    """The path as the reader typed it: relative to the current directory when possible."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def chapter_stems(nb_dir: Path) -> list[str]:
    """Sorted names ``NN_slug`` of every chapter with a ``.py`` or an ``.ipynb`` in nb_dir."""
    stems = {
        p.stem
        for p in nb_dir.glob("[0-9][0-9]_*")
        if p.suffix in (".py", ".ipynb") and p.is_file() and CHAPTER.match(p.stem)
    }
    return sorted(stems)


# --------------------------------------------------------------------------- pairing


def pairing_difference(py_path: Path, ipynb_path: Path) -> str | None:
    """None if the two files hold the same cells, else a description of the first difference.

    The ``.ipynb`` is rendered to percent text with the project's jupytext configuration and
    read back, so metadata the ``.py`` filters out (language_info, outputs, ids, ...) is
    ignored, while sources, cell types and the metadata the ``.py`` keeps (tags, slideshow)
    are compared.
    """
    config = load_jupytext_config(str(py_path))
    from_py = jupytext.read(py_path, fmt=PAIRED_FMT, config=config)
    from_ipynb = nbformat.read(ipynb_path, as_version=4)
    as_text = jupytext.writes(from_ipynb, fmt=PAIRED_FMT, config=config)
    expected = jupytext.reads(as_text, fmt=PAIRED_FMT, config=config)
    try:
        compare_notebooks(from_py, expected, fmt=PAIRED_FMT, compare_outputs=False)
    except NotebookDifference as err:
        text = str(err).strip()
        return text if len(text) <= 1500 else text[:1500] + "\n[...]"
    return None


def canonical_text(ipynb_path: Path, py_path: Path) -> str:
    """The percent text jupytext writes for the .ipynb, with the configuration of py_path."""
    config = load_jupytext_config(str(py_path))
    return jupytext.writes(nbformat.read(ipynb_path, as_version=4), fmt=PAIRED_FMT,
                           config=config)


def first_text_difference(actual: str, expected: str) -> str:
    """Line number and both versions of the first line where two texts differ."""
    a_lines, e_lines = actual.splitlines(), expected.splitlines()
    for i, (a, e) in enumerate(zip(a_lines, e_lines, strict=False), 1):
        if a != e:
            return f"line {i}:\n    .py:     {a[:160]}\n    jupytext: {e[:160]}"
    if len(a_lines) != len(e_lines):
        return (f"the .py has {len(a_lines)} lines, jupytext writes {len(e_lines)}")
    return "line endings or the final newline differ"


def declares_pairing(py_path: Path) -> bool:
    """Whether the .py header itself pairs it with an .ipynb (``jupytext: formats:``).

    JupyterLab (``make lab`` serves notebooks/) does not see the jupytext.toml at the
    repository root, so without this declaration saving in Lab would write the .ipynb alone.
    """
    from jupytext.formats import long_form_multiple_formats

    nb = jupytext.read(py_path, fmt=PAIRED_FMT)
    formats = long_form_multiple_formats(nb.metadata.get("jupytext", {}).get("formats", ""))
    exts = {(f.get("extension"), f.get("format_name")) for f in formats}
    return ".ipynb" in {ext for ext, _ in exts} and (".py", "percent") in exts


def check_pairing(nb_dir: Path = DEFAULT_NOTEBOOKS) -> list[str]:
    """One message per pairing problem among the chapters in nb_dir."""
    problems = []
    for stem in chapter_stems(nb_dir):
        py, nb = nb_dir / f"{stem}.py", nb_dir / f"{stem}.ipynb"
        if not nb.exists():
            problems.append(
                f"{_show(py)} has no paired {nb.name}: create it with "
                f"`make execute NB={_show(py)}`."
            )
            continue
        if not py.exists():
            problems.append(
                f"{_show(nb)} has no paired {py.name} (the .py is the file people edit and "
                f"review): create it with `.venv/bin/jupytext --sync {_show(nb)}`."
            )
            continue
        try:
            diff = pairing_difference(py, nb)
            declared = declares_pairing(py)
        except Exception as err:  # unreadable file: say which and why
            problems.append(f"{_show(py)} / {nb.name}: cannot be read: {type(err).__name__}: {err}")
            continue
        if not declared:
            problems.append(
                f"{_show(py)}: its header does not declare the pairing "
                "(`jupytext: formats: ipynb,py:percent`), so JupyterLab, which does not see the "
                "root jupytext.toml, would save the .ipynb alone. Fix: `.venv/bin/jupytext "
                f"--set-formats ipynb,py:percent {_show(py)}`."
            )
        if diff is not None:
            problems.append(
                f"{_show(py)} and {nb.name} are out of sync. First difference "
                "('expected' is the .ipynb, 'actual' the .py):\n"
                + _indent(diff)
                + f"\n  fix: the .py is the source; {FIX_EXECUTE.format(py=_show(py))}. "
                "If you edited the .ipynb instead, run `.venv/bin/jupytext --sync "
                f"{_show(nb)}` first."
            )
            continue
        try:
            canonical = canonical_text(nb, py)
        except Exception as err:
            problems.append(f"{_show(nb)}: cannot be rendered by jupytext: "
                            f"{type(err).__name__}: {err}")
            continue
        text = py.read_bytes().decode("utf-8", errors="replace")
        if text != canonical:
            problems.append(
                f"{_show(py)} has the same cells as {nb.name} but is not byte-identical to what "
                "jupytext writes from it (JupyterLab then refuses to open the pair when the "
                ".ipynb is the newer file). First difference, "
                + first_text_difference(text, canonical)
                + f"\n  fix: `.venv/bin/python scripts/tidy_notebook.py {_show(nb)}` rewrites the "
                f".py in jupytext's form (as `make execute NB={_show(py)}` does)."
            )
    return problems


# --------------------------------------------------------------------------- hygiene


def _indent(text: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + line for line in text.splitlines())


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _cells_list(numbers: list[int]) -> str:
    return ("cell " if len(numbers) == 1 else "cells ") + ", ".join(map(str, numbers))


def _committed_notebook(path: Path, ref: str) -> dict | None:
    """The notebook as committed at git ``ref``, or None (no git, not tracked, no commit)."""
    try:
        top = subprocess.run(
            ["git", "-C", str(path.parent), "rev-parse", "--show-toplevel"],
            capture_output=True, text=True, timeout=20, check=False,
        )
        if top.returncode != 0:
            return None
        rel = path.resolve().relative_to(Path(top.stdout.strip()).resolve()).as_posix()
        shown = subprocess.run(
            ["git", "-C", top.stdout.strip(), "show", f"{ref}:{rel}"],
            capture_output=True, text=True, timeout=20, check=False,
        )
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return None
    if shown.returncode != 0:
        return None
    try:
        return json.loads(shown.stdout)
    except json.JSONDecodeError:
        return None


def _changed_ids(cells: list[dict], committed: dict) -> list[str]:
    """Cells whose source is unchanged since the commit but whose id is not."""
    def unique_by_source(cell_list):
        seen: dict[tuple, list] = {}
        for i, cell in enumerate(cell_list, 1):
            key = (cell.get("cell_type"), _source(cell))
            seen.setdefault(key, []).append((i, cell.get("id")))
        return {k: v[0] for k, v in seen.items() if len(v) == 1 and k[1].strip()}

    old = unique_by_source(committed.get("cells", []))
    new = unique_by_source(cells)
    changed = []
    for key, (i, new_id) in sorted(new.items(), key=lambda kv: kv[1][0]):
        if key in old and old[key][1] and old[key][1] != new_id:
            changed.append(f"cell {i}: '{old[key][1]}' -> '{new_id}'")
    return changed


def notebook_hygiene(path: Path, py_hint: str | None = None, id_base: str | None = "HEAD"):
    """One message per hygiene problem of the notebook at path."""
    name = _show(path)
    fix = FIX_EXECUTE.format(py=py_hint or _show(path.with_suffix(".py")))
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        return [f"{name}: not a readable JSON notebook: {err}"]
    problems = []

    if (raw.get("nbformat"), raw.get("nbformat_minor", 0)) < (4, 5):
        problems.append(
            f"{name}: nbformat {raw.get('nbformat')}.{raw.get('nbformat_minor')} has no cell "
            f"ids (4.5 or newer is needed for stable ids): {fix}."
        )
    else:
        try:
            with warnings.catch_warnings():  # missing/duplicate ids: reported below
                warnings.simplefilter("ignore")
                nbformat.validate(nbformat.from_dict(raw))
        except nbformat.ValidationError as err:
            problems.append(f"{name}: not a valid notebook: {str(err).splitlines()[0]}")

    cells = raw.get("cells", [])
    # ids: present, valid, unique
    missing = [i for i, c in enumerate(cells, 1) if not c.get("id")]
    if missing and (raw.get("nbformat"), raw.get("nbformat_minor", 0)) >= (4, 5):
        problems.append(f"{name}: {_cells_list(missing)} have no id: {fix}.")
    invalid = [i for i, c in enumerate(cells, 1)
               if c.get("id") and not (isinstance(c["id"], str) and CELL_ID.match(c["id"]))]
    if invalid:
        problems.append(
            f"{name}: {_cells_list(invalid)}: invalid id (1-64 letters, digits, '-', '_')."
        )
    by_id: dict[str, list[int]] = {}
    for i, c in enumerate(cells, 1):
        if isinstance(c.get("id"), str) and c["id"]:
            by_id.setdefault(c["id"], []).append(i)
    for cid, where in by_id.items():
        if len(where) > 1:
            problems.append(
                f"{name}: id '{cid}' is used by {_cells_list(where)}: ids must be unique; give "
                "the copies new ids (jupytext --update keeps the others)."
            )
    if id_base:
        committed = _committed_notebook(path, id_base)
        if committed is not None:
            changed = _changed_ids(cells, committed)
            if changed:
                problems.append(
                    f"{name}: cell ids changed since {id_base} although their source did not "
                    f"({'; '.join(changed)}): ids must be stable. Restore the committed "
                    f"notebook (`git checkout {id_base} -- {name}`), then rerun "
                    f"`make execute NB={py_hint or _show(path.with_suffix('.py'))}`, which "
                    "keeps ids."
                )

    # execution: every code cell with source run once, in order, by one fresh kernel
    code = [(i, c) for i, c in enumerate(cells, 1)
            if c.get("cell_type") == "code" and _source(c).strip()]
    not_run = [i for i, c in code if c.get("execution_count") is None]
    if not_run:
        problems.append(f"{name}: code {_cells_list(not_run)} not executed: {fix}.")
    counts = [c.get("execution_count") for _, c in code if c.get("execution_count") is not None]
    if counts != list(range(1, len(counts) + 1)):
        shown = ", ".join(map(str, counts[:12])) + (", ..." if len(counts) > 12 else "")
        problems.append(
            f"{name}: execution counts are {shown}; one fresh kernel run top to bottom gives "
            f"1, 2, 3, ...: {fix}."
        )

    for i, c in enumerate(cells, 1):
        for out in c.get("outputs", []) or []:
            if out.get("output_type") == "error":
                problems.append(
                    f"{name}: cell {i} has an error output ({out.get('ename')}: "
                    f"{str(out.get('evalue'))[:200]}): fix the cell, then {fix}."
                )

    for i, c in enumerate(cells, 1):
        tags = c.get("metadata", {}).get("tags", []) or []
        if (c.get("cell_type") == "code" and SOLUTION_TAG in tags and c.get("outputs")
                and not any(t in tags for t in OUTPUT_HIDDEN_TAGS)):
            kinds = sorted({o.get("output_type", "?") for o in c["outputs"]})
            problems.append(
                f"{name}: cell {i} is a worked solution (tag '{SOLUTION_TAG}') with output "
                f"({', '.join(kinds)}): a solution cell shows nothing (it asserts instead of "
                "printing, e.g. `assert ex.check_...(value)`), or is also tagged "
                f"{' or '.join(repr(t) for t in OUTPUT_HIDDEN_TAGS)}; then {fix}."
            )

    if "widgets" in raw.get("metadata", {}):
        problems.append(
            f"{name}: saved widget state in metadata.widgets (it breaks rendering on GitHub): "
            f"{fix}, which strips it."
        )
    return problems


def fontsize_problems(paths) -> list[str]:
    """One message per numeric ``fontsize=<number>`` in the given Python files."""
    problems = []
    for path in paths:
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            continue
        for lineno, line in enumerate(lines, 1):
            if NUMERIC_FONTSIZE.search(line.split("#", 1)[0]):
                problems.append(
                    f"{_show(Path(path))}:{lineno}: numeric font size ({line.strip()[:100]}): "
                    "the style sets every size (projector mode enlarges them); use a relative "
                    "size such as fontsize=\"small\" or leave it to the style."
                )
    return problems


def check_hygiene(nb_dir: Path = DEFAULT_NOTEBOOKS, id_base: str | None = "HEAD",
                  package_dir: Path | None = None) -> list[str]:
    """One message per hygiene problem among the chapter notebooks in nb_dir.

    package_dir (default: ``course_utils/`` next to nb_dir, if there is one) is scanned for
    numeric font sizes too, like the chapter sources.
    """
    problems = []
    sources = []
    for stem in chapter_stems(nb_dir):
        nb = nb_dir / f"{stem}.ipynb"
        if nb.exists():
            problems += notebook_hygiene(nb, _show(nb_dir / f"{stem}.py"), id_base)
        if (nb_dir / f"{stem}.py").exists():
            sources.append(nb_dir / f"{stem}.py")
    if package_dir is None:
        package_dir = nb_dir.resolve().parent / "course_utils"
    if package_dir.is_dir():
        sources += sorted(package_dir.rglob("*.py"))
    return problems + fontsize_problems(sources)


# --------------------------------------------------------------------------- command line

CHECKS = {"pairing": check_pairing, "hygiene": check_hygiene}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checks", nargs="*", metavar="CHECK",
                        help="pairing and/or hygiene (default: both)")
    parser.add_argument("--notebooks", type=Path, default=DEFAULT_NOTEBOOKS,
                        help="directory of the chapter notebooks (default: %(default)s)")
    args = parser.parse_args(argv)
    checks = args.checks or list(CHECKS)
    unknown = [c for c in checks if c not in CHECKS]
    if unknown:
        parser.error(f"unknown check {', '.join(unknown)}: choose from {', '.join(CHECKS)}")
    if not args.notebooks.is_dir():
        print(f"error: {args.notebooks} is not a directory", file=sys.stderr)
        return 2

    stems = chapter_stems(args.notebooks)
    if not stems:
        print(f"{_show(args.notebooks)}: no chapter notebooks (NN_*.py / NN_*.ipynb) yet: "
              f"nothing to check for {' and '.join(checks)}.")
        return 0

    failed = False
    for check in checks:
        problems = CHECKS[check](args.notebooks)
        for problem in problems:
            print(f"{check}: {problem}")
        if problems:
            failed = True
            print(f"{check}: FAILED, {len(problems)} problem(s) in {len(stems)} chapter(s).")
        elif check == "hygiene":
            checked = [s for s in stems if (args.notebooks / f"{s}.ipynb").exists()]
            print(f"{check}: ok ({len(checked)} notebook(s): {', '.join(checked) or 'none yet'}).")
        else:
            print(f"{check}: ok ({len(stems)} chapter(s): {', '.join(stems)}).")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
