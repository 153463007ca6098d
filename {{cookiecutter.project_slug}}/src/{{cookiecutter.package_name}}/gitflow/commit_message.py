"""The commit message rules of this project (.gitflow/COMMITS.md), checked without git or network.

    <type>(<optional scope>)<optional !>: <what the commit does, imperative, no final period>
    <blank line>
    <optional body: why, wrapped at 100 columns; URLs may run longer>

Merges, reverts and `fixup!`/`squash!` commits made by git itself pass as they are.
"""

import re

TYPES = {
    "feat": "a new capability for users of the project",
    "fix": "a bug fix",
    "data": "a change of datasets, their manifests or the data pipeline",
    "model": "a change of the model, its training config or a promoted version",
    "perf": "faster or leaner, same behaviour",
    "refactor": "code restructured, same behaviour",
    "docs": "documentation only",
    "test": "tests only",
    "build": "packaging, dependencies, Docker images",
    "ci": "CI workflows",
    "chore": "anything else that changes no behaviour (tooling, housekeeping)",
    "revert": "undoes an earlier commit",
}
SUBJECT_MAX = 72
BODY_MAX = 100
SCISSORS = "# ------------------------ >8 ------------------------"
_SUBJECT = re.compile(r"^(?P<type>[a-z]+)(?:\((?P<scope>[a-z0-9][a-z0-9._/-]*)\))?(?P<breaking>!)?: (?P<text>\S.*)$")
_GIT_MADE = re.compile(r"^(Merge |Revert \"|fixup! |squash! |amend! )")


def message_lines(raw: str) -> list[str]:
    """The message as git will store it: comment lines and everything below the scissors removed."""
    lines = []
    for line in raw.splitlines():
        if line.startswith(SCISSORS):
            break
        if not line.startswith("#"):
            lines.append(line.rstrip())
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return lines


def problems(raw: str) -> list[str]:
    """What is wrong with a commit message; empty when it follows the rules."""
    lines = message_lines(raw)
    if not lines:
        return ["the message is empty"]
    subject = lines[0]
    if _GIT_MADE.match(subject):
        return []
    found = []
    match = _SUBJECT.match(subject)
    if not match:
        found.append(
            f"the subject {subject!r} is not '<type>(<scope>): <what it does>', e.g. 'fix(api): reject empty uploads'"
        )
    elif match["type"] not in TYPES:
        found.append(f"unknown type {match['type']!r}: use one of {', '.join(TYPES)}")
    elif match["text"].endswith("."):
        found.append("the subject ends with a period")
    if len(subject) > SUBJECT_MAX:
        found.append(f"the subject is {len(subject)} characters long; keep it to {SUBJECT_MAX}")
    if len(lines) > 1 and lines[1]:
        found.append("the second line must be blank: it separates the subject from the body")
    for number, line in enumerate(lines[2:], start=3):
        if len(line) > BODY_MAX and "://" not in line:
            found.append(f"line {number} is {len(line)} characters long; wrap the body at {BODY_MAX}")
    return found
