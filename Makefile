# Election forensics: reproducible, parameterized notebooks.
#   make all     run every notebook for every election, build reports/index.html
#   make test    run the test suite
#   make bench   run the benchmarks
# Both create .venv (python3 -m venv + pip) when it is missing.
#
# Variables:
#   ELECTION="kz2011 ru2011"   elections to run (default: all configured)
#   PARAMS="alpha=0.01 seed=7"  parameter overrides (see README's parameter table)
#   STRICT=1                   fail instead of skipping an election whose data cannot be had

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DELETE_ON_ERROR:
.SECONDEXPANSION:

PYTHON_BOOT ?= python3
VENV := .venv
PY := $(VENV)/bin/python
VENV_STAMP := $(VENV)/.installed

ALL_ELECTIONS := kz2011 ru2011 pl2020r1 calibration
ELECTION ?= $(ALL_ELECTIONS)
PARAMS ?=
STRICT ?= 0
STRICT_FLAG := $(if $(filter 1 yes true,$(STRICT)),--strict,)

# Which notebooks run for which election (only those present in notebooks/ are used).
NB_kz2011 := 01_clean_kz2011 02_protocols 03_distributions 04_full_turnout 05_digits 06_integer_spikes 08_fraud_model
NB_ru2011 := 02_protocols 03_distributions 04_full_turnout 05_digits 06_integer_spikes 08_fraud_model
NB_pl2020r1 := $(NB_ru2011)
NB_calibration := 07_calibration_power
DATA_ELECTIONS := kz2011 ru2011 pl2020r1

present = $(filter $(basename $(notdir $(wildcard notebooks/*.ipynb))),$(1))
NB_STAMPS := $(foreach e,$(ELECTION),$(foreach n,$(call present,$(NB_$(e))),build/stamps/$(e)/$(n).done))
DATA_STAMPS := $(foreach e,$(DATA_ELECTIONS),build/stamps/data/$(e).done)

SRC := $(shell find src/analysis -name '*.py' | sort)
CONFIG := $(sort $(wildcard config/*.yml config/*/*.yml))
KZ_RAW := $(sort $(wildcard data/raw/kz2011/*))

# PARAMS is a dependency too: rewrite build/params.txt only when it changes.
$(shell mkdir -p build)
$(file >build/params.new,$(PARAMS))
$(shell cmp -s build/params.new build/params.txt || mv build/params.new build/params.txt; rm -f build/params.new)

.PHONY: all venv data test bench index clean clean-reports help FORCE

all: reports/index.html

help:
	@sed -n '1,12p' Makefile

venv: $(VENV_STAMP)

$(VENV_STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON_BOOT) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	$(PY) -m ipykernel install --sys-prefix --name election-forensics --display-name "Python (election-forensics)" >/dev/null
	@touch $@

data: $(DATA_STAMPS)

# An election whose dataset could not be had is retried on every run (FORCE).
build/stamps/data/%.done: $(VENV_STAMP) $(SRC) config/datasets.yml $(KZ_RAW) \
		$$(if $$(wildcard data/processed/$$*/UNAVAILABLE.txt),FORCE)
	@mkdir -p $(@D)
	$(PY) -m analysis.data.datasets prepare $* $(STRICT_FLAG)
	@touch $@

build/check-params.done: build/params.txt $(VENV_STAMP) $(wildcard notebooks/*.ipynb) $(CONFIG)
	@mkdir -p $(@D)
	$(PY) -m analysis.report.pipeline check-params --params "$(PARAMS)"
	@touch $@

# build/stamps/<election>/<notebook>.done: one executed notebook (ipynb + html + results JSON).
build/stamps/%.done: notebooks/$$(notdir $$*).ipynb $(SRC) $(CONFIG) $(DATA_STAMPS) \
		build/params.txt build/check-params.done $(VENV_STAMP)
	@mkdir -p $(@D)
	$(PY) -m analysis.report.pipeline run --election $(patsubst %/,%,$(dir $*)) --notebook $(notdir $*) \
		--params "$(PARAMS)" $(STRICT_FLAG)
	@touch $@

# Kazakhstan notebooks set the protocol review and special stations beside the reference
# elections, so they run after those when both are requested.
$(foreach n,$(NB_kz2011),$(eval build/stamps/kz2011/$(n).done: | $(filter $(foreach e,ru2011 pl2020r1,build/stamps/$(e)/$(n).done),$(NB_STAMPS))))
# The ru2011 notebooks show the pl2020r1 control: no order needed (they read its data, not its results).

reports/index.html: $(NB_STAMPS) src/analysis/index.py $(VENV_STAMP)
	$(PY) -m analysis.report.index --out $@

index: $(VENV_STAMP)
	$(PY) -m analysis.report.index --out reports/index.html

test: $(VENV_STAMP)
	$(PY) -m pytest -q

bench: $(VENV_STAMP) $(DATA_STAMPS)
	@mkdir -p reports/bench
	@set -e; for b in $(sort $(wildcard bench/*.py)); do echo "== $$b"; $(PY) $$b; done

clean-reports:
	rm -rf reports/notebooks reports/figures reports/results reports/index.html build/stamps

clean: clean-reports
	rm -rf data/processed build

FORCE:
