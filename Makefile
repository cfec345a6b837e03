# Two commands on a fresh machine: `make run` and `make test`.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
INDEX ?= index

AXE := .cache/axe/node_modules/axe-core/axe.min.js

.PHONY: run test install install-test browser axe solr-launcher dictionaries bench bench-speed clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when setup.cfg changes (stamp files).
$(VENV)/.installed: setup.cfg | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: setup.cfg | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,semantic]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# Debian's chromium for the browser tests (no browser download is possible here).
browser:
	@test -x /usr/bin/chromium || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || echo "warning: could not install chromium; browser tests will fail"; }

# The local SolrCloud of the Solr tests (solr/launcher): a jar and its dependencies in
# solr/launcher/target/lib, rebuilt when the pom or the sources change; Maven's cache (~/.m2)
# is reused between runs. Without Java 17 or Maven the Solr tests fail under CI=true.
LAUNCHER_JAR := solr/launcher/target/solr-launcher.jar
$(LAUNCHER_JAR): solr/launcher/pom.xml $(shell find solr/launcher/src -type f 2>/dev/null)
	@command -v mvn >/dev/null && command -v java >/dev/null || { \
	  echo "installing Java 17 and Maven for the Solr tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    openjdk-17-jdk-headless maven >/dev/null) \
	  || echo "warning: could not install Java/Maven; the Solr tests will fail"; }
	@if command -v mvn >/dev/null; then \
	  mvn -B -q -f solr/launcher/pom.xml package -DskipTests && touch $@; \
	else echo "warning: no mvn, $@ not built"; fi

solr-launcher: $(LAUNCHER_JAR)

# Debian's FreeDict English-Arabic dictionaries: words translated across languages (search/crossling.py).
DICTS := dict-freedict-eng-ara dict-freedict-ara-eng
dictionaries:
	@test -f /usr/share/dictd/freedict-eng-ara.index -a -f /usr/share/dictd/freedict-ara-eng.index || { \
	  echo "installing Debian's $(DICTS) for cross-lingual matching"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DICTS) >/dev/null) \
	  || echo "warning: could not install $(DICTS); words will not be translated across languages"; }

# axe-core from the npm registry for the accessibility tests (tests/test_accessibility.py).
$(AXE):
	@command -v npm >/dev/null || { \
	  echo "installing npm for the accessibility check"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null) \
	  || echo "warning: could not install npm; the accessibility tests will fail"; }
	npm install --prefix .cache/axe --no-save --no-audit --no-fund --silent 'axe-core@>=4.10 <5' \
	  || echo "warning: could not install axe-core; the accessibility tests will fail"

axe: $(AXE)

run: install
	$(BIN)/python -m web --host $(HOST) --port $(PORT) --index $(INDEX) --build-from seeds

test: install-test browser axe dictionaries solr-launcher
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Benchmarks print tables; they are not tests. bench-speed takes about an hour on the full corpora.
bench: install-test
	$(BIN)/python bench/relevance.py

bench-speed: install-test
	$(BIN)/python bench/run_all.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .cache solr/launcher/target
