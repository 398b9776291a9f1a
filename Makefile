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
# 1: let the notebooks train missing runs estimated above 15 minutes (they print the count and the
# estimate in the terminal first, and stop without it: neurodream/sweep.py, confirm_cost)
ALLOW_TRAINING ?= 0
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9][0-9]_*.py))
# the executed copies a reader reads along with; QUICK=1 keeps its tiny ones apart
EXEC_DIR := notebooks/executed$(if $(filter 1,$(QUICK)),/quick,)
EXECUTED := $(patsubst notebooks/%.py,$(EXEC_DIR)/%.ipynb,$(NOTEBOOKS))

# One OpenBLAS kernel family for every process (runs bit-reproducible across CPUs: neurodream/blas.py),
# where the CPU can run it (x86-64 with AVX2 and FMA) and no other choice was made.
BLAS_KERNEL := $(shell grep -qw avx2 /proc/cpuinfo 2>/dev/null && grep -qw fma /proc/cpuinfo && echo Haswell)
ifneq ($(BLAS_KERNEL),)
export OPENBLAS_CORETYPE ?= $(BLAS_KERNEL)
# and NumPy's AVX2 loops for its math functions on every such CPU, AVX-512 ones included
export NPY_DISABLE_CPU_FEATURES ?= X86_V4 AVX512_ICL AVX512_SPR
endif

.DELETE_ON_ERROR:
.PHONY: all figures test lab bench check-runs rerun-unpinned record-notebooks clean-cache clean-figures clean-data clean

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
# Before the first notebook runs, PARAMS are checked against the notebooks' parameters cells: a
# parameter none of them has (papermill would only warn and run the committed parameters) or a value
# of the wrong type stops make with one line (neurodream/outputs.py, check-parameters).
# Ctrl-C or SIGTERM to make ends the notebook's kernel and its workers too: they watch make's process
# ($$PPID in the recipe's shell) and end with it (neurodream/lifeline.py); runs resume from checkpoints.
figures: $(STAMP)
	@$(PY) -m neurodream.outputs check-parameters $(NOTEBOOKS) -p quick $(QUICK) $(PARAMS)
	@mkdir -p $(EXEC_DIR) figures data
	@for nb in $(NOTEBOOKS); do \
	  name=$$(basename $$nb .py); \
	  echo "== $$name (quick=$(QUICK))"; \
	  $(PY) -m jupytext --quiet --to ipynb --output $(EXEC_DIR)/$$name.src.ipynb $$nb || exit 1; \
	  NEURODREAM_LIFELINE_PID=$$PPID NEURODREAM_MAKE_FIGURES=1 NEURODREAM_ALLOW_TRAINING=$(ALLOW_TRAINING) $(PY) -m papermill --kernel python3 --cwd notebooks --progress-bar \
	    $(EXEC_DIR)/$$name.src.ipynb $(EXEC_DIR)/$$name.ipynb -p quick $(QUICK) $(PARAMS) \
	    || { rm -f $(EXEC_DIR)/$$name.src.ipynb $(EXEC_DIR)/$$name.ipynb; \
	         echo "== $$name failed"; exit 1; }; \
	  rm -f $(EXEC_DIR)/$$name.src.ipynb; \
	  NEURODREAM_MAKE_FIGURES=1 $(PY) -m neurodream.outputs $(EXEC_DIR)/$$name.ipynb; \
	done

# After changing a notebook on purpose: record its parameters and code as the ones that make the
# committed outputs (notebooks/committed.json), then make figures. Without this step the notebook
# writes variants (figures/variants/, data/variants/), as an edit saved from JupyterLab does.
record-notebooks: $(STAMP)
	$(PY) -m neurodream.outputs record $(NOTEBOOKS)

# JupyterLab at the repository's root (so the notebooks' links to ../docs/ resolve), as root too.
# Each notebooks/NN_*.py is paired with notebooks/NN_*.ipynb (jupytext; the .ipynb, not committed,
# keeps the outputs): open the .ipynb. Run in Lab, a notebook writes variants, never the committed
# outputs (neurodream/outputs.py). Extra options: make lab LAB_ARGS="--no-browser --port 8899"
LAB_ARGS ?=
LAB_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root,)
lab: $(STAMP)
	$(PY) -m pip install --quiet -e ".[interactive]"
	$(PY) -m jupytext --quiet --sync $(NOTEBOOKS)
	$(PY) -m jupyter lab $(LAB_ROOT) --ServerApp.root_dir="$(CURDIR)" $(LAB_ARGS)

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

# Whether every committed run reproduces here: the first games of each run file in data/ recomputed
# in memory and compared bit for bit (README, known limits). A few minutes on 2 cores.
check-runs: $(STAMP)
	$(PY) -m neurodream rerun --all --first-games 6 --jobs 2 --report data/rerun/first_games_check.csv

# The runs that check found not reproducing (made where OpenBLAS ran other kernels), recomputed here
# and put in place (resumable: finished runs wait in data/rerun/pinned/ until all are done); then
# make check-runs again, and make figures.
rerun-unpinned: $(STAMP)
	$(PY) -m neurodream rerun --from-check data/rerun/first_games_check.csv --jobs 2 --scratch data/rerun/pinned \
	  --replace --report data/rerun/haswell_pin_rest.csv

# Numba's on-disk cache does not notice edits of a jitted callee in another module: clear it after
# changing kernels.
clean-cache:
	find neurodream -name '*.nbi' -delete -o -name '*.nbc' -delete

clean-figures:
	rm -rf notebooks/executed figures/*.png figures/*.pdf

# Only what is not committed: the quick runs and the variants' runs (data/ holds the committed runs).
clean-data:
	rm -rf data/quick data/variants

clean: clean-cache clean-figures
	rm -rf $(VENV) *.egg-info
