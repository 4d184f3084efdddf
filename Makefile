# Election forensics: reproducible, parameterized notebooks.
#   make all     run every notebook for every configured election, build reports/index.html
#   make plan    show which notebooks run for which election, and what each needs first
#   make test    run the test suite (with the doctests of src/analysis)
#   make lint    ruff check + ruff format --check
#   make bench   run the benchmarks
#   make batch   run the notebooks of many elections as one task graph (local processes or Dask)
# All create .venv (python3 -m venv + pip) when it is missing.
#
# Variables:
#   ELECTION="kz2011 ru2011"   elections to run (default: every config/elections/<id>.yml)
#   PARAMS="alpha=0.01 seed=7"  parameter overrides (see README's parameter table)
#   STRICT=1                   fail instead of skipping an election whose data cannot be had
#   JOBS=2                     runs (and test workers) in parallel (default: the number of cores)
#   SCHEDULER=tcp://host:8786  where independent units run: local (default), serial, dask-local,
#                              or a Dask scheduler (calibration elections, batch tasks)
#
# This file names no election and no notebook: it includes build/plan.mk, which
# `python -m analysis.report.pipeline plan` writes from config/elections/*.yml and
# config/notebooks/*.yml (docs/ARCHITECTURE.md, "The run plan").

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := all
.DELETE_ON_ERROR:
.SECONDEXPANSION:

PYTHON_BOOT ?= python3
VENV := .venv
PY := $(VENV)/bin/python
VENV_STAMP := $(VENV)/.installed

PARAMS ?=
STRICT ?= 0
STRICT_FLAG := $(if $(filter 1 yes true,$(STRICT)),--strict,)

# Independent runs go in parallel, one per core (JOBS=1: one at a time); each run's output is
# printed in one piece.
JOBS ?= $(shell nproc 2>/dev/null || echo 1)
MAKEFLAGS += -j$(JOBS) --output-sync=target

SRC := $(shell find src/analysis -name '*.py' | sort)
CONFIG := $(sort $(wildcard config/*.yml config/*/*.yml))

# PARAMS is a dependency too: rewrite build/params.txt only when it changes.
$(shell mkdir -p build)
$(file >build/params.new,$(PARAMS))
$(shell cmp -s build/params.new build/params.txt || mv build/params.new build/params.txt; rm -f build/params.new)

# The plan: PLAN_ELECTIONS, PLAN_RUNS_<election>, PLAN_RUN_STAMPS, PLAN_RUN_ORDER, PLAN_DATA_STAMPS and one
# prerequisite line per run. Goals that need no plan do not build it (nor .venv for it).
PLAN := build/plan.mk
NO_PLAN_GOALS := help venv plan test lint clean clean-reports
ifneq ($(filter-out $(NO_PLAN_GOALS),$(or $(MAKECMDGOALS),all)),)
include $(PLAN)
endif

ELECTION ?= $(PLAN_ELECTIONS)
UNKNOWN_ELECTIONS = $(filter-out $(PLAN_ELECTIONS),$(ELECTION))
# In the plan's order (PLAN_RUN_ORDER: the longest chains of runs first), the order in which
# make -j starts them.
RUN_STAMPS = $(filter $(foreach e,$(ELECTION),$(PLAN_RUNS_$(e))),$(PLAN_RUN_ORDER))
DATA_STAMPS = $(filter $(foreach e,$(ELECTION),build/stamps/data/$(e).done),$(PLAN_DATA_STAMPS))
CHECKED = $(if $(UNKNOWN_ELECTIONS),unknown-election,$(1))

.PHONY: all plan venv data test lint bench batch index clean clean-reports help unknown-election FORCE

all: $(call CHECKED,reports/index.html build/browser-check.done)

help:
	@sed -n '1,20p' Makefile

unknown-election:
	@echo "ERROR: unknown election(s) $(UNKNOWN_ELECTIONS); known: $(PLAN_ELECTIONS) (config/elections/<id>.yml)" >&2
	@exit 2

venv: $(VENV_STAMP)

$(VENV_STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON_BOOT) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	$(PY) -m ipykernel install --sys-prefix --name election-forensics --display-name "Python (election-forensics)" >/dev/null
	@touch $@

