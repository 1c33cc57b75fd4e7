# Quick start:  make shell  (install + open the shell on the demo app)   make test  (run the suite)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: shell test bench corpus runtime wasi-table clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

shell: $(STAMP)
	$(BIN)/whamm-shell

# The suite in TEST_WORKERS pytest-xdist processes (the CI machine has 2 cores).
TEST_WORKERS ?= 2
test: $(STAMP)
	$(BIN)/python -m pytest -n $(TEST_WORKERS)

BENCHMARKS := codec frontend parse info sites instrument overhead callstack_profile output_costs shell_latency syscalls_overhead

# Every benchmark in turn, then the figures that have a target in one table (benchmarks/targets.py).
bench: $(STAMP)
	@summary=$$(mktemp); trap 'rm -f "$$summary"' EXIT; \
	for b in $(BENCHMARKS); do echo "== benchmarks/$$b.py"; \
	  WHAMM_BENCH_TARGETS="$$summary" $(BIN)/python benchmarks/$$b.py || exit 1; done; \
	echo "== targets"; $(BIN)/python benchmarks/targets.py "$$summary"

# Rebuild the committed C test programs (needs Debian's clang lld wasi-libc libclang-rt-dev-wasm32).
corpus:
	$(MAKE) -C tests/corpus

# Rebuild the committed instrumentation runtime (compiler/backend/runtime/runtime.wasm; needs clang, lld).
runtime:
	$(MAKE) -C compiler/backend/runtime

# Regenerate the wasi:p1 function table from Debian wasi-libc's wasi/api.h (compiler/events/wasi_p1.json).
wasi-table:
	$(PYTHON) -m compiler.events.gen_wasi

clean:
	rm -rf $(VENV) build *.egg-info
