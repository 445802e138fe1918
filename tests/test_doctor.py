"""`python -m course_utils doctor`: reports versions, finds problems, says what to do."""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from course_utils import doctor

ROOT = Path(__file__).resolve().parents[1]


def run_doctor(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "course_utils", "doctor", *args],
                          capture_output=True, text=True, timeout=120)


def test_reports_versions_and_no_problem_in_the_project_environment(tmp_path):
    done = run_doctor("--notebooks", str(tmp_path))  # no chapters: only the environment
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert f"python            {platform.python_version()}" in out
    for name in ("numpy", "matplotlib", "ipywidgets", "jupyterlab"):
        assert f"{name:<17} {metadata.version(name)}" in out, out
    assert f"jupyterlab_widgets {metadata.version('jupyterlab_widgets')}" in out
    assert "python3 kernel runs this Python" in out
    assert "no chapter notebooks" in out
    assert out.rstrip().endswith("No problems found.")


def test_reports_an_unpaired_notebook_with_what_to_do(tmp_path):
    (tmp_path / "01_demo.py").write_text("# %%\nx = 1\n")
    done = run_doctor("--notebooks", str(tmp_path))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "1 problem(s):" in done.stdout
    assert "01_demo.py has no paired 01_demo.ipynb" in done.stdout
    assert "make execute NB=" in done.stdout


def test_widget_front_end_mismatch_is_a_problem():
    summary, problems = doctor.widget_problems(
        "8.1.9", ["comm>=0.1.3", "jupyterlab_widgets~=3.0.17"], "1.1.7",
        ("3.6.0", "/somewhere/labextensions/@jupyter-widgets/jupyterlab-manager"), "3.6.0")
    assert "expects ~=3.0.17" in summary
    (problem,) = problems
    assert "jupyterlab_widgets 1.1.7 does not match ipywidgets 8.1.9" in problem.what
    assert "pip install 'jupyterlab_widgets~=3.0.17'" in problem.fix


def test_a_stale_front_end_shadowing_the_installed_one_is_a_problem():
    _, problems = doctor.widget_problems(
        "8.1.9", ["jupyterlab_widgets~=3.0.17"], "3.0.17",
        ("3.1.0", "/home/u/.local/share/jupyter/labextensions/@jupyter-widgets/jupyterlab-manager"),
        "5.0.16")
    (problem,) = problems
    assert "stale copy" in problem.what and "remove /home/u/.local" in problem.fix


def test_missing_front_end_is_a_problem():
    _, problems = doctor.widget_problems("8.1.9", ["jupyterlab_widgets~=3.0.17"], None, None,
                                         None)
    (problem,) = problems
    assert "not installed" in problem.what and "jupyterlab_widgets~=3.0.17" in problem.fix


def test_matching_front_end_is_fine():
    _, problems = doctor.widget_problems(
        "8.1.9", ["jupyterlab_widgets~=3.0.17"], "3.0.17", ("5.0.16", "/env/labextensions"),
        "5.0.16")
    assert problems == []


def test_requirement_problems():
    versions = {"numpy": "1.20.0", "matplotlib": "3.8.0"}
    problems = doctor.requirement_problems(
        ["numpy>=1.24", "matplotlib>=3.7", "ipywidgets>=8.0"], version_of=versions.get)
    assert [p.what for p in problems] == [
        "numpy 1.20.0 is installed; the course needs numpy>=1.24",
        "ipywidgets is not installed (the course needs ipywidgets>=8.0)",
    ]
    assert all("make repair" in p.fix for p in problems)
    # the pip it names is this environment's own, never a bare `pip`
    assert all(f"`{doctor.pip_command()} install" in p.fix for p in problems)


def test_project_requirements_are_the_runtime_and_lab_ones():
    names = {r.split(">")[0].split("=")[0].strip().lower()
             for r in doctor.project_requirements()}
    assert {"numpy", "matplotlib", "ipywidgets", "jupyterlab", "jupytext", "ipykernel"} <= names
    assert "pytest" not in names  # the test extra is not needed to follow the course


def test_old_python_is_a_problem():
    (problem,) = doctor.python_problems("3.9.18", ">=3.10")
    assert "Python 3.9.18" in problem.what and "make lab PYTHON=" in problem.fix
    assert doctor.python_problems("3.11.7", ">=3.10") == []


