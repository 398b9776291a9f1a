# neurodream: `make figures` regenerates every figure, `make test` runs the test suite.
# Both create the virtual environment .venv (from pyproject.toml) when it is missing.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
QUICK ?= 0
# extra papermill parameters for every notebook, e.g. PARAMS="-p seeds 5". Parameters other than the
# committed ones write to figures/variants/<name>/, never to figures/ or README.md (neurodream/outputs.py).
PARAMS ?=
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9][0-9]_*.py))
EXECUTED := $(patsubst notebooks/%.py,notebooks/executed/%.ipynb,$(NOTEBOOKS))

.DELETE_ON_ERROR:
.PHONY: all figures test lab bench rerun-engine-fix clean-cache clean-figures clean-data clean

all: figures

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[notebooks,dev,cluster]"
	@touch $@

venv: $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -q

# Each notebook is a jupytext percent script; papermill executes it with QUICK passed as `quick`.
# One notebook only: make figures NOTEBOOKS=notebooks/04_comparison.py
# A notebook that fails leaves no executed copy behind (papermill prints the failing cell).
figures: $(STAMP)
	@mkdir -p notebooks/executed figures data
	@for nb in $(NOTEBOOKS); do \
	  name=$$(basename $$nb .py); \
	  echo "== $$name (quick=$(QUICK))"; \
	  $(PY) -m jupytext --quiet --to ipynb --output notebooks/executed/$$name.src.ipynb $$nb || exit 1; \
	  $(PY) -m papermill --kernel python3 --cwd notebooks --progress-bar \
	    notebooks/executed/$$name.src.ipynb notebooks/executed/$$name.ipynb -p quick $(QUICK) $(PARAMS) \
	    || { rm -f notebooks/executed/$$name.src.ipynb notebooks/executed/$$name.ipynb; \
	         echo "== $$name failed"; exit 1; }; \
	  rm -f notebooks/executed/$$name.src.ipynb; \
	  $(PY) -m neurodream.outputs notebooks/executed/$$name.ipynb; \
	done

lab: $(STAMP)
	$(PY) -m pip install --quiet -e ".[interactive]"
	$(PY) -m jupyter lab notebooks

# The benchmark records quoted by notebook 01 and the README (figures/bench/*.json). Run them on an
# otherwise idle machine: they measure speed. About 10 minutes here.
BENCH := figures/bench
bench: $(STAMP)
	@mkdir -p $(BENCH)
	$(PY) -m neurodream.bench emulator --windows 500 --json $(BENCH)/emulator_10ms.json
	$(PY) -m neurodream.bench emulator --windows 500 --host-ms 8 --json $(BENCH)/emulator_host8ms.json
	$(PY) -m neurodream.bench emulator --windows 200 --window-ms 50 --host-ms 8 --json $(BENCH)/emulator_wait50_host8ms.json
	$(PY) -m neurodream.bench accuracy --json $(BENCH)/accuracy_10ms.json
	$(PY) -m neurodream.bench accuracy --host-ms 8 --json $(BENCH)/accuracy_host8ms.json
	$(PY) -m neurodream.bench accuracy --windows 100 --window-ms 50 --host-ms 8 --json $(BENCH)/accuracy_wait50_host8ms.json
	$(PY) -m neurodream.bench train --games 10 --json $(BENCH)/train.json

# The runs with 10 ms waits made before the engine fix 262eec3 (code fingerprint ENGINE_FIX_CODE),
# recomputed with today's engine into data/rerun/ and compared with the committed files, one report
# per group in data/rerun/engine_fix_*.csv (README, known limits). Resumable: run it until it
# computes nothing (about 3 h on 2 cores from where the last session left it), then REPLACE=1 puts
# every new file in place and `make figures` redraws.
ENGINE_FIX_CODE := 842c514161ef2ead
RERUN = $(PY) -m neurodream rerun --code $(ENGINE_FIX_CODE) --jobs 2 $(if $(REPLACE),--replace)
rerun-engine-fix: $(STAMP)
	$(RERUN) --seeds 0-9 --report data/rerun/engine_fix_main_study.csv
	$(RERUN) --conditions baseline --seeds 0-9 --set network_seed=1000 chip_seed=0 --report data/rerun/engine_fix_paper_design_baseline.csv
	$(RERUN) --conditions dreaming --seeds 0-9 --set network_seed=2000 chip_seed=0 --report data/rerun/engine_fix_paper_design_dreaming.csv
	$(RERUN) --conditions baseline --seeds 0-9 --set second_window=true --report data/rerun/engine_fix_arm_second_window.csv
	$(RERUN) --conditions baseline --seeds 0-9 --set policy_lr=0.008 --report data/rerun/engine_fix_arm_double_lr.csv
	$(RERUN) --conditions dreaming --seeds 0-9 --set dream_steps=0 --report data/rerun/engine_fix_arm_no_dreams.csv
	$(RERUN) --conditions dreaming --seeds 0-9 --set dream_reward=zero --report data/rerun/engine_fix_arm_zero_reward.csv
	$(RERUN) --conditions dreaming --seeds 0-9 --set dream_reward=noise --report data/rerun/engine_fix_arm_noise.csv
	$(RERUN) --conditions dreaming --seeds 0-9 --fidelity corrected --report data/rerun/engine_fix_arm_corrected.csv
	$(RERUN) --conditions dreaming --seeds 0-9 --set network_seed=2000 chip_seed=0 dream_steps=0 --report data/rerun/engine_fix_paper_design_no_dreams.csv
	for n in 1001 1002 1003 1004 1005; do \
	  $(RERUN) --conditions baseline --seeds 0-9 --set network_seed=$$n chip_seed=0 --report data/rerun/engine_fix_paper_design_network_$$n.csv || exit 1; \
	done

# Numba's on-disk cache does not notice edits of a jitted callee in another module: clear it after
# changing kernels.
clean-cache:
	find neurodream -name '*.nbi' -delete -o -name '*.nbc' -delete

clean-figures:
	rm -rf notebooks/executed figures/*.png figures/*.pdf

clean-data:
	rm -rf data/*

clean: clean-cache clean-figures
	rm -rf $(VENV) *.egg-info
