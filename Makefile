# make demo: set up what is missing, run the default backtest (after its power audit), write a report.
# make test: set up what is missing, run the whole test suite.
.DEFAULT_GOAL := help
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# A Python >= 3.12 (pandas-ta needs it): python3.13, python3.12 on PATH, then pyenv's.
FIND_PYTHON = for p in python3.13 python3.12 \
	  $$(ls -d "$$(pyenv root 2>/dev/null || echo $$HOME/.pyenv)"/versions/3.1[23]*/bin/python 2>/dev/null | sort -V); do \
	  "$$p" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1 && { command -v "$$p"; exit 0; }; \
	done; exit 1

.PHONY: help setup demo test docs bench bench-peers browser mutants gpu clean

help:
	@echo "make demo   power-audit and run the S&P 500 single vs stacked LSTM backtest, write its report"
	@echo "make test   run the test suite"
	@echo "make docs   build the documentation site into docs/_build/html (offline)"
	@echo "make bench  time workload W1 against the tutorial-style reference"
	@echo "make bench-peers  W1 in forecast and in darts (builds benchmarks/.peers-venv once)"
	@echo "make mutants  mutation testing of the core modules (mutmut; MODULES=\"metrics data\" for some)"
	@echo "make setup  create .venv and install forecast with its test and docs tools"
	@echo "make gpu    swap the CPU TensorFlow in .venv for TensorFlow with CUDA (NVIDIA GPU)"

$(STAMP): pyproject.toml
	@if [ ! -x $(PY) ]; then \
	  py=$$($(FIND_PYTHON)) || { echo "error: forecast needs Python 3.12 or 3.13 (pandas-ta requires >= 3.12)." \
	    "Install one, e.g. 'pyenv install 3.12' or 'apt-get install python3.12 python3.12-venv', then run make again." >&2; exit 2; }; \
	  echo "creating $(VENV) with $$py ($$($$py --version))"; \
	  "$$py" -m venv $(VENV); \
	fi
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,docs]'
	@if [ -f $(VENV)/.gpu ]; then $(GPU_SWAP); fi
	@touch $(STAMP)

# TensorFlow with CUDA instead of the CPU wheel (Linux x86-64, NVIDIA driver). tensorflow and
# tensorflow-cpu put the same files in one place: install the GPU extra, drop tensorflow-cpu,
# then lay tensorflow's files down again (uninstalling the CPU wheel removed them). The
# marker .venv/.gpu keeps the swap when setup runs again.
GPU_SWAP = $(PY) -m pip install --quiet -e '.[dev,docs,gpu]' \
	&& $(PY) -m pip uninstall --quiet -y tensorflow-cpu \
	&& $(PY) -m pip install --quiet --force-reinstall --no-deps \
	  "tensorflow==$$($(PY) -c 'from importlib.metadata import version; print(version("tensorflow"))')"

gpu: $(STAMP)
	@touch $(VENV)/.gpu
	$(GPU_SWAP)
	$(PY) -c 'import tensorflow as tf; print("TensorFlow", tf.__version__, "GPUs:", tf.config.list_physical_devices("GPU") or "none found: check the NVIDIA driver (nvidia-smi)")'

setup: $(STAMP)

# The power audit first (kept after the first demo: --reuse), so the run's verdict can say
# what its recipe could have found on these prices.
demo: $(STAMP)
	$(VENV)/bin/forecast power backtests/sp500_single_vs_stacked.toml --reuse
	$(VENV)/bin/forecast run backtests/sp500_single_vs_stacked.toml

# Browser tests need Chromium; install Debian's when we can (root with apt-get).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing chromium for the browser tests"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "warning: could not install chromium; browser tests will be skipped" >&2; \
	  else echo "note: no chromium found; browser tests will be skipped (apt-get install chromium)" >&2; fi; }

test: $(STAMP) browser
	$(PY) -m pytest

# The site in docs/ (Sphinx, MyST Markdown, the API from the docstrings); strict, as
# tests/test_docs.py builds it: a warning or a broken reference fails (-E: every page is
# read again, so a warning is never hidden by an earlier build).
docs: $(STAMP)
	$(VENV)/bin/sphinx-build -E -W --keep-going -n -q -b html docs docs/_build/html
	@echo "the site: docs/_build/html/index.html"

bench: $(STAMP)
	$(PY) benchmarks/bench_w1.py

# Not part of make test: ~15 minutes on 2 cores. Works in build/mutants/, prints each
# module's score and the survivors; the last line is one JSON object.
mutants: $(STAMP)
	$(PY) tools/mutants.py $(MODULES)

# The peer (darts on PyTorch) lives in its own venv: Python 3.11 or 3.12. PyPI's default torch
# wheel on Linux is the CUDA build (GBs); PEERS_TORCH may name a CPU one, e.g.
# make bench-peers PEERS_TORCH="torch --index-url https://download.pytorch.org/whl/cpu"
PEERS := benchmarks/.peers-venv
PEERS_TORCH ?= torch==2.13.0
$(PEERS)/.installed: benchmarks/peers-requirements.txt
	@if [ ! -x $(PEERS)/bin/python ]; then \
	  py=$$(for p in python3.11 python3.12 python3; do \
	    "$$p" -c 'import sys; sys.exit(sys.version_info[:2] not in ((3, 11), (3, 12)))' \
	      >/dev/null 2>&1 && { command -v "$$p"; break; }; done); \
	  [ -n "$$py" ] || { echo "error: the darts bench needs Python 3.11 or 3.12" >&2; exit 2; }; \
	  echo "creating $(PEERS) with $$py ($$($$py --version))"; "$$py" -m venv $(PEERS); \
	fi
	$(PEERS)/bin/python -m pip install --quiet --upgrade pip
	$(PEERS)/bin/python -m pip install --quiet $(PEERS_TORCH)
	$(PEERS)/bin/python -m pip install --quiet -r benchmarks/peers-requirements.txt
	@touch $@

bench-peers: $(STAMP) $(PEERS)/.installed
	$(PY) benchmarks/bench_peers.py --python $(PEERS)/bin/python

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis docs/_build