def test_notebook_checks_come_from_the_one_script():
    checks = doctor.load_notebook_checks()
    assert Path(checks.__file__).resolve() == doctor.CHECK_SCRIPT.resolve()


def test_usage_and_unknown_command():
    done = subprocess.run([sys.executable, "-m", "course_utils"], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2 and "doctor" in done.stderr
    done = subprocess.run([sys.executable, "-m", "course_utils", "cure"], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2 and "unknown command 'cure'" in done.stderr


def test_importing_doctor_stays_light():
    code = ("import json, sys; import course_utils.doctor; print(json.dumps(sorted("
            "m for m in ('jupytext', 'nbformat', 'jupyter_client', 'matplotlib') "
            "if m in sys.modules)))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []


def test_pip_commands_are_the_environments_own():
    assert doctor.pip_command().endswith(" -m pip")
    assert doctor.pip_command().split()[0] in (
        ".venv/bin/python", str(Path(sys.executable)))
    _, problems = doctor.widget_problems("8.1.9", ["jupyterlab_widgets~=3.0.17"], None, None,
                                         None)
    assert re.search(r"`\S*python\S* -m pip install", problems[0].fix), problems[0].fix
    assert "`pip install" not in problems[0].fix


def test_requirements_come_from_pyproject_in_a_checkout():
    names = {r.split(";")[0].split(">")[0].strip() for r in doctor.project_requirements()}
    assert "scikit-learn" in names  # a reading dependency since chapters 7-8


def test_a_removed_package_is_repaired_by_following_the_advice(tmp_path):
    """In a scratch project with its own .venv (never the project's): remove a package,
    run the doctor, do what it says, and the doctor finds nothing wrong."""
    make = shutil.which("make")
    if make is None:
        pytest.fail("`make` is not installed (apt-get install make)")
    proj = tmp_path / "course"
    (proj / "course_utils").mkdir(parents=True)
    (proj / "scripts").mkdir()
    shutil.copy(ROOT / "Makefile", proj / "Makefile")
    shutil.copy(ROOT / "scripts" / "setup_venv.sh", proj / "scripts" / "setup_venv.sh")
    for name in ("doctor.py", "__main__.py"):
        shutil.copy(ROOT / "course_utils" / name, proj / "course_utils" / name)
    (proj / "course_utils" / "__init__.py").write_text("")
    # a tiny project: one small pure-Python dependency, so the scratch install takes seconds
    (proj / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=64"]\nbuild-backend = "setuptools.build_meta"\n'
        '[project]\nname = "course-utils"\nversion = "0.0.1"\nrequires-python = ">=3.10"\n'
        'dependencies = ["six>=1.16"]\n'
        '[project.optional-dependencies]\nlab = []\ntest = []\nbook = []\n'
        '[tool.setuptools.packages.find]\ninclude = ["course_utils*"]\n')
    (proj / "constraints.txt").write_text("six==1.17.0\n")
    (proj / "jupyterlab").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHONPATH"))}
    env["PYTHON"] = sys.executable

    def run(*cmd):
        return subprocess.run(cmd, cwd=proj, env=env, capture_output=True, text=True,
                              timeout=300)

    done = run(make, "venv")
    assert done.returncode == 0, done.stdout + done.stderr
    scratch_python = proj / ".venv" / "bin" / "python"
    assert run(str(scratch_python), "-c", "import six").returncode == 0
    assert run(str(scratch_python), "-m", "pip", "uninstall", "-y", "six").returncode == 0
    assert run(make, "venv").returncode == 0  # the stamp is fresh: make venv alone does nothing
    assert run(str(scratch_python), "-c", "import six").returncode != 0

    done = run(str(scratch_python), "-m", "course_utils", "doctor")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "six is not installed" in done.stdout, done.stdout
    fix = next(line for line in done.stdout.splitlines() if "fix:" in line)
    assert "`make repair`" in fix and "`.venv/bin/python -m pip install" in fix, fix
    assert "`pip " not in fix

    done = run(make, "repair")  # what the doctor says to do
    assert done.returncode == 0, done.stdout + done.stderr
    assert run(str(scratch_python), "-c", "import six").returncode == 0
    done = run(str(scratch_python), "-m", "course_utils", "doctor")
    assert done.returncode == 0, done.stdout
    assert done.stdout.rstrip().endswith("No problems found.")
