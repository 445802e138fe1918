#!/usr/bin/env bash
# Create .venv if needed and install the course package with the extras a make target needs.
#
#   scripts/setup_venv.sh lab            what reading needs (runtime + lab extra): `make lab`
#   scripts/setup_venv.sh test           + the test extra (pytest, nbval, ruff, playwright): `make test`
#   scripts/setup_venv.sh book           + the book extra (Jupyter Book, reveal.js): `make slides/book`
#   scripts/setup_venv.sh --force lab    install even if .venv looks complete (`make repair`)
#
# Called by the Makefile when a stamp (.venv/.stamp-EXTRA) is older than pyproject.toml or
# constraints.txt. Before touching anything it checks whether .venv already has every direct
# requirement of pyproject.toml for those extras, at the version constraints.txt pins, with the
# package installed in editable mode from this checkout: if so it installs nothing (an existing
# complete .venv is left alone). Otherwise one `pip install -c constraints.txt -e .[...]`.
# PYTHON (default python3) is the interpreter that creates .venv.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON="${PYTHON:-python3}"
BIN=.venv/bin
force=0
if [ "${1:-}" = "--force" ]; then force=1; shift; fi
[ $# -ge 1 ] || { echo "usage: $0 [--force] lab|test|book ..." >&2; exit 2; }
extras=(lab)
for extra in "$@"; do
  case "$extra" in
    lab) ;;
    test|book) extras+=("$extra") ;;
    *) echo "$0: unknown extra '$extra' (lab, test or book)" >&2; exit 2 ;;
  esac
done
joined=$(IFS=,; echo "${extras[*]}")

# ------------------------------------------------------------------ the virtual environment
if [ ! -x "$BIN/python" ]; then
  if ! command -v "$PYTHON" >/dev/null 2>&1; then
    echo "error: '$PYTHON' not found. Install Python 3.10 or newer (Debian/Ubuntu:" \
         "apt-get install python3 python3-venv) or run make again with PYTHON=/path/to/python3" >&2
    exit 1
  fi
  if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))'; then
    echo "error: the course needs Python 3.10 or newer; '$PYTHON' is" \
         "$("$PYTHON" --version 2>&1). Install a newer one and run make again with" \
         "PYTHON=/path/to/python3.11" >&2
    exit 1
  fi
  echo "Creating .venv with $("$PYTHON" --version 2>&1) ($(command -v "$PYTHON"))"
  if ! "$PYTHON" -m venv .venv; then
    rm -rf .venv
    echo "error: '$PYTHON -m venv .venv' failed. On Debian/Ubuntu install the venv module" \
         "first: apt-get install python3-venv" >&2
    exit 1
  fi
fi
"$BIN/python" -c 'import sys; sys.exit(sys.version_info < (3, 10))' || {
  echo "error: .venv runs $("$BIN/python" --version 2>&1 || echo 'a broken Python'); the" \
       "course needs 3.10 or newer. Remove it with 'make distclean' and run make again." >&2
  exit 1; }

# ------------------------------------------------------------------ already complete?
# Prints what is missing (nothing when .venv is complete); exit 0 = complete.
complete() {
  "$BIN/python" -I - "$joined" <<'PY'
import json, sys
from importlib import metadata
from pathlib import Path
try:
    import tomllib
except ImportError:  # Python 3.10: pip vendors tomli
    from pip._vendor import tomli as tomllib
try:
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name
except ImportError:
    from pip._vendor.packaging.requirements import Requirement
    from pip._vendor.packaging.utils import canonicalize_name

extras = sys.argv[1].split(",")
root = Path.cwd().resolve()
project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
wanted = list(project["dependencies"])
for extra in extras:
    wanted += project["optional-dependencies"][extra]
pins = {}
for line in (root / "constraints.txt").read_text().splitlines():
    line = line.split("#", 1)[0].strip()
    if line:
        req = Requirement(line)
        if req.marker is None or req.marker.evaluate():
            pins[canonicalize_name(req.name)] = str(req.specifier)
missing = []
try:
    dist = metadata.distribution(project["name"])
    url = json.loads(dist.read_text("direct_url.json") or "{}")
    if not (url.get("dir_info", {}).get("editable")
            and Path(url.get("url", "").removeprefix("file://")).resolve() == root):
        missing.append(f"{project['name']} (not installed in editable mode from {root})")
except metadata.PackageNotFoundError:
    missing.append(project["name"])
for text in wanted:
    req = Requirement(text)
    if req.marker is not None and not req.marker.evaluate():
        continue
    try:
        version = metadata.version(req.name)
    except metadata.PackageNotFoundError:
        missing.append(text)
        continue
    pin = pins.get(canonicalize_name(req.name), "")
    if not req.specifier.contains(version, prereleases=True):
        missing.append(f"{text} (found {version})")
    elif pin.startswith("==") and pin[2:] != version:
        missing.append(f"{req.name}{pin} (found {version})")
print("; ".join(missing))
sys.exit(1 if missing else 0)
PY
}

if [ $force -eq 0 ]; then
  if why=$(complete); then
    echo ".venv already has course-utils[$joined] at the tested versions: nothing to install"
    exit 0
  fi
  if "$BIN/python" -I -c 'import importlib.metadata as m; m.version("course-utils")' 2>/dev/null; then
    echo ".venv lacks: ${why:0:400}"
  fi
fi

echo "Installing course-utils[$joined] into .venv (versions pinned by constraints.txt)"
start=$(date +%s)
"$BIN/python" -m pip install --quiet --disable-pip-version-check 'pip>=21.3'
"$BIN/python" -m pip install --quiet --disable-pip-version-check \
  -c constraints.txt -e ".[$joined]"
echo "Installed course-utils[$joined] in $(( $(date +%s) - start )) s;" \
     ".venv is now $(du -sh .venv 2>/dev/null | cut -f1)"
