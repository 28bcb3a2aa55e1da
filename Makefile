# pyesx — every target sets up what it needs. `make run` boots a host, `make test` passes the suite.
PYTHON ?= $(shell tools/find-python.sh)
VENV := .venv
PY := $(VENV)/bin/python
PROTOS := $(shell find protos -name '*.proto')
GEN_STAMP := $(VENV)/.protos-stamp
ROOT ?= var/host
LISTEN ?= 127.0.0.1:8443

.PHONY: all venv protos check lint typecheck unit integration test run bench bench-quick clean

all: venv protos

$(VENV)/.installed: requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.lock
	# compat mode: a plain path .pth, no import-hook finder (10 ms off every process start)
	$(PY) -m pip install -q --no-deps --no-build-isolation -e . --config-settings editable_mode=compat
	touch $@

venv: $(VENV)/.installed

# Generated code is committed; this rebuilds it when a .proto changes.
$(GEN_STAMP): $(VENV)/.installed $(PROTOS) tools/genprotos.py
	$(PY) tools/genprotos.py --out .
	@# bytecode once, here: PYTHONDONTWRITEBYTECODE (set on these machines) would make every process recompile
	$(PY) -m compileall -q pyesx hostd vmkernel vmx clients > /dev/null
	touch $@

protos: $(GEN_STAMP)

# Fails when the committed generated code is stale.
check: venv
	$(PY) tools/genprotos.py --check

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: venv protos
	$(VENV)/bin/mypy

unit: venv protos
	$(PY) -m pytest tests/unit -q

integration: venv protos
	$(PY) -m pytest tests/integration -q

test: check lint typecheck
	$(PY) -m pytest tests -q

run: venv protos
	$(VENV)/bin/pyesx boot --root $(ROOT) --listen $(LISTEN)

bench: venv protos
	$(PY) -m bench --out BENCHMARKS.md

# a smoke run of every benchmark (fewer samples, smaller sizes; plots drawn in a temporary folder), not a measurement
bench-quick: venv protos
	$(PY) -m bench --quick

# the reliability campaign at full size (kill storm, host crash, storage faults, load): RELIABILITY.md
# (CHAOS_SEED=N repeats a run; CHAOS_SIZE=scaled runs the size `make test` runs)
.PHONY: chaos
chaos: venv protos
	$(PY) -m tests.chaos --out RELIABILITY.md

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache
