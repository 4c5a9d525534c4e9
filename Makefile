# One entry point for people and CI. Every target first makes sure .venv exists with the package and its test extras.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# pytest on TEST_WORKERS processes (pytest-xdist), one torch thread each (tests/conftest.py). `make test` keeps a test
# module on one worker, so its module-scoped fixtures are built once; the slow group (no shared fixtures, a few long
# tests) spreads test by test, tests of one xdist_group (they share a module fixture) on one worker.
TEST_WORKERS ?= 2
PYTEST := $(PY) -m pytest tests -p no:cacheprovider -n $(TEST_WORKERS) --dist loadfile

.PHONY: install run test test-slow test-heavy bench tables repro reference matrix matrix-tables study study-tables clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/ganas-bench run --strategy rl --space autogan

test: $(STAMP)
	$(PYTEST) -m "not slow"

test-slow: $(STAMP)
	$(PYTEST) -m "slow and not heavy" --dist loadgroup

# Slow checks that do not fit CI's 15 minutes (a cold torch.compile on 2 torchrun ranks: ~2-3 min); run them after
# touching the trainer, compile or torchrun code.
test-heavy: $(STAMP)
	$(PYTEST) -m heavy --dist loadgroup

# Its JSON (BENCH_JSON) holds each unit's achieved GFLOP/s: `ganas-bench estimate --rate-from $(BENCH_JSON)` reads it.
BENCH_JSON ?= .benchmarks/latest.json
bench: $(STAMP)
	mkdir -p $(dir $(BENCH_JSON))
	$(PY) -m pytest benchmarks -p no:cacheprovider --benchmark-only --benchmark-json=$(BENCH_JSON)

# The benchmark matrix behind the README's results: its runs' records are committed under results/matrix/tiny (weights
# are not), so `make matrix` skips what is there and continues the rest. Ray's two one-thread workers beat one
# two-thread process on 2 cores (README: Scale); MATRIX_EXECUTOR=local needs no Ray.
MATRIX_EXECUTOR ?= ray
MATRIX_DIR ?= results/matrix/tiny
matrix: $(STAMP)
	$(BIN)/ganas-bench matrix --profile tiny --seeds 0-4 --results-dir $(MATRIX_DIR) --executor $(MATRIX_EXECUTOR)

matrix-tables: $(STAMP)
	$(BIN)/ganas-bench tables --runs-dir $(MATRIX_DIR) --out results/matrix/tables

# The proxy studies behind the README's proxy table: both spaces on tiny, 24 architectures x 2 training seeds each. Their
# records are committed under results/studies (weights are not), so `make study` skips what is there and continues
# the rest; `make study-tables` writes results/studies/readme_tiny.md from them.
STUDY_EXECUTOR ?= ray
study: $(STAMP)
	$(BIN)/ganas-bench study proxy --profile tiny --space autogan --n 24 --executor $(STUDY_EXECUTOR)
	$(BIN)/ganas-bench study proxy --profile tiny --space adversarialnas --n 24 --executor $(STUDY_EXECUTOR)
	$(BIN)/ganas-bench study tables

study-tables: $(STAMP)
	$(BIN)/ganas-bench study tables

tables: $(STAMP)
	$(BIN)/ganas-bench tables

clean:
	rm -rf $(VENV) build *.egg-info

repro: $(STAMP)
	$(BIN)/ganas-bench repro

reference: $(STAMP)
	$(BIN)/ganas-bench reference
