# The kit's commands. Each target builds .venv on first use; re-running is cheap.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test lab release sync bench lint clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/rnnlm demo

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/

release: $(STAMP)
	$(BIN)/rnnlm course release

# After editing solutions/NN_topic.py in an editor: write the paired notebook (jupytext keeps the
# one edited last, so this also takes a notebook saved outside JupyterLab back to its .py).
sync: $(STAMP)
	$(BIN)/jupytext --sync solutions/[0-9][0-9]_*.py

bench: $(STAMP)
	$(BIN)/python bench/ngram.py
	$(BIN)/python bench/rnn.py
	$(BIN)/python bench/grading.py

lint: $(STAMP)
	$(BIN)/ruff check lib tests bench autograder solutions notebooks
	$(BIN)/rnnlm course lint

clean:
	rm -rf $(VENV) build *.egg-info lib/*.egg-info .pytest_cache
