# Compression via Denoising: setup, checks and notebook execution.
#
#   make lab        create .venv if needed (what reading needs), then open JupyterLab on notebooks/
#   make test       every check (lint, notebook pairing and hygiene, unit tests, nbval, browser)
#
# `make help` lists every target. Needs Python 3.10+ (as python3, or PYTHON=...), make and, for
# the browser tests, Debian's chromium (installed by the browser step when run as root/sudo).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.NOTPARALLEL:
.DELETE_ON_ERROR:
MAKEFLAGS += --no-builtin-rules --no-print-directory

PYTHON ?= python3
export PYTHON
BIN := .venv/bin
# One stamp per extra (scripts/setup_venv.sh installs it): `make lab` needs only the runtime and
# the `lab` extra; the checks add `test`, the slides and the book add `book`, on first use.
STAMP := .venv/.stamp-lab
TEST_STAMP := .venv/.stamp-test
BOOK_STAMP := .venv/.stamp-book
# Project-local JupyterLab defaults (no news pop-up), copied into .venv by `make lab`.
LAB_OVERRIDES := jupyterlab/overrides.json
LAB_SETTINGS := .venv/share/jupyter/lab/settings/overrides.json
# Seconds before a hung step is stopped (the nbclient hang is known: see README).
EXEC_TIMEOUT ?= 300
NBVAL_TIMEOUT ?= 900
BROWSER_TIMEOUT ?= 1200
CHECK_TIMEOUT ?= 300
TIMEOUT := timeout --kill-after=30
LINT_PATHS := $(wildcard course_utils tests benchmarks scripts conftest.py) \
	$(wildcard notebooks/*.py)
# JupyterLab refuses to run as root unless told to (containers, CI).
ALLOW_ROOT := $(if $(filter 0,$(shell id -u 2>/dev/null)),--allow-root)

.PHONY: help venv setup repair lab test test-lowest lint pairing hygiene unit nbval browser execute bench slides book \
	doctor constraints clean distclean check-timeout

help:  ## list the targets
	@grep -E '^[a-z][a-z -]*:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 14

# ---------------------------------------------------------------- setup

venv setup: $(STAMP)  ## create .venv with what reading needs (runtime + lab extra; again only when pyproject.toml or constraints.txt change)

# A stamp is refreshed when pyproject.toml or constraints.txt is newer; setup_venv.sh installs
# nothing when .venv already has every requirement at its pinned version.
.venv/.stamp-%: pyproject.toml constraints.txt scripts/setup_venv.sh
	@scripts/setup_venv.sh $*
	@touch $@

repair:  ## reinstall whatever .venv is missing, whatever the stamps say (what `make doctor` advises)
	scripts/setup_venv.sh --force lab $(if $(wildcard $(TEST_STAMP)),test) \
	  $(if $(wildcard $(BOOK_STAMP)),book)
	@touch $(STAMP) $(wildcard $(TEST_STAMP) $(BOOK_STAMP))
	@$(MAKE) doctor || true  # shows what is left, if anything (a notebook problem, say)

# No "Would you like to get notified about Jupyter news?" pop-up: a default in .venv, which
# the reader's own settings still override. Authentication is untouched (token, 127.0.0.1).
$(LAB_SETTINGS): $(LAB_OVERRIDES) | $(STAMP)
	@mkdir -p $(@D)
	cp $< $@

# The .py is the source of each notebook: jupytext opens a pair whose .ipynb is newer than its
# .py (a `git pull` of refreshed outputs) instead of refusing it; see jupytext.toml.
JUPYTEXT_LAB_ARGS := --JupytextConfiguration.outdated_text_notebook_margin=inf

lab: $(STAMP) $(LAB_SETTINGS)  ## open JupyterLab on notebooks/ at 127.0.0.1 (log in with the token it prints)
	$(BIN)/jupyter lab notebooks/ --ServerApp.ip=127.0.0.1 $(JUPYTEXT_LAB_ARGS) $(ALLOW_ROOT) \
	  $(LAB_ARGS)

# ---------------------------------------------------------------- checks

# make test checks the slide decks and the book too (unit and browser tests build them), so it
# installs the book extra as well as the test extra.
test: $(TEST_STAMP) $(BOOK_STAMP) check-timeout  ## every check; runs all steps, exits non-zero if any failed
	@$(MAKE) -k lint pairing hygiene unit nbval browser || { \
	  echo; echo "make test: FAILED (see the steps marked Error above)" >&2; exit 1; }
	@echo; echo "make test: every check passed"

lint: $(TEST_STAMP)  ## ruff on the package, tests, benchmarks, scripts and notebook sources
	@echo; echo "==== lint: ruff check"
	$(BIN)/ruff check $(LINT_PATHS)

pairing: $(STAMP) check-timeout  ## every notebooks/NN_*.py has its .ipynb, with the same cells
	@echo; echo "==== notebook pairing"
	$(TIMEOUT) $(CHECK_TIMEOUT) $(BIN)/python scripts/check_notebooks.py pairing

hygiene: $(STAMP) check-timeout  ## each .ipynb: executed in order, no errors, no widget state, stable ids
	@echo; echo "==== notebook hygiene"
	$(TIMEOUT) $(CHECK_TIMEOUT) $(BIN)/python scripts/check_notebooks.py hygiene

unit: $(TEST_STAMP) $(BOOK_STAMP)  ## the unit tests (plain pytest; they build the decks and the book)
	@echo; echo "==== unit tests: pytest"
	$(BIN)/pytest

nbval: $(TEST_STAMP) check-timeout  ## rerun every chapter notebook and compare its outputs (strict)
	@echo; echo "==== notebooks: pytest --nbval notebooks/"
	@if ! compgen -G 'notebooks/[0-9][0-9]_*.ipynb' >/dev/null; then \
	  echo "no chapter notebooks (notebooks/NN_*.ipynb) yet: nothing for nbval to run"; \
	else \
	  $(TIMEOUT) $(NBVAL_TIMEOUT) $(BIN)/pytest --nbval notebooks/ || { rc=$$?; \
	    [ $$rc -ne 124 ] || echo "error: nbval did not finish within $(NBVAL_TIMEOUT) s" \
	      "(a hung kernel? see Troubleshooting in README.md; NBVAL_TIMEOUT=... to change)" >&2; \
	    exit $$rc; }; \
	fi

browser: $(TEST_STAMP) $(BOOK_STAMP) check-timeout  ## JupyterLab, decks and book in headless Chromium (tests/browser)
	@echo; echo "==== browser tests: pytest tests/browser"
	@if [ ! -d tests/browser ]; then \
	  echo "tests/browser does not exist yet: no browser tests to run"; \
	else \
	  scripts/setup_chromium.sh; \
	  $(TIMEOUT) $(BROWSER_TIMEOUT) $(BIN)/pytest tests/browser || { rc=$$?; \
	    [ $$rc -ne 124 ] || echo "error: the browser tests did not finish within" \
	      "$(BROWSER_TIMEOUT) s (BROWSER_TIMEOUT=... to change)" >&2; \
	    exit $$rc; }; \
	fi

check-timeout:
	@command -v timeout >/dev/null 2>&1 || { \
	  echo "error: GNU 'timeout' (coreutils) is needed to stop hung notebook runs." \
	       "Debian/Ubuntu: apt-get install coreutils; macOS: brew install coreutils and put" \
	       "its gnubin directory on PATH." >&2; exit 1; }

# ---------------------------------------------------------------- notebooks

# make execute                             every chapter
# make execute NB=notebooks/01_entropy.py  one chapter (.py or .ipynb name)
# The kernel runs with its own matplotlib backend (inline) whatever MPLBACKEND the shell has;
# scripts/tidy_notebook.py then tidies the outputs and rewrites the .py exactly as jupytext
# writes it from the .ipynb (canonical metadata order), so the pair stays byte-identical.
execute: $(STAMP) check-timeout  ## rerun notebooks from their .py and store the outputs (NB=... for one)
	@if [ -n "$(NB)" ]; then sources="$(NB)"; \
	else sources="$$(compgen -G 'notebooks/[0-9][0-9]_*.py' || true)"; fi; \
	if [ -z "$$sources" ]; then echo "no chapter notebooks (notebooks/NN_*.py) to execute"; exit 0; fi; \
	for src in $$sources; do \
	  py="$${src%.*}.py"; nb="$${src%.*}.ipynb"; \
	  if [ ! -f "$$py" ]; then echo "error: $$py not found (the .py is the source of $$nb)" >&2; exit 1; fi; \
	  echo "==== $$py -> $$nb"; \
	  $(BIN)/jupytext --quiet --update --to ipynb "$$py"; \
	  for attempt in 1 2; do \
	    rc=0; \
	    $(TIMEOUT) $(EXEC_TIMEOUT) env -u MPLBACKEND $(BIN)/jupyter nbconvert --to notebook \
	      --execute --inplace \
	      --ExecutePreprocessor.timeout=300 --ExecutePreprocessor.record_timing=False \
	      --log-level=WARN "$$nb" || rc=$$?; \
	    [ $$rc -eq 124 ] || break; \
	    echo "warning: $$nb did not finish within $(EXEC_TIMEOUT) s (attempt $$attempt of 2;" \
	         "nbclient sometimes hangs on an idle kernel)" >&2; \
	  done; \
	  if [ $$rc -eq 124 ]; then echo "error: $$nb timed out twice (EXEC_TIMEOUT=$(EXEC_TIMEOUT) s)" >&2; exit 124; fi; \
	  if [ $$rc -ne 0 ]; then echo "error: executing $$nb failed (exit $$rc)" >&2; exit $$rc; fi; \
	  $(BIN)/python scripts/tidy_notebook.py "$$nb"; \
	done

# ---------------------------------------------------------------- tools

bench: $(STAMP)  ## benchmarks (benchmarks/run.py), one BLAS thread; e.g. BENCH_ARGS="--only widgets"
	@[ -f benchmarks/run.py ] || { echo "error: benchmarks/run.py does not exist" >&2; exit 1; }
	OPENBLAS_NUM_THREADS=1 $(BIN)/python benchmarks/run.py $(BENCH_ARGS)

# make slides               decks from the stored outputs, in _build/slides/
# make slides PROJECTOR=1    executes copies with COURSE_PROJECTOR=1 (large fonts) under _build/,
#                            decks in _build/slides-projector/ (the notebooks are not changed)
slides: $(STAMP)  ## one reveal.js deck per chapter in _build/slides/ (PROJECTOR=1: large-font decks)
	@if [ -n "$(PROJECTOR)" ] && [ "$(PROJECTOR)" != 0 ]; then \
	  $(BIN)/python scripts/build_slides.py --projector --out _build/slides-projector && \
	  echo "open _build/slides-projector/01_entropy.slides.html (arrow keys; s: speaker view)"; \
	else \
	  $(BIN)/python scripts/build_slides.py --out _build/slides && \
	  echo "open _build/slides/01_entropy.slides.html (arrow keys; s: speaker view)." \
	       "Check a deck: $(BIN)/python scripts/check_slides.py _build/slides/NN_slug.slides.html"; \
	fi

book: $(STAMP)  ## the whole course as a static HTML book in _build/book/_build/html/ (offline)
	$(BIN)/python scripts/build_book.py --out _build/book

# `make slides` and `make book` need the book extra (added here: their recipes are above).
slides book: $(BOOK_STAMP)

test-lowest: check-timeout  ## unit tests with the lowest dependency versions pyproject allows (.venv-lowest)
	@[ -x .venv-lowest/bin/python ] || $(PYTHON) -m venv .venv-lowest
	.venv-lowest/bin/python -m pip install --quiet --disable-pip-version-check \
	  -c constraints-lowest.txt -e '.[test]'
	$(TIMEOUT) $(CHECK_TIMEOUT) .venv-lowest/bin/pytest -p no:cacheprovider \
	  --ignore=tests/test_static_builds.py --ignore=tests/test_check_notebooks.py \
	  --ignore=tests/test_doctor.py --ignore=tests/test_packaging.py

doctor: $(STAMP)  ## versions, widget front end, notebook sync, and what to do about each problem
	$(BIN)/python -m course_utils doctor

constraints: $(STAMP) $(TEST_STAMP) $(BOOK_STAMP)  ## rewrite constraints.txt from the versions .venv has installed now
	$(BIN)/python scripts/freeze_constraints.py > constraints.txt.new
	mv constraints.txt.new constraints.txt
	@touch $(STAMP) $(TEST_STAMP) $(BOOK_STAMP)

clean:  ## remove caches and build outputs (keeps .venv)
	rm -rf .pytest_cache .ruff_cache .hypothesis _build build dist slides *.egg-info \
	  tests/browser/artifacts benchmarks/results
	find . -path ./.venv -prune -o \( -name __pycache__ -o -name .ipynb_checkpoints \) \
	  -type d -print0 | xargs -0 rm -rf

distclean: clean  ## clean, and remove .venv
	rm -rf .venv .venv-lowest
