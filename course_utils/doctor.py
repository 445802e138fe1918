"""Is this machine ready for the course?  ``python -m course_utils doctor`` (or ``make doctor``).

Prints the versions of Python and of the packages the notebooks use, checks that each meets
the project's requirements, that JupyterLab's widget front end matches ipywidgets, that the
``python3`` kernel runs this environment, and that the chapter notebooks are paired and
executed; then lists each problem found with what to do about it. Exit status 1 if any.

Standard library only at import time: everything else is imported inside the checks.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import platform
import sys
from importlib import metadata
from pathlib import Path

PROJECT = "course-utils"
SHOWN = ("numpy", "matplotlib", "ipywidgets", "jupyterlab", "jupytext", "ipykernel")
REPO_ROOT = Path(__file__).resolve().parent.parent
CHECK_SCRIPT = REPO_ROOT / "scripts" / "check_notebooks.py"
WIDGET_FRONTEND = "@jupyter-widgets/jupyterlab-manager"


def pip_command() -> str:
    """How to call this environment's own pip: ``.venv/bin/python -m pip`` in the checkout."""
    exe = Path(sys.executable)
    try:
        rel = exe.absolute().relative_to(REPO_ROOT.absolute())
    except ValueError:
        return f"{exe} -m pip"
    return f"{rel.as_posix()} -m pip"


def fix_install() -> str:
    """What repairs a missing or wrong package: ``make repair`` ignores the install stamps."""
    return ("run `make repair` in the repository (it installs whatever .venv lacks, whatever "
            f"the install stamps say), or `{pip_command()} install -c constraints.txt -e "
            "'.[lab]'` there")


FIX_INSTALL = fix_install()


class Problem:
    """Something wrong, and what to do about it (empty when ``what`` already says it)."""

    def __init__(self, what: str, fix: str):
        self.what, self.fix = what, fix

    def __repr__(self) -> str:
        return f"Problem({self.what!r}, fix={self.fix!r})"


def installed_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _packaging():
    """``packaging``'s Requirement and SpecifierSet: the installed package, else pip's copy
    (an environment missing packages may well miss ``packaging`` too); None if neither."""
    try:
        from packaging.requirements import Requirement
        from packaging.specifiers import SpecifierSet
    except ImportError:
        try:
            from pip._vendor.packaging.requirements import Requirement
            from pip._vendor.packaging.specifiers import SpecifierSet
        except ImportError:
            return None
    return Requirement, SpecifierSet


def _satisfies(version: str, specifier: str) -> bool | None:
    """Whether version is in specifier; None if ``packaging`` is unavailable to tell."""
    if _packaging() is None:
        return None
    return _packaging()[1](specifier).contains(version, prereleases=True)


# ------------------------------------------------------------------ requirements


def _declared_requires(pyproject: Path = REPO_ROOT / "pyproject.toml") -> list[str] | None:
    """Requires-Dist lines as pyproject.toml declares them now (None without one, or on 3.10).

    Read from the checkout rather than from the installed metadata, which is only as new as
    the last install: a requirement added since then must still be checked.
    """
    try:
        import tomllib
    except ImportError:
        return None
    try:
        project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    except (OSError, ValueError, KeyError):
        return None
    if project.get("name") != PROJECT:
        return None
    requires = list(project.get("dependencies", []))
    for extra, reqs in project.get("optional-dependencies", {}).items():
        for text in reqs:
            req, _, marker = text.partition(";")
            cond = f'extra == "{extra}"' + (f" and ({marker.strip()})" if marker.strip() else "")
            requires.append(f"{req.strip()}; {cond}")
    return requires


def project_requirements(extras: tuple[str, ...] = ("lab",)) -> list[str]:
    """The project's runtime requirements plus those of the given extras, as declared."""
    requires = _declared_requires()
    if requires is None:
        try:
            requires = metadata.requires(PROJECT) or []
        except metadata.PackageNotFoundError:
            return []
    if _packaging() is None:
        return [r for r in requires if ";" not in r]
    Requirement = _packaging()[0]
    chosen = []
    for text in requires:
        req = Requirement(text)
        envs = [{"extra": e} for e in ("", *extras)]
        if req.marker is None or any(req.marker.evaluate(env) for env in envs):
            chosen.append(text)
    return chosen


