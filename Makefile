# chdkptp front door. `make test` and `make demo` build their own virtual environment.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
# The demo needs only the simulator and image extras; the tests also need the dev tools and the
# independent peers (ptpy, libgphoto2).
DEMO_STAMP := $(VENV)/.demo-stamp

.PHONY: venv generate check-generated test test-only lint layering bench demo wheel-check clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,sim,image,peers]'
	@touch $(STAMP) $(DEMO_STAMP)

$(DEMO_STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[sim,image]'
	@touch $(DEMO_STAMP)

generate: $(STAMP)
	$(PY) -m codegen

check-generated: $(STAMP)
	@$(PY) -m codegen --check || { echo "generated/ is stale: run make generate"; exit 1; }

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m mypy
	$(PY) -m tests.layering

# The README's test command: lint, freshness of generated code, then the whole suite.
test: $(STAMP)
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory check-generated
	$(PY) -m pytest

test-only: $(STAMP)
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) -m bench

demo: $(DEMO_STAMP)
	$(PY) -m chdkptp.demo

wheel-check: $(STAMP)
	$(PY) -m tests.packaging_check

clean:
	rm -rf $(VENV) .cache build dist *.egg-info
