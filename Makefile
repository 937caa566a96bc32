# retailkit: set-up, tests, data and benchmarks.
#
#   make lab    create .venv (from the lock file), register the kernel, open JupyterLab on notebooks/
#   make test   the same set-up, then ruff, every test and every notebook under strict nbval
#
# Only Python 3.11+ is needed; everything else is installed into .venv from requirements/lock.txt.
# Variables you may override:  make lab PYTHON=python3.12 LAB_ARGS=--no-browser
#                              make test PYTEST_ARGS="-x -k scenario"

SHELL := /bin/bash
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

PYTHON      ?= python3
VENV        ?= .venv
LATEST_VENV ?= .venv-latest
LOCK        ?= requirements/lock.txt
LAB_ARGS    ?=
PYTEST_ARGS ?=
BENCH_ARGS  ?=
KERNEL_NAME ?= retailkit
KERNEL_DISPLAY_NAME ?= Python (retailkit)
# --sys-prefix puts the kernelspec inside the venv (seen by the venv's JupyterLab, removed with the
# venv, nothing written to $HOME). Use KERNEL_SCOPE=--user to also see it from other Jupyter front ends.
KERNEL_SCOPE ?= --sys-prefix

NBVAL_ARGS := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg \
              --nbval-cell-timeout 600

# Nothing may wait for input (CI has no terminal).
export PIP_NO_INPUT := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1

# Check that interpreter $(1) exists and is Python >= 3.11, with a message that says what to do.
define require_py311
	@if ! command -v $(1) >/dev/null 2>&1; then \
	  echo "error: '$(1)' not found. retailkit needs Python 3.11 or newer:" \
	       "install it, or point PYTHON at it, e.g. 'make $(or $(MAKECMDGOALS),setup) PYTHON=python3.12'." >&2; \
	  exit 1; \
	elif ! $(1) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then \
	  echo "error: retailkit needs Python 3.11 or newer, but '$(1)' is $$($(1) --version 2>&1)." >&2; \
	  echo "       Install Python 3.11+ and point PYTHON at it, e.g. 'make $(or $(MAKECMDGOALS),setup) PYTHON=python3.12'" \
	       "(run 'make clean' first if an old .venv exists)." >&2; \
	  exit 1; \
	fi
endef

# Create venv $(1) with $(PYTHON) and upgrade its pip.
define make_venv
	$(call require_py311,$(PYTHON))
	$(PYTHON) -m venv $(1) || { rm -rf $(1); \
	  echo "error: '$(PYTHON) -m venv' failed. On Debian/Ubuntu install the venv module first:" \
	       "sudo apt-get install python3-venv (or python3.X-venv)." >&2; exit 1; }
	$(1)/bin/python -m pip install --quiet --upgrade pip
endef

# Environment for running tests and executing notebooks: the same outputs on every machine.
# Own matplotlib, IPython and Jupyter-runtime dirs inside the venv (a personal matplotlibrc or IPython
# startup file must not change the stored outputs; nothing is written to $HOME), fixed hash seed and
# time zone, the kernel's own inline backend. $(1) is the venv.
test_env = env -u MPLBACKEND MPLCONFIGDIR=$(CURDIR)/$(1)/var/matplotlib IPYTHONDIR=$(CURDIR)/$(1)/var/ipython \
           JUPYTER_RUNTIME_DIR=$(CURDIR)/$(1)/var/jupyter-runtime \
           PYTHONHASHSEED=0 TZ=UTC PYDEVD_DISABLE_FILE_VALIDATION=1

# Warm matplotlib's font cache (its "building the font cache" message must not land in a notebook output).
define warm_caches
	$(call test_env,$(1)) $(1)/bin/python -c 'import matplotlib.pyplot'
	$(1)/bin/python -c 'import matplotlib.pyplot'
endef

# The whole suite in venv $(1): ruff, then unit/property/statistical tests and every notebook (strict
# nbval) in one pytest run over pyproject's testpaths (tests/, notebooks/). Both steps always run.
# pytest exit code 5 ("no tests collected") cannot happen while tests/ holds tests; it is still
# treated as an error, so an empty collection never passes silently.
define run_suite
	@status=0; \
	echo "+ ruff check ."; \
	$(1)/bin/ruff check . || status=1; \
	echo "+ pytest $(NBVAL_ARGS) $(PYTEST_ARGS)"; \
	$(call test_env,$(1)) $(1)/bin/python -m pytest $(NBVAL_ARGS) $(PYTEST_ARGS) || status=1; \
	exit $$status
endef

.PHONY: help setup lab test test-latest notebooks data bench lock clean

help: ## list the targets
	@echo "retailkit: make <target>   (needs only Python 3.11+; PYTHON=$(PYTHON))"
	@grep -E '^[a-z][a-z-]*:.*## ' $(MAKEFILE_LIST) | \
	  awk 'BEGIN {FS = ":.*## "} {printf "  %-12s %s\n", $$1, $$2}'

# ---------------------------------------------------------------------------------------------------
# Set-up (shared by lab, test, data, bench). Re-runs only when pyproject.toml or the lock changes.

$(VENV)/bin/python:
	$(call make_venv,$(VENV))

