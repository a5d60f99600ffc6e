# The two commands a newcomer needs: `make run` and `make test`. Both set up what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# A database of its own for the benchmark, dropped and made again on each run.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/cset_bench
BENCH_ARGS ?=

.PHONY: run test setup migrate load serve lint check schema bench-benchmarks clean

run: migrate load serve  ## set up, load the real data, serve at http://127.0.0.1:8000/

test: $(VENV)/.installed-dev  ## set up and run the whole suite (SQLite, or DATABASE_URL)
	$(BIN)/pytest

setup: $(VENV)/.installed-dev

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(VENV)/bin/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed $@

migrate: $(VENV)/.installed
	mkdir -p var
	$(BIN)/python manage.py migrate --no-input

load: $(VENV)/.installed
	$(BIN)/python manage.py load_initial_data

serve: $(VENV)/.installed
	PORT=$(PORT) $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

check: $(VENV)/.installed-dev  ## what CI checks besides the tests
	mkdir -p var
	$(BIN)/ruff check .
	$(BIN)/python manage.py check
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python manage.py spectacular --validate --fail-on-warn --file var/openapi.yaml
	diff -u openapi.yaml var/openapi.yaml

schema: $(VENV)/.installed  ## regenerate the committed OpenAPI description
	mkdir -p var
	$(BIN)/python manage.py spectacular --validate --fail-on-warn --file openapi.yaml

bench-benchmarks: $(VENV)/.installed  ## time comparisons, scorecards, indicator pages on 25,000 places
	DATABASE_URL=$(BENCH_DATABASE_URL) BENCH_DATABASE_URL=$(BENCH_DATABASE_URL) \
		$(BIN)/python manage.py bench_benchmarks $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var
