"""The setup files agree with each other, and importing the package has no side effects."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

if sys.version_info >= (3, 11):
    import tomllib
else:  # the test extra installs tomli on Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
CONDA_SPEC = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(.*?)\s*$")


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def environment() -> dict:
    return yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))


def all_requirements() -> dict[str, list[Requirement]]:
    project = pyproject()["project"]
    groups = {"dependencies": project["dependencies"], **project["optional-dependencies"]}
    return {group: [Requirement(r) for r in reqs] for group, reqs in groups.items()}


def conda_packages(env: dict) -> dict[str, SpecifierSet]:
    out = {}
    for dep in env["dependencies"]:
        if isinstance(dep, str):
            name, spec = CONDA_SPEC.match(dep).groups()
            spec = spec.replace(" ", "")
            if re.fullmatch(r"=[0-9.]+", spec):  # conda's python=3.11 means 3.11.*
                spec = f"={spec}.*"
            out[canonicalize_name(name)] = SpecifierSet(spec)
    return out


def test_environment_lists_python_runtime_and_lab_packages_like_pyproject():
    project = pyproject()["project"]
    expected = {canonicalize_name(r.name): r.specifier
                for r in [Requirement(t) for t in
                          project["dependencies"] + project["optional-dependencies"]["lab"]]}
    env = environment()
    got = conda_packages(env)
    assert got.pop("pip", None) is not None, "environment.yml must list pip (for its pip: part)"
    python = next(d for d in env["dependencies"] if isinstance(d, str) and
                  d.replace(" ", "").startswith("python"))
    got.pop("python")
    bounds = {k: (str(got[k]), str(expected[k]))
              for k in got.keys() & expected.keys() if got[k] != expected[k]}
    assert got == expected, (
        "environment.yml and pyproject.toml (dependencies, lab extra) "
        f"disagree:\n  only in environment.yml: {sorted(set(got) - set(expected))}"
        f"\n  only in pyproject.toml: {sorted(set(expected) - set(got))}"
        f"\n  different bounds (environment.yml, pyproject.toml): {bounds}"
    )
    assert env["channels"] == ["conda-forge"]
    # repo2docker (Binder) reads only an exact minor version, `python=3.X`; a range such as
    # python>=3.10 is ignored and it falls back to its own default
    match = re.fullmatch(r"python=(3\.\d+)", python.replace(" ", ""))
    assert match, f"environment.yml: {python!r}: write python=3.X (repo2docker reads no range)"
    assert SpecifierSet(project["requires-python"]).contains(match.group(1) + ".0")


def test_reading_needs_scikit_learn_but_not_the_test_tools():
    deps = {canonicalize_name(Requirement(r).name) for r in pyproject()["project"]["dependencies"]}
    lab = {canonicalize_name(Requirement(r).name)
           for r in pyproject()["project"]["optional-dependencies"]["lab"]}
    assert "scikit-learn" in deps  # the 8x8 digits of chapters 7-8
    assert not (deps | lab) & {"pytest", "nbval", "playwright", "ruff", "jupyter-book"}


def test_binder_post_build_installs_the_lab_defaults():
    post = ROOT / "postBuild"
    assert post.is_file() and os.access(post, os.X_OK), "postBuild must be executable"
    assert "jupyterlab/overrides.json" in post.read_text()
    overrides = json.loads((ROOT / "jupyterlab" / "overrides.json").read_text())
    assert overrides["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"


def test_environment_installs_the_package_itself_through_pip():
    pip_parts = [d["pip"] for d in environment()["dependencies"] if isinstance(d, dict)]
    assert len(pip_parts) == 1, "environment.yml needs exactly one `- pip:` list"
    assert pip_parts[0] in (["-e ."], ["."]), pip_parts[0]


def test_every_requirement_has_a_lower_bound_and_no_pin():
    project = pyproject()["project"]
    assert SpecifierSet(project["requires-python"]).contains("3.10") and \
        not SpecifierSet(project["requires-python"]).contains("3.9")
    for group, reqs in all_requirements().items():
        for req in reqs:
            ops = {spec.operator for spec in req.specifier}
            assert ">=" in ops, f"{group}: {req} has no lower bound (>=)"
            assert not ops & {"==", "==="}, f"{group}: {req} pins an exact version"


def test_constraints_pin_every_requirement_within_its_bounds():
    pins = {}
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            req = Requirement(line)
            (spec,) = list(req.specifier)
            assert spec.operator == "==", f"constraints.txt: {line} is not an exact pin"
            pins[canonicalize_name(req.name)] = spec.version
    assert canonicalize_name("course-utils") not in pins, "constraints.txt pins the project itself"
    for group, reqs in all_requirements().items():
        for req in reqs:
            if req.marker is not None and not req.marker.evaluate():
                continue
            name = canonicalize_name(req.name)
            assert name in pins, (
                f"constraints.txt has no pin for {req} ({group}): run `make constraints`")
            assert req.specifier.contains(pins[name], prereleases=True), (
                f"constraints.txt pins {name}=={pins[name]}, outside {req} ({group})")


def test_importing_course_utils_has_no_side_effects():
    code = (
        "import json, sys\n"
        "import course_utils\n"
        "print(json.dumps(sorted(m for m in ('matplotlib.pyplot', 'ipywidgets', 'IPython')"
        " if m in sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, cwd=ROOT / "tests")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [], (
        f"`import course_utils` imported {done.stdout.strip()}: keep plotting and widget "
        "modules out of the package's __init__")
    assert done.stderr == "", f"`import course_utils` wrote to stderr:\n{done.stderr}"


def test_readme_gives_the_two_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for command in ("make lab", "make test"):
        assert command in readme, f"README.md does not mention `{command}`"


def _make_dry_run(*targets: str) -> str:
    make = shutil.which("make")
    if make is None:
        pytest.fail("`make` is not installed, so the Makefile cannot be checked "
                    "(apt-get install make)")
    done = subprocess.run([make, "-n", "--always-make", *targets], capture_output=True,
                          text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_make_lab_binds_localhost_and_keeps_token_auth():
    out = _make_dry_run("lab")
    lab_lines = [line for line in out.splitlines() if "jupyter lab" in line]
    assert len(lab_lines) == 1, out
    line = lab_lines[0]
    assert "notebooks/" in line and "--ServerApp.ip=127.0.0.1" in line, line
    for weakening in ("token=", "password", "disable_check_xsrf", "--ip=0.0.0.0"):
        assert weakening not in line.lower(), f"`make lab` weakens access control: {line}"
    # pairs open whichever file is newer; no news pop-up (a default in .venv)
    assert "--JupytextConfiguration.outdated_text_notebook_margin=inf" in line
    assert "jupyterlab/overrides.json .venv/share/jupyter/lab/settings/overrides.json" in out


def test_each_target_installs_only_its_extras():
    def installs(target):
        return [line.split("setup_venv.sh", 1)[1].split() for line in
                _make_dry_run(target).splitlines() if "scripts/setup_venv.sh" in line]

    assert installs("lab") == [["lab"]]
    # make test builds and checks the decks and the book, so it needs the book extra too
    assert ["test"] in installs("test") and ["book"] in installs("test")
    assert ["lab"] in installs("test")
    assert ["book"] in installs("book") and ["test"] not in installs("book")
    repair = installs("repair")
    assert repair and repair[0][:2] == ["--force", "lab"], repair


def test_nbval_ignores_the_callers_mplbackend(tmp_path):
    """A figure cell passes strict nbval with MPLBACKEND=Agg in the caller's environment
    (conftest.py removes it before nbval starts the kernel)."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook, new_output

    png = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJ"
           "RU5ErkJggg==")
    nb = new_notebook(
        cells=[new_code_cell(
            "import matplotlib.pyplot as plt\nfig, ax = plt.subplots(figsize=(2, 1))\n"
            "ax.plot([1, 2])\nplt.show()", execution_count=1,
            outputs=[new_output("display_data", data={
                "text/plain": "<Figure size 200x100 with 1 Axes>", "image/png": png})])],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}})
    path = tmp_path / "figure.ipynb"
    nbformat.write(nb, path)
    env = dict(os.environ, MPLBACKEND="Agg")
    # -p conftest: the repository's conftest.py, although the notebook lies outside the tree
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "conftest", "-p", "no:cacheprovider", "-q",
         "--nbval", str(path)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "1 passed" in done.stdout
