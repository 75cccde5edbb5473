# jobtui — everything a developer or CI needs, from a clean clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv test lint demo bench soak clean

venv: $(STAMP)

# Re-install whenever pyproject.toml changes; creating the venv is idempotent.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,dev]'
	touch $(STAMP)

test: venv
	$(BIN)/python -m pytest -q

lint: venv
	$(BIN)/ruff check jobtui tests
	$(BIN)/mypy jobtui
	$(BIN)/python -m pytest -q tests/test_layers.py

demo: venv
	$(BIN)/jobtui demo

bench: venv
	$(BIN)/python -m bench

soak: venv
	$(BIN)/python -m pytest -q -m slow

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
