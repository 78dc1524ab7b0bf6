# The two quick-start commands: `make dashboard` and `make test`. Each builds its own virtual
# environment from pyproject.toml on first use, so a fresh clone needs nothing but Python 3.11.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 8501

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-dashboard: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dashboard]'
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dashboard,test]'
	touch $@ $(VENV)/.installed-dashboard

.PHONY: dashboard test lint bench schema
dashboard: $(VENV)/.installed-dashboard
	$(BIN)/streamlit run dashboard/app.py --server.port $(PORT) --server.headless true

test: $(VENV)/.installed-test
	$(BIN)/ruff check sim dashboard tests benchmarks scripts
	$(BIN)/python -m pytest -n 2 --dist loadfile -q

bench: $(VENV)/.installed-test
	$(BIN)/python benchmarks/bench_incident.py
	$(BIN)/python benchmarks/bench_year.py

schema: $(VENV)/.installed-test
	$(BIN)/hasim schema --out schema
