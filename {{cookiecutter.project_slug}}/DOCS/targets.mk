# Make targets of DOCS/ (the project's Makefile includes every <folder>/*.mk).
.PHONY: docs docs-serve

# The site into build/docs/, strictly: a warning or a broken link fails it.
docs:
	$(CLI) docs

docs-serve:
	$(CLI) docs --serve
