# Make targets of .gitflow/ (the project's Makefile includes every <folder>/*.mk).
GITFLOW_CONFIG := .gitflow/pre-commit-config.yaml

.PHONY: gitflow-install gitflow-check

# The PR and issue templates into .github/, the commit message template into git's config, and the
# git hooks (pre-commit, commit-msg, pre-push) through pre-commit, from its config in .gitflow/.
gitflow-install:
	mkdir -p .github/ISSUE_TEMPLATE
	cp .gitflow/github/PULL_REQUEST_TEMPLATE.md .github/PULL_REQUEST_TEMPLATE.md
	cp .gitflow/github/ISSUE_TEMPLATE/*.md .gitflow/github/ISSUE_TEMPLATE/config.yml .github/ISSUE_TEMPLATE/
	git config commit.template .gitflow/commit-template.txt
	$(BIN)/pre-commit install --config $(GITFLOW_CONFIG)

# Every pre-commit hook over every file, as CI would.
gitflow-check:
	$(BIN)/pre-commit run --config $(GITFLOW_CONFIG) --all-files
