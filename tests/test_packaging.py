"""The setup files agree with each other, and importing the package has no side effects."""

from __future__ import annotations

import json
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
            out[canonicalize_name(name)] = SpecifierSet(spec.replace(" ", ""))
    return out


def test_environment_lists_python_runtime_and_lab_packages_like_pyproject():
    project = pyproject()["project"]
    expected = {canonicalize_name(r.name): r.specifier
                for r in [Requirement(t) for t in
                          project["dependencies"] + project["optional-dependencies"]["lab"]]}
    expected["python"] = SpecifierSet(project["requires-python"])
    env = environment()
    got = conda_packages(env)
    assert got.pop("pip", None) is not None, "environment.yml must list pip (for its pip: part)"
    bounds = {k: (str(got[k]), str(expected[k]))
              for k in got.keys() & expected.keys() if got[k] != expected[k]}
    assert got == expected, (
        "environment.yml and pyproject.toml (requires-python, dependencies, lab extra) "
        f"disagree:\n  only in environment.yml: {sorted(set(got) - set(expected))}"
        f"\n  only in pyproject.toml: {sorted(set(expected) - set(got))}"
        f"\n  different bounds (environment.yml, pyproject.toml): {bounds}"
    )
    assert env["channels"] == ["conda-forge"]


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


def test_make_lab_binds_localhost_and_keeps_token_auth():
    make = shutil.which("make")
    if make is None:
        pytest.fail("`make` is not installed, so the Makefile cannot be checked "
                    "(apt-get install make)")
    done = subprocess.run([make, "-n", "--always-make", "lab"], capture_output=True, text=True,
                          cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    lab_lines = [line for line in done.stdout.splitlines() if "jupyter lab" in line]
    assert len(lab_lines) == 1, done.stdout
    line = lab_lines[0]
    assert "notebooks/" in line and "--ServerApp.ip=127.0.0.1" in line, line
    for weakening in ("token=", "password", "disable_check_xsrf", "--ip=0.0.0.0"):
        assert weakening not in line.lower(), f"`make lab` weakens access control: {line}"
