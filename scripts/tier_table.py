"""Write the README's tier table from the tier table in cookiecutter.json: `make docs`.

The table in cookiecutter.json (`_tiers`) is the one list of tiers; the README shows it, rendered
here between two markers, and tests/test_docs.py fails when the README is not what this renders.
"""

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
START = "<!-- tier table: rendered from cookiecutter.json by scripts/tier_table.py (make docs) -->"
END = "<!-- end of tier table -->"


def render(table: list[dict]) -> str:
    lines = ["| tier | phase | adds | still planned |", "| --- | --- | --- | --- |"]
    for entry in table:
        adds = [f"`{folder}/`: {what}" for folder, what in entry["folders"].items()]
        adds += [f"`src/<package>/{name}/`" for name in entry["packages"]]
        planned = [f"`{folder}/`: {what}" for folder, what in entry["planned"].items()]
        lines.append(f"| {entry['tier']} | {entry['phase']} | {'; '.join(adds)} | {'; '.join(planned)} |")
    return "\n".join([START, *lines, END])


def rendered_readme(text: str, table: list[dict]) -> str:
    """`text` with the part between the markers replaced by the rendered table."""
    before, found, rest = text.partition(START)
    if not found or END not in rest:
        raise ValueError(f"{README.name} lacks the tier table markers")
    return before + render(table) + rest.partition(END)[2]


def main() -> int:
    table = json.loads((ROOT / "cookiecutter.json").read_text())["_tiers"]
    text = README.read_text()
    updated = rendered_readme(text, table)
    if updated != text:
        README.write_text(updated)
        print(f"{README.name}: tier table updated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