# Directories are prerequisites too: adding or removing an election, a notebook or a raw file
# changes them.
RAW_DIRS := $(patsubst %/,%,$(filter-out data/raw/external/,$(wildcard data/raw/*/)))
$(PLAN): $(VENV_STAMP) $(SRC) $(CONFIG) config/elections config/notebooks notebooks $(RAW_DIRS) build/params.txt
	$(PY) -m analysis.report.pipeline plan --params "$(PARAMS)" --out $@

plan: $(VENV_STAMP)
	$(PY) -m analysis.report.pipeline plan --format text --params "$(PARAMS)" $(if $(ELECTION),--elections $(ELECTION))

data: $(call CHECKED,$(DATA_STAMPS))

# An election whose dataset could not be had is retried on every run (FORCE).
$(PLAN_DATA_STAMPS): build/stamps/data/%.done: $(VENV_STAMP) $(SRC) config/datasets.yml config/elections/%.yml \
		$$(if $$(wildcard data/processed/$$*/UNAVAILABLE.txt),FORCE)
	@mkdir -p $(@D)
	$(PY) -m analysis.data.datasets prepare $* $(STRICT_FLAG)
	@touch $@

build/check-params.done: build/params.txt $(VENV_STAMP) $(wildcard notebooks/*.ipynb) $(CONFIG)
	@mkdir -p $(@D)
	$(PY) -m analysis.report.pipeline check-params --params "$(PARAMS)"
	@touch $@

# build/stamps/<election>/<notebook>.done: one executed notebook (ipynb + html + results JSON).
# The plan adds what each run needs first (data stamps, stamps of the runs it reads).
$(PLAN_RUN_STAMPS): build/stamps/%.done: notebooks/$$(notdir $$*).ipynb $(SRC) $(CONFIG) \
		build/params.txt build/check-params.done $(VENV_STAMP)
	@mkdir -p $(@D)
	$(PY) -m analysis.report.pipeline run --election $(patsubst %/,%,$(dir $*)) --notebook $(notdir $*) \
		--params "$(PARAMS)" $(STRICT_FLAG)
	@touch $@

reports/index.html: $(RUN_STAMPS) $(SRC) $(CONFIG) $(VENV_STAMP)
	$(PY) -m analysis.report.index --out $@

# The pages in headless Chromium: console errors, broken links and images fail the run;
# screenshots land in reports/screenshots/. Without Chromium it says so and passes.
build/browser-check.done: reports/index.html
	$(PY) -m analysis.report.browser --reports reports
	@touch $@

# Every (election, notebook) a task and data preparation too, dependencies from the plan; a
# failing task is reported and the others complete (summary: reports/batch/latest.json).
batch: $(call CHECKED,$(VENV_STAMP) build/check-params.done)
	$(PY) -m analysis.report.pipeline batch --elections $(ELECTION) --params "$(PARAMS)" \
		$(if $(SCHEDULER),--scheduler $(SCHEDULER)) $(STRICT_FLAG)

index: $(VENV_STAMP)
	$(PY) -m analysis.report.index --out reports/index.html

# The tests run in JOBS pytest-xdist workers (tests that share data/processed/ take a lock in
# tests/conftest.py); JOBS=0 runs them in this process.
test: $(VENV_STAMP)
	$(PY) -m pytest -q -n $(JOBS)

lint: $(VENV_STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

bench: $(VENV_STAMP) $(PLAN_DATA_STAMPS)
	@mkdir -p reports/bench
	@# one BLAS thread, as notebook kernels get (analysis.report.pipeline.KERNEL_THREAD_LIMITS)
	@set -e; for b in $(sort $(wildcard bench/*.py)); do echo "== $$b"; OPENBLAS_NUM_THREADS=$${OPENBLAS_NUM_THREADS:-1} OMP_NUM_THREADS=$${OMP_NUM_THREADS:-1} $(PY) $$b; done

clean-reports:
	rm -rf reports/notebooks reports/figures reports/results reports/index.html reports/screenshots build/stamps build/browser-check.done

# data/processed/.gitkeep is tracked: keep it.
clean: clean-reports
	if [ -d data/processed ]; then find data/processed -mindepth 1 -maxdepth 1 ! -name .gitkeep -exec rm -rf {} +; fi
	rm -rf build

FORCE:
