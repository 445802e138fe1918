#!/usr/bin/env python3
"""Print constraints.txt: the exact versions installed for course-utils[lab,test,book].

Run by `make constraints` with the project's .venv. Unlike a plain `pip freeze`, it lists only
the project's dependencies and theirs (the closure of its requirements with the lab and test
extras), so tools someone installed into .venv by hand do not end up pinned for the classroom.
"""

from __future__ import annotations

import platform
import sys
from importlib import metadata

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

PROJECT = "course-utils"
EXTRAS = ("lab", "test", "book")
# The pins were resolved on the Python running this script; several releases pinned here need
# 3.11 or newer, so older interpreters ignore the pins and resolve within pyproject's bounds.
MARKER = 'python_version >= "3.11"'


def closure(project: str = PROJECT, extras: tuple[str, ...] = EXTRAS) -> dict[str, str]:
    """{distribution name: installed version} for project[extras] and everything it needs."""
    found: dict[str, str] = {}
    done: set[tuple[str, frozenset[str]]] = set()
    todo: list[tuple[str, frozenset[str], str]] = [(project, frozenset(extras), "")]
    while todo:
        name, wanted_extras, needed_by = todo.pop()
        key = (canonicalize_name(name), wanted_extras)
        if key in done:
            continue
        done.add(key)
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            sys.exit(f"error: {name} (needed by {needed_by}) is not installed: run `make venv`.")
        found[dist.metadata["Name"]] = dist.version
        for text in dist.requires or []:
            req = Requirement(text)
            envs = [{"extra": extra} for extra in (wanted_extras or {""})]
            if req.marker is not None and not any(req.marker.evaluate(env) for env in envs):
                continue
            todo.append((req.name, frozenset(req.extras), dist.metadata["Name"]))
    found = {n: v for n, v in found.items() if canonicalize_name(n) != canonicalize_name(project)}
    return dict(sorted(found.items(), key=lambda item: canonicalize_name(item[0])))


def main() -> None:
    pins = closure()
    print("# The tested classroom set: the exact versions `make venv` installed for")
    print(f"# {PROJECT}[{','.join(EXTRAS)}] and everything it needs, written by `make constraints`")
    print(f"# (scripts/freeze_constraints.py) on Python {platform.python_version()}.")
    print("# Used as: pip install -c constraints.txt -e '.[lab,test]'. Some pinned releases need")
    print("# Python 3.11+, so on 3.10 the pins are skipped (marker) and pip resolves within the")
    print("# lower bounds of pyproject.toml.")
    for name, version in pins.items():
        print(f"{name}=={version} ; {MARKER}")


if __name__ == "__main__":
    main()