$(VENV)/.installed: $(VENV)/bin/python pyproject.toml $(LOCK)
	$(call require_py311,$(VENV)/bin/python)
	@echo "Installing retailkit and its dev tools into $(VENV) from $(LOCK) (a minute or two the first time)..."
	$(VENV)/bin/python -m pip install --quiet -c $(LOCK) -e ".[dev]"
	$(VENV)/bin/python -m ipykernel install $(KERNEL_SCOPE) --name $(KERNEL_NAME) \
	  --display-name "$(KERNEL_DISPLAY_NAME)"
	$(call warm_caches,$(VENV))
	@touch $@

setup: $(VENV)/.installed ## create .venv and install the kit + dev tools from the lock (no-op if current)

# Jupyter refuses to start as root (containers, some CI) unless told it is deliberate.
LAB_ROOT_FLAG := $(if $(filter 0,$(shell id -u 2>/dev/null)),--allow-root)

lab: setup ## set up, then open JupyterLab on notebooks/ (LAB_ARGS=--no-browser ...)
	$(VENV)/bin/jupyter lab notebooks/ $(LAB_ROOT_FLAG) $(LAB_ARGS)

test: setup ## set up, then ruff + every test + every notebook under strict nbval
	$(call run_suite,$(VENV))

notebooks: setup ## re-execute every notebook in place (store outputs exactly as nbval will see them)
	@nbs=$$(find notebooks -name '*.ipynb' -not -path '*/.ipynb_checkpoints/*' | sort); \
	if [ -z "$$nbs" ]; then echo "no notebooks under notebooks/"; exit 0; fi; \
	set -x; \
	$(call test_env,$(VENV)) $(VENV)/bin/jupyter nbconvert --to notebook --execute --inplace \
	  --ExecutePreprocessor.kernel_name=$(KERNEL_NAME) --ExecutePreprocessor.timeout=600 $$nbs

data: setup ## regenerate the bundled data in data/
	$(VENV)/bin/python -m retailkit.cli make-samples --out data

$(VENV)/.installed-bench: $(VENV)/.installed
	$(VENV)/bin/python -m pip install --quiet -c $(LOCK) -e ".[dev,bench]"
	@touch $@

bench: $(VENV)/.installed-bench ## install the bench extra (from the lock) and run the benchmarks
	$(VENV)/bin/python benchmarks/run_all.py $(BENCH_ARGS)

# ---------------------------------------------------------------------------------------------------
# Newest releases: a separate venv, no lock, upgraded on every run.

test-latest: $(LATEST_VENV)/bin/python ## the same suite in .venv-latest against the newest releases (no lock)
	$(call require_py311,$(LATEST_VENV)/bin/python)
	$(LATEST_VENV)/bin/python -m pip install --upgrade --upgrade-strategy eager -e ".[dev]"
	$(call warm_caches,$(LATEST_VENV))
	$(LATEST_VENV)/bin/python -m pip list
	$(call run_suite,$(LATEST_VENV))

$(LATEST_VENV)/bin/python:
	$(call make_venv,$(LATEST_VENV))

# ---------------------------------------------------------------------------------------------------
# The lock: newest releases that satisfy pyproject.toml, resolved in a throwaway venv.

lock: ## regenerate requirements/lock.txt from a fresh venv (pip install ".[dev,bench]"; pip freeze)
	$(call require_py311,$(PYTHON))
	@set -euo pipefail; \
	tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	echo "+ $(PYTHON) -m venv $$tmp/venv"; \
	$(PYTHON) -m venv "$$tmp/venv"; \
	"$$tmp/venv/bin/python" -m pip install --quiet --upgrade pip; \
	echo "+ pip install \".[dev,bench]\""; \
	"$$tmp/venv/bin/python" -m pip install --quiet ".[dev,bench]"; \
	mkdir -p $(dir $(LOCK)); \
	{ echo "# Exact versions for 'make lab', 'make test' and 'make bench' (used as a pip constraints file:"; \
	  echo "#   pip install -c $(LOCK) -e \".[dev]\")."; \
	  echo "# Generated by 'make lock' on $$(date -u +%Y-%m-%d): a fresh venv with" \
	       "$$("$$tmp/venv/bin/python" -c 'import platform, sys; print(f"CPython {platform.python_version()} on {sys.platform}-{platform.machine()}")'),"; \
	  echo "#   pip install \".[dev,bench]\"  then  pip freeze --exclude retailkit"; \
	  echo "# Do not edit by hand: change pyproject.toml and run 'make lock'."; \
	  "$$tmp/venv/bin/python" -m pip freeze --exclude retailkit; \
	} > $(LOCK).tmp; \
	mv $(LOCK).tmp $(LOCK); \
	echo "wrote $(LOCK) ($$(grep -c '==' $(LOCK)) pins)"

# ---------------------------------------------------------------------------------------------------

clean: ## remove the venvs, stamps, caches and build junk
	rm -rf $(VENV) $(LATEST_VENV) build dist *.egg-info .pytest_cache .ruff_cache .hypothesis \
	  .ipynb_checkpoints $(LOCK).tmp
	find . -path ./.git -prune -o \( -name __pycache__ -o -name .ipynb_checkpoints \) -type d -prune \
	  -exec rm -rf {} +
