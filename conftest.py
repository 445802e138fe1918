"""Repository-wide pytest configuration (the options themselves are in pyproject.toml).

nbval opens ``--nbval-sanitize-with`` relative to the current directory, so the relative path
that pyproject.toml's ``addopts`` gives would only work from the repository root. Here it is
resolved against the directory of the configuration file instead, so ``pytest --nbval
notebooks/`` works from anywhere. A path typed on the command line (or in PYTEST_ADDOPTS) keeps
its usual meaning, relative to the directory pytest was started in.

The notebooks must not depend on the caller's matplotlib backend either: a shell (or CI
configuration) with ``MPLBACKEND=Agg`` would be inherited by the kernels nbval starts
(``--nbval-current-env``), and no figure would be displayed, so every figure output would
differ. With ``--nbval``, MPLBACKEND is removed from the environment before any kernel starts,
and ipykernel chooses its own inline backend, as when a reader runs the notebook.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import pytest

SANITIZE_OPTION = "--nbval-sanitize-with"


def _typed_by_user(config: pytest.Config) -> bool:
    args = [*config.invocation_params.args, *shlex.split(os.environ.get("PYTEST_ADDOPTS", ""))]
    return any(a == SANITIZE_OPTION or a.startswith(SANITIZE_OPTION + "=") for a in args)


def _runs_notebooks(config: pytest.Config) -> bool:
    option = config.option
    return bool(getattr(option, "nbval", False) or getattr(option, "nbval_lax", False))


def pytest_configure(config: pytest.Config) -> None:
    if _runs_notebooks(config):
        os.environ.pop("MPLBACKEND", None)
    value = getattr(config.option, "nbval_sanitize_with", None)
    if not value:
        return
    path = Path(value)
    if not path.is_absolute():
        if _typed_by_user(config):
            base = config.invocation_params.dir
        else:
            base = config.inipath.parent if config.inipath else config.rootpath
        path = base / path
    if not path.is_file():
        raise pytest.UsageError(f"{SANITIZE_OPTION}: sanitize file {path} does not exist.")
    config.option.nbval_sanitize_with = str(path)
