# One command sets up and runs the app, one sets up and runs every test (see README.md).
# Each creates .venv and installs everything the first time (and again when pyproject.toml changes).

VENV   ?= .venv
PYTHON ?= python3
# The torch build pinned here is on this project's machines' local disk; others work too (see README).
TORCH  ?= torch==2.14.1 torchvision==0.29.1
PY     := $(VENV)/bin/python

.PHONY: setup app test test-fast lint browser benchmark clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet $(TORCH)
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

app: setup
	$(PY) app.py

# ruff, and the import contract: each layer imports only the layers below it, no cycles (docs/layout.md).
lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m pytest -q -p no:cacheprovider tests/test_layers.py

# The browser test drives Debian's Chromium; install it when missing (needs root, as in CI).
browser:
	@command -v chromium >/dev/null || command -v /usr/bin/chromium >/dev/null || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

test: setup browser lint
	OMP_NUM_THREADS=2 $(PY) -m pytest -ra

# The inner loop: everything but the end-to-end tests (app server, browser, training processes).
test-fast: setup lint
	OMP_NUM_THREADS=2 $(PY) -m pytest -q -m "not slow"

benchmark: setup
	$(VENV)/bin/ganmap benchmark --data ../shared/data/celeba/val --out results/benchmark.json \
		--markdown results/benchmark.md --figure results/figure3.png

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
