# Two commands for a new user: `make report` and `make test` (see README.md).
# Needs only python3 (3.11+) and make; everything else goes into .venv.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
AS_OF  ?= latest

.PHONY: report example test bench sample lint clean help

help:
	@echo "make report  - set up .venv and run the monthly job on the shipped sample data"
	@echo "make example - the real examples: GSO 2024 monthly figures (reports as of Mar/Jun/Sep vs December); Viet Nam's five-year plans 2021-2025 and 2026-2030 (term review)"
	@echo "make test    - set up .venv if needed and run the whole test suite"
	@echo "make bench   - run the benchmarks (speed and memory, with ratios)"
	@echo "make sample  - regenerate the synthetic sample data in data/sample/"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed, found " + sys.version.split()[0]'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (kpi)" >/dev/null
	touch $(STAMP)

report: $(STAMP)
	$(BIN)/kpi run --as-of $(AS_OF)

example: $(STAMP)
	$(BIN)/kpi example --out build/example

# Two workers (the machine has 2 cores); a file's tests stay together (nbval runs a
# notebook's cells in order in one kernel). TEST_ARGS narrows it: make test TEST_ARGS=tests/test_x.py
test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadfile $(TEST_ARGS)

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py $(BENCH)

sample: $(STAMP)
	$(BIN)/python -m kpi_lib.inputs.sample

lint: $(STAMP)
	$(BIN)/ruff check kpi_lib tests benchmarks

clean:
	rm -rf $(VENV) reports build .pytest_cache
