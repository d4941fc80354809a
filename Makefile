# The kit's commands. Each target builds .venv on first use; re-running is cheap.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test lab author release sync bench gpu-check lint clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/rnnlm demo

# tests/test_browser.py drives both JupyterLabs in headless Chromium (Debian's packages); where they
# are missing pytest skips it with the reason (-ra), and this says so first.
CHROMIUM     := /usr/bin/chromium
CHROMEDRIVER := /usr/bin/chromedriver

test: $(STAMP)
	@test -x $(CHROMIUM) -a -x $(CHROMEDRIVER) || echo "make test: no $(CHROMIUM) or $(CHROMEDRIVER):" \
	  "the browser tests (tests/test_browser.py) are skipped; apt-get install chromium chromium-driver"
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# JupyterLab for students on notebooks/, for instructors on solutions/: lab/run with the per-server
# configuration in lab/student/ or lab/author/ (your own Jupyter settings are left alone). Full-size
# notebooks; `make lab RNNLM_FAST=1` for fast mode. LAB_ARGS go to jupyter lab (e.g. --no-browser).
lab: $(STAMP)
	JUPYTER=$(abspath $(BIN))/jupyter lab/run student $(LAB_ARGS)

author: $(STAMP)
	JUPYTER=$(abspath $(BIN))/jupyter lab/run author $(LAB_ARGS)

release: $(STAMP)
	$(BIN)/rnnlm course release

# After editing solutions/NN_topic.py in an editor: write the paired notebook (jupytext keeps the
# one edited last, so this also takes a notebook saved outside JupyterLab back to its .py).
sync: $(STAMP)
	$(BIN)/jupytext --sync solutions/[0-9][0-9]_*.py

# Everything that needs CUDA, in one run of at most 8 minutes (log and JSON in build/gpu-check/);
# without CUDA it says so and exits 0.
gpu-check: $(STAMP)
	$(BIN)/python bench/gpu_check.py --out build/gpu-check

bench: $(STAMP)
	$(BIN)/python bench/ngram.py
	$(BIN)/python bench/rnn.py
	$(BIN)/python bench/grading.py

lint: $(STAMP)
	$(BIN)/ruff check lib tests bench autograder solutions notebooks
	$(BIN)/rnnlm course lint

clean:
	rm -rf $(VENV) build *.egg-info lib/*.egg-info .pytest_cache
