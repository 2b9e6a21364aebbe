# The two commands of the README, and the steps they are made of.
#   make verify   set up this machine (Docker engine, tools) and run every block of the guide, strictly
#   make docs     build the guide's HTML, marked with what the last verification run proved
PYTHON ?= python3
TOX = $(PYTHON) -m tox

.PHONY: verify docs page tools host

verify: host tools
	GUIDE_STRICT=1 $(TOX) -e docs-verify
	$(TOX) -e reader-path

docs: tools
	bash scripts/setup-host.sh docs
	$(TOX) -e docs

# One page, fast: make page PAGE=source/secrets.md
page: tools
	$(TOX) -e page -- $(PAGE)

tools:
	@$(PYTHON) -m tox --version >/dev/null 2>&1 || $(PYTHON) -m pip install -q 'tox>=4.11'

host:
	bash scripts/setup-host.sh
