# The two commands of the README, and the steps they are made of.
#   make verify   set up this machine (Docker engine, tools) and run every block of the guide, strictly
#   make docs     build the guide's HTML, marked with what the last verification run proved
#   make canary   verify the guide against MeshHook's newest commit (or CANARY_REF) without changing it;
#                 lists the blocks that would break in build/canary/summary.md. PAGES= narrows it.
PYTHON ?= python3
TOX = $(PYTHON) -m tox

.PHONY: verify docs page canary scaling drills tools host

# The reader path and the HTML build need what docs-verify installs, so they run in its environment
# (tox exec) instead of in copies of it that tox would make and fill again (about 30 s each).
IN_GUIDE_ENV = $(TOX) exec -e docs-verify --

verify: host tools
	GUIDE_STRICT=1 $(TOX) -e docs-verify
	GUIDE_STRICT=1 $(IN_GUIDE_ENV) python -m guidecheck.readerpath

docs: tools
	bash scripts/setup-host.sh docs
	$(IN_GUIDE_ENV) sphinx-build -W --keep-going -n -b html -c . source build/html

# One page, fast: make page PAGE=source/secrets.md. tox makes the page env (again, afresh, when
# pyproject.toml or tox.ini change); the page then runs in it directly, without tox's own start-up
# (about half a second: more than a page of hermetic blocks takes).
PAGE_ENV = .tox/page
page: $(PAGE_ENV)/.made
	$(PAGE_ENV)/bin/python -m pytest -p no:xdist --junitxml=build/verify/junit.xml $(or $(PAGE),source)

$(PAGE_ENV)/.made: pyproject.toml tox.ini
	@$(MAKE) --no-print-directory tools
	$(TOX) -r -e page --notest
	touch $@

canary: host tools
	$(TOX) -e canary -- $(PAGES)

# The scaling page's measurements at full length (a verification run sends 2,000 requests a
# measurement; this sends 20,000 with 50 senders). Its report, with the recorded numbers, goes to
# build/scaling/report.json.
scaling: host $(PAGE_ENV)/.made
	REQUESTS=20000 CONCURRENCY=50 $(PAGE_ENV)/bin/python -m pytest -p no:xdist \
		--guide-report=build/scaling/report.json source/operations/scaling.md

# The operate chapter's drills at full length: the upgrade's blue/green switches and the security page's
# two rotations with eight webhook senders at once (a verification run uses one), so that the web
# containers' connection pools grow during each change. Its report goes to build/drills/report.json.
drills: host $(PAGE_ENV)/.made
	SENDERS=8 $(PAGE_ENV)/bin/python -m pytest -p no:xdist \
		--guide-report=build/drills/report.json source/operations/upgrade.md source/operations/security.md

tools:
	@$(PYTHON) -c 'import importlib.util, sys; sys.exit(importlib.util.find_spec("tox") is None)' \
		|| $(PYTHON) -m pip install -q 'tox>=4.11'

host:
	bash scripts/setup-host.sh