def requirement_problems(requirements: list[str], version_of=installed_version) -> list[Problem]:
    """A problem per requirement that is not installed or whose version is out of range."""
    if _packaging() is None:
        return [Problem("the requirements cannot be checked: neither packaging nor pip is "
                        "installed in this environment", FIX_INSTALL)]
    Requirement = _packaging()[0]
    problems = []
    for text in requirements:
        req = Requirement(text)
        version = version_of(req.name)
        if version is None:
            problems.append(Problem(f"{req.name} is not installed (the course needs {text})",
                                    FIX_INSTALL))
        elif req.specifier and not req.specifier.contains(version, prereleases=True):
            problems.append(Problem(
                f"{req.name} {version} is installed; the course needs {req.name}{req.specifier}",
                f"{FIX_INSTALL}; it installs the tested versions from constraints.txt"))
    return problems


def python_problems(version: str | None = None, requires: str | None = None) -> list[Problem]:
    version = version or platform.python_version()
    if requires is None:
        try:
            requires = metadata.metadata(PROJECT).get("Requires-Python") or ""
        except metadata.PackageNotFoundError:
            requires = ""
    if requires and _satisfies(version, requires) is False:
        return [Problem(f"Python {version} runs this; the course needs Python {requires}",
                        "install a newer Python and recreate the environment: "
                        "`make distclean && make lab PYTHON=/path/to/python3.11`")]
    return []


# ------------------------------------------------------------------ widgets


def _shipped_frontend_version() -> str | None:
    """Version of the JupyterLab extension that the installed jupyterlab_widgets ships."""
    try:
        files = metadata.files("jupyterlab_widgets") or []
    except metadata.PackageNotFoundError:
        return None
    for f in files:
        if str(f).replace("\\", "/").endswith(f"{WIDGET_FRONTEND}/package.json"):
            try:
                return json.loads(Path(f.locate()).read_text())["version"]
            except (OSError, ValueError, KeyError):
                return None
    return None


def find_frontend() -> tuple[str, str] | None:
    """(version, directory) of the widget extension JupyterLab loads: the first on its path."""
    try:
        from jupyter_core.paths import jupyter_path
    except ImportError:
        return None
    for base in jupyter_path("labextensions"):
        pkg = Path(base) / WIDGET_FRONTEND / "package.json"
        if pkg.is_file():
            try:
                return json.loads(pkg.read_text())["version"], str(pkg.parent)
            except (OSError, ValueError, KeyError):
                return "unreadable", str(pkg.parent)
    return None


def widget_problems(ipywidgets_version: str | None, ipywidgets_requires: list[str],
                    jlw_version: str | None, frontend: tuple[str, str] | None,
                    shipped_version: str | None) -> tuple[str, list[Problem]]:
    """Does JupyterLab's widget front end match the kernel side (ipywidgets)?

    ipywidgets declares the jupyterlab_widgets release it talks to; that package ships the
    JupyterLab extension, and JupyterLab loads the first copy of the extension on its path.
    Returns a one-line summary and the problems.
    """
    if ipywidgets_version is None:
        return "ipywidgets not installed", []  # reported with the requirements
    spec = next((r.split(";")[0].strip()[len("jupyterlab_widgets"):].strip()
                 for r in ipywidgets_requires
                 if r.replace("-", "_").lower().startswith("jupyterlab_widgets")), "")
    restart = "then restart JupyterLab and reload the browser tab"
    problems = []
    if jlw_version is None:
        problems.append(Problem(
            "the widget front end (jupyterlab_widgets) is not installed: sliders will show "
            "as text such as 'Loading widget...' instead of controls",
            f"`{pip_command()} install 'jupyterlab_widgets{spec}'` (or `make repair`), "
            f"{restart}"))
    elif spec and _satisfies(jlw_version, spec) is False:
        problems.append(Problem(
            f"jupyterlab_widgets {jlw_version} does not match ipywidgets {ipywidgets_version}, "
            f"which expects jupyterlab_widgets{spec}: widgets will not display",
            f"`{pip_command()} install 'jupyterlab_widgets{spec}'` (or `make repair`), "
            f"{restart}"))
    if jlw_version is not None and frontend is None:
        problems.append(Problem(
            f"JupyterLab finds no {WIDGET_FRONTEND} extension on its path, so widgets "
            "will not display",
            "reinstall the front end: "
            f"`{pip_command()} install --force-reinstall 'jupyterlab_widgets{spec}'`, "
            f"{restart}"))
    elif frontend is not None and shipped_version and frontend[0] != shipped_version:
        problems.append(Problem(
            f"JupyterLab loads the widget extension {frontend[0]} from {frontend[1]}, not the "
            f"{shipped_version} that comes with jupyterlab_widgets {jlw_version}: a stale copy "
            "shadows it",
            f"remove {frontend[1]} (`jupyter labextension list` shows it), {restart}"))
    summary = (f"jupyterlab_widgets {jlw_version or 'missing'} for ipywidgets "
               f"{ipywidgets_version} (expects {spec or 'any'}); JupyterLab extension "
               + (f"{frontend[0]} in {frontend[1]}" if frontend else "not found"))
    return summary, problems


