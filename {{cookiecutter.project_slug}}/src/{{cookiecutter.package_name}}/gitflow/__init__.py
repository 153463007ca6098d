"""The git-flow tier: the commit message rules that the `commit-msg` hook checks.

The branching model, the templates and the hook configuration are files in `.gitflow/`; this
package holds the one piece that is code, behind the `check-commit-message` command.
"""
