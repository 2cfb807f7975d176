# mig — common tasks. `make test` and `make demo` set everything up from nothing.
PY      ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install test lint bench demo clean select FORCE

install: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check mig_cli tests scripts
	$(BIN)/ruff format --check mig_cli tests scripts

bench: $(STAMP)
	$(BIN)/python scripts/bench_sample.py

demo: $(STAMP)
	bash scripts/demo.sh

clean:
	rm -rf $(VENV) build demo-out .pytest_cache

# Reproducible runs from a config: `make select CONFIG=configs/demo.toml`. File targets, and each
# stage depends on its own [section] of the config (a stamp rewritten only when that section
# changes), so a re-run after a change redoes only the stale stages.
CONFIG ?= configs/demo.toml
RUN    := $(shell $(PY) scripts/config_value.py $(CONFIG) run.out_dir 2>/dev/null || echo run-out)
POOL   := $(shell $(PY) scripts/config_value.py $(CONFIG) run.pool 2>/dev/null || echo data/sample-pool.jsonl)
STAGES := tag score build-graph sample

$(foreach s,$(STAGES),$(RUN)/.$(s).cfg): FORCE
	@$(PY) scripts/config_value.py $(CONFIG) --stamp $(patsubst $(RUN)/.%.cfg,%,$@) $@

$(RUN)/tagged.jsonl: $(POOL) $(RUN)/.tag.cfg | $(STAMP)
	$(BIN)/mig tag $(POOL) -o $@ --config $(CONFIG)
$(RUN)/annotated.jsonl: $(RUN)/tagged.jsonl $(RUN)/.score.cfg
	$(BIN)/mig score $< -o $@ --config $(CONFIG)
$(RUN)/graph/meta.json: $(RUN)/annotated.jsonl $(RUN)/.build-graph.cfg
	$(BIN)/mig build-graph $< -o $(RUN)/graph --config $(CONFIG)
$(RUN)/subset.jsonl: $(RUN)/annotated.jsonl $(RUN)/graph/meta.json $(RUN)/.sample.cfg
	$(BIN)/mig sample $< --graph $(RUN)/graph -o $@ --ranking $(RUN)/ranking.csv --config $(CONFIG)

select: $(RUN)/subset.jsonl
	$(BIN)/mig stats $(RUN)/annotated.jsonl $(RUN)/subset.jsonl --graph $(RUN)/graph

FORCE:
