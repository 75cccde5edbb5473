# jobtui — everything a developer or CI needs, from a clean clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RUNTIME_STAMP := $(VENV)/.installed-runtime

.PHONY: venv test lint demo bench soak clean

venv: $(STAMP)

# Re-install whenever pyproject.toml changes; creating the venv is idempotent.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,dev]'
	touch $(STAMP)

# The demo needs only the runtime: no test or dev extras before the first screen.
# A full install (the venv target) includes the runtime, so it satisfies this too.
$(RUNTIME_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	test -f $(STAMP) -a $(STAMP) -nt pyproject.toml || $(BIN)/python -m pip install --quiet -e .
	touch $(RUNTIME_STAMP)

# One worker per core. Work stealing: a worker that runs out takes pending tests
# from the other, so a few long tests at the end do not leave a core idle.
PYTEST_WORKERS ?= auto

# pytest exits 5 when it collected nothing: a broken checkout, never a pass.
# The suite starts hundreds of jobtui processes: compiled first, as an installed
# package is, none of them compiles every module again (PYTHONDONTWRITEBYTECODE
# or a read-only checkout would have each one do so).
test: venv
	@$(BIN)/python -m compileall -q jobtui bench >/dev/null
	@status=0; $(BIN)/python -m pytest -q -n $(PYTEST_WORKERS) --dist worksteal || status=$$?; \
	if [ $$status -eq 5 ]; then echo "make test: no tests were collected" >&2; fi; \
	exit $$status

lint: venv
	$(BIN)/ruff check jobtui tests
	$(BIN)/mypy jobtui
	$(BIN)/python -m pytest -q tests/test_layers.py

demo: $(RUNTIME_STAMP)
	$(BIN)/jobtui demo

bench: venv
	$(BIN)/python -m bench

soak: venv
	$(BIN)/python -m pytest -q -m slow

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
