# paradox: two commands do everything (see README.md).
#   make reproduce   full-mode run of every notebook; rewrites figures/, results/ and the stored outputs
#                    (unchanged fits come from results/cache/; FRESH=1 refits everything)
#   make test        unit tests + every notebook under nbval, in fast mode (what CI runs)
#   make lab         JupyterLab on notebooks/
SHELL := /bin/bash
VENV  := .venv
PY    := $(VENV)/bin/python
STAMP := $(VENV)/.installed
NOTEBOOKS := $(sort $(wildcard notebooks/*.ipynb))
# The exact version of every package, the ones the committed numbers were made with (`make lock` remakes
# it); pyproject.toml holds the ranges. `make venv LOCK=` installs from the ranges instead (newer versions).
LOCK ?= constraints.txt

.PHONY: all venv test test-slow test-very-slow reproduce notebooks data lab lock clean bench calibrate

all: test

# Bootstrap: find a Python >= 3.12 by itself, create .venv, install the package with its extras.
# uv installs the same pinned versions as pip would, in parallel: 39 s instead of 83 s with an empty
# home directory (bytecode compiled up front, as pip does, so that no test worker compiles it).
$(STAMP): pyproject.toml $(LOCK) scripts/find_python.sh
	@set -e; if [ ! -x $(PY) ]; then \
	  py=$$(scripts/find_python.sh); echo "Creating $(VENV) with $$py"; \
	  "$$py" -m venv $(VENV); fi
	$(PY) -m pip install --quiet --upgrade $(if $(LOCK),-c $(LOCK)) pip uv
	$(VENV)/bin/uv pip install --python $(PY) --quiet --compile-bytecode $(if $(LOCK),-c $(LOCK)) -e '.[notebooks,test,docs]'
	$(PY) -m ipykernel install --sys-prefix --name paradox --display-name "Python (paradox)" >/dev/null
	@touch $(STAMP)

venv: $(STAMP)

# Fast mode: real sampling with fewer draws. Verdict cells are compared by nbval (NBVAL_CHECK_OUTPUT).
# Then every regenerated figure's numbers against the committed ones (paradox.figure_check; a few seconds),
# which writes build/figure-report/index.html for reviewers.
# TEST_JOBS worker processes (pytest-xdist); a test module or a notebook stays on one worker (loadscope),
# and each worker compiles into its own directory (conftest.py), taking in what the other compiled
# before each unit. The units go in the order of TEST_UNITS (no reordering by test count), chosen on the
# timelines of cold runs (README, Runtime): notebook 02 compiles the first SRP model on one worker while the
# other runs units that need none of it (notebook 08, the regression tests), so that notebook 03 on finds its
# operations compiled instead of compiling them cold at the same time (2 x 78 CPU-seconds); then the longest
# units (notebook 06 takes 5-6 minutes cold), the many short modules last, so that neither worker waits long
# for the other at the end. A new test module runs among the short ones unless listed here.
TEST_JOBS ?= 2
FIRST_UNITS := notebooks/02_h1_severity.ipynb notebooks/08_meta_analysis.ipynb tests/test_regression.py \
  notebooks/06_joint_hierarchical.ipynb notebooks/03_h2_prior_failure.ipynb notebooks/04_h3_stability.ipynb \
  notebooks/05_h4_controllability.ipynb notebooks/07_bring_your_own_survey.ipynb \
  notebooks/09_plan_and_judge_a_replication.ipynb tests/test_srp_models.py tests/test_studies.py \
  tests/test_r_reference.py tests/test_fit_layouts.py tests/test_analysis.py tests/test_ctrl_c.py \
  tests/test_replication_cli.py
TEST_UNITS := $(FIRST_UNITS) $(filter-out $(FIRST_UNITS),$(NOTEBOOKS) $(sort $(wildcard tests/test_*.py)))
# A notebook cell that runs longer than this fails. PyMC's NUTS (PARADOX_SAMPLER=pymc) took 844 s for notebook
# 06's pooled fit on a 2-core machine: give it room there with `make test CELL_TIMEOUT=1800`.
CELL_TIMEOUT ?= 900
test: $(STAMP)
	PARADOX_MODE=fast PARADOX_CACHE=off MPLBACKEND=Agg $(PY) -m pytest $(TEST_UNITS) --nbval-lax --nbval-current-env \
	  --nbval-cell-timeout=$(CELL_TIMEOUT) -n $(TEST_JOBS) --dist loadscope --no-loadscope-reorder --durations=25
	$(PY) -m paradox.figure_check

test-slow: $(STAMP)
	PARADOX_MODE=fast PARADOX_CACHE=off MPLBACKEND=Agg $(PY) -m pytest tests -m "slow and not very_slow" -n $(TEST_JOBS) \
	  --dist loadscope --durations=25

# Checks of half an hour or more each (not in CI): simulation-based calibration.
test-very-slow: $(STAMP)
	PARADOX_MODE=fast PARADOX_CACHE=off MPLBACKEND=Agg $(PY) -m pytest tests -m very_slow -n $(TEST_JOBS) \
	  --dist loadscope --durations=25

# Regenerate the synthetic survey from its seed (byte-identical to the committed file).
data: $(STAMP)
	$(PY) -m paradox.cli simulate

# Full mode: regenerate data, then execute every notebook in place, writing figures/ and results/.
reproduce: data notebooks

# Two notebooks at a time (they are independent): a warm-cache run is mostly kernel start-up and plotting.
# No MPLBACKEND here: the kernel's inline backend stores every figure in the notebook as an image.
# Each notebook compiles into its own directory under COMPILE_BASE: pytensor's compile cache is not safe to
# share between processes that compile at the same time.
JOBS ?= 2
COMPILE_BASE ?= $(HOME)/.pytensor
notebooks: $(STAMP)
	@printf '%s\n' $(NOTEBOOKS) | xargs -P $(JOBS) -I{} sh -c '\
	  echo "== {}"; \
	  PYTENSOR_FLAGS=base_compiledir=$(COMPILE_BASE)/notebook-$$(basename {} .ipynb) \
	  PARADOX_MODE=full PARADOX_CACHE=$(if $(FRESH),refresh,on) $(VENV)/bin/jupyter nbconvert --to notebook \
	    --execute --inplace --log-level=WARN --ExecutePreprocessor.kernel_name=paradox \
	    --ClearMetadataPreprocessor.enabled=True --ClearMetadataPreprocessor.clear_notebook_metadata=False \
	    --ExecutePreprocessor.timeout=3600 "{}" || { echo "FAILED: {}"; exit 255; }'

# Operating characteristics of the decision rule (paradox.calibration): REPLICATES simulated surveys per truth
# scenario, pooled and unpooled, fitted on Dask (WORKERS local processes, or SCHEDULER=tcp://host:8786);
# resumes where it stopped; writes results/calibration/operating_characteristics.csv. Not part of `make test`.
REPLICATES ?= 200
calibrate: $(STAMP)
	$(PY) -m paradox.calibration --replicates $(REPLICATES) $(if $(WORKERS),--workers $(WORKERS)) \
	  $(if $(SCHEDULER),--scheduler $(SCHEDULER))

# Speed and scale measurements (benchmarks/README.md); prints the table, writes benchmarks/results.md.
bench: $(STAMP)
	$(PY) -m pip install --quiet -e '.[bench]' && $(PY) benchmarks/run_benchmarks.py

lab: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks/

# Re-pin: install pyproject.toml's ranges into a scratch environment, then write their exact versions to
# constraints.txt and environment.yml (scripts/lock.py). `make test` reinstalls from them.
# By default the packages already pinned keep their versions and only new dependencies are resolved (so adding
# a package does not move the committed numbers); `make lock UPGRADE=1` takes the newest versions of everything.
LOCK_VENV := build/lock-venv
lock:
	rm -rf $(LOCK_VENV)
	"$$(scripts/find_python.sh)" -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install --quiet --upgrade $(if $(UPGRADE),,-c constraints.txt) pip uv
	$(LOCK_VENV)/bin/python -m pip install --quiet $(if $(UPGRADE),,-c constraints.txt) -e '.[notebooks,test,docs]'
	$(LOCK_VENV)/bin/python scripts/lock.py
	rm -rf $(LOCK_VENV)

clean:
	rm -rf $(VENV) build .pytest_cache

# Reference fits from R (MASS::polr, ordinal::clm/clmm, metafor::rma) written to tests/fixtures/r_reference/
# (scripts/r_reference/make_fixtures.R). Installs R and the packages from Debian when missing (needs root);
# the tests read the committed fixtures and never need R.
R_PACKAGES := r-base-core r-cran-mass r-cran-ordinal r-cran-metafor
.PHONY: r-fixtures
r-fixtures:
	@if ! Rscript -e 'for (p in c("MASS", "ordinal", "metafor", "metadat")) library(p, character.only = TRUE)' >/dev/null 2>&1; then \
	  echo "Installing $(R_PACKAGES) with apt-get"; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $(R_PACKAGES); fi
	Rscript scripts/r_reference/make_fixtures.R tests/fixtures/r_reference

# The tutorial site: every notebook with its stored outputs (nothing re-executed), the README and the data
# codebooks, as static HTML in build/site/ (Sphinx + myst-nb; works offline). A Sphinx warning fails it.
# `make site-test` opens every page in headless Chromium (Debian's package, installed here when missing and
# root): no console error, every image and internal link loads; screenshots in build/site-screenshots/.
.PHONY: site site-test
site: $(STAMP)
	$(PY) docs/build_site.py

site-test: $(STAMP)
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; } || \
	  { echo "site-test needs Debian's chromium: apt-get install chromium (as root)"; exit 1; }
	$(PY) -m pytest tests/test_site.py -m browser -p no:xdist

# The package's default SRP fit against the same model in brms (benchmarks/brms_bench.py, benchmarks/brms_fit.R):
# installs R, brms and rstan from Debian when missing (needs root; Debian's Boost headers for Stan's C++);
# without them the benchmark fits the package alone and says brms was skipped.
BRMS_PACKAGES := r-base-core r-cran-brms r-cran-rstan r-cran-bh r-cran-rcppeigen r-cran-rcppparallel libboost-dev g++
.PHONY: bench-r
bench-r: $(STAMP)
	@if ! Rscript -e 'library(brms); library(rstan)' >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then echo "Installing $(BRMS_PACKAGES) with apt-get"; \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $(BRMS_PACKAGES); \
	  else echo "NOTE: R/brms missing and not root: brms will be skipped"; fi; fi
	$(PY) benchmarks/brms_bench.py $(BRMS_ARGS)
