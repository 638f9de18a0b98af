# Alignment Workbook: `make` lists the targets.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
QUARTER ?=
JOBS ?=
EXPORT ?=
FORCE ?=

.DEFAULT_GOAL := help
.PHONY: help install reports test lint format lab workshop sample clean

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-10s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3" > /dev/null
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install the project with its dev tools

reports: $(STAMP) ## Render the sample's HTML reports into reports/ (QUARTER=, JOBS=, EXPORT=csv|xlsx, FORCE=1)
	$(BIN)/workbook reports $(if $(QUARTER),--quarter $(QUARTER)) $(if $(JOBS),--jobs $(JOBS)) \
		$(if $(EXPORT),--export $(EXPORT)) $(if $(FORCE),--force)

test: $(STAMP) ## Run the whole test suite, lint included
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

lint: $(STAMP) ## Lint and check formatting (code and notebooks)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP) ## Format code and notebooks in place
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Jupyter refuses to run as root without --allow-root (e.g. in a container): given only then.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

lab: $(STAMP) ## JupyterLab on 127.0.0.1 with the project's kernel, at the getting-started notebook (PORT=; works as root too)
	$(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.root_dir=. $(if $(PORT),--ServerApp.port=$(PORT)) \
		$(ALLOW_ROOT) notebooks/explore/00_getting_started.ipynb

workshop: $(STAMP) ## Serve the training exercises with Voila on 127.0.0.1 (SESSION=, PORT=)
	$(BIN)/workbook workshop $(if $(SESSION),--session "$(SESSION)") $(if $(PORT),--port $(PORT))

sample: $(STAMP) ## Regenerate the bundled sample data in data/sample
	$(BIN)/workbook sample --out data/sample

clean: ## Remove rendered reports, caches and the virtual environment
	find reports -mindepth 1 ! -name README.md -exec rm -rf {} +
	rm -rf .pytest_cache .ruff_cache .hypothesis $(VENV)
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