# ------------------------------------------------------------------ kernel


def kernel_problems() -> tuple[str, list[Problem]]:
    """The ``python3`` kernel must run this Python, which has course_utils installed."""
    try:
        from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
    except ImportError:
        return "jupyter_client not installed", []  # reported with the requirements
    try:
        spec = KernelSpecManager().get_kernel_spec("python3")
    except NoSuchKernel:
        return "no python3 kernel", [Problem(
            "JupyterLab has no python3 kernel", f"{FIX_INSTALL} (ipykernel provides it)")]
    exe = spec.argv[0] if spec.argv else ""
    # jupyter_client starts a kernel whose argv[0] is plain "python" with its own Python.
    if exe in ("python", "python3", f"python{sys.version_info[0]}.{sys.version_info[1]}"):
        return f"python3 kernel runs this Python ({spec.resource_dir})", []
    same = Path(exe).exists() and Path(exe).resolve() == Path(sys.executable).resolve()
    if same:
        return f"python3 kernel runs this Python ({spec.resource_dir})", []
    return f"python3 kernel runs {exe}", [Problem(
        f"the python3 kernel ({spec.resource_dir}) runs {exe}, not this environment's "
        f"{sys.executable}: notebooks would not find course_utils",
        f"remove that kernel spec (`jupyter kernelspec remove python3` from outside this "
        f"environment) or reinstall this one: `{sys.executable} -m ipykernel install "
        "--sys-prefix`")]


# ------------------------------------------------------------------ notebooks


def load_notebook_checks(script: Path = CHECK_SCRIPT):
    """scripts/check_notebooks.py as a module (the one implementation of the checks)."""
    spec = importlib.util.spec_from_file_location("course_check_notebooks", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def notebook_problems(nb_dir: Path, script: Path = CHECK_SCRIPT) -> tuple[str, list[Problem]]:
    if not script.is_file():
        return (f"not checked: {script} is missing (the notebook checks need a checkout of the "
                "course repository)"), []
    if not nb_dir.is_dir():
        return f"not checked: {nb_dir} is not a directory", []
    try:
        checks = load_notebook_checks(script)
    except ImportError as err:
        return "not checked", [Problem(f"the notebook checks cannot run: {err}", FIX_INSTALL)]
    chapters = checks.chapter_stems(nb_dir)
    if not chapters:
        return f"no chapter notebooks in {nb_dir} yet", []
    found = checks.check_pairing(nb_dir) + checks.check_hygiene(nb_dir, id_base=None)
    # each message of the notebook checks already ends with what to do
    problems = [Problem(text, "") for text in found]
    state = "paired and executed cleanly" if not found else f"{len(found)} problem(s)"
    return f"{len(chapters)} chapter(s) in {nb_dir}: {state}", problems


# ------------------------------------------------------------------ report


def run(nb_dir: Path, out=None) -> int:
    out = out or sys.stdout
    problems: list[Problem] = []

    def say(label: str, text: str) -> None:
        print(f"  {label:<17} {text}", file=out)

    print("Compression via Denoising: doctor", file=out)
    say("python", f"{platform.python_version()}  ({sys.executable})")
    problems += python_problems()
    for name in SHOWN:
        say(name, installed_version(name) or "NOT INSTALLED")
    requirements = project_requirements()
    if not requirements:
        problems.append(Problem(f"the {PROJECT} package metadata was not found, so its "
                                "requirements cannot be checked", FIX_INSTALL))
    problems += requirement_problems(requirements)

    summary, found = widget_problems(
        installed_version("ipywidgets"),
        (metadata.requires("ipywidgets") or []) if installed_version("ipywidgets") else [],
        installed_version("jupyterlab_widgets"), find_frontend(), _shipped_frontend_version())
    say("widget front end", summary)
    problems += found
    summary, found = kernel_problems()
    say("kernel", summary)
    problems += found
    summary, found = notebook_problems(nb_dir)
    say("notebooks", summary)
    problems += found

    print(file=out)
    if not problems:
        print("No problems found.", file=out)
        return 0
    print(f"{len(problems)} problem(s):", file=out)
    for i, problem in enumerate(problems, 1):
        print(f"{i:>3}. {problem.what}", file=out)
        if problem.fix:
            print(f"     fix: {problem.fix}", file=out)
    return 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m course_utils doctor",
        description="Check that this machine is ready for the course; say what to fix.")
    parser.add_argument("--notebooks", type=Path, default=REPO_ROOT / "notebooks",
                        help="directory of the chapter notebooks (default: %(default)s)")
    args = parser.parse_args(argv)
    return run(args.notebooks)
