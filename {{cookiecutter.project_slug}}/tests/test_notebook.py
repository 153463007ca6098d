"""Every notebook in notebooks/ runs from top to bottom, and is committed clean.

Cells are executed in order in one namespace, the way "Run all" does, without Jupyter: the notebook
is read as JSON and each code cell is compiled under a name that points at it, so a failure names
the notebook and the cell.
"""

import json
import linecache
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def read_notebook(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def source(cell: dict) -> str:
    text = cell["source"]
    return text if isinstance(text, str) else "".join(text)


def by_name(paths: list[Path]) -> list:
    return [pytest.param(path, id=path.name) for path in paths]


def test_the_project_ships_at_least_one_notebook():
    assert NOTEBOOKS, "notebooks/ holds no .ipynb file"


@pytest.mark.parametrize("notebook", by_name(NOTEBOOKS))
def test_notebook_is_nbformat_4_and_committed_without_outputs(notebook):
    content = read_notebook(notebook)
    assert content["nbformat"] == 4
    assert content["cells"], "the notebook has no cells"
    for number, cell in enumerate(content["cells"], 1):
        assert cell["cell_type"] in {"code", "markdown", "raw"}, f"cell {number}"
        assert isinstance(cell["source"], (str, list)), f"cell {number}"
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [], f"cell {number} has outputs: clear them before committing"
            assert cell["execution_count"] is None, f"cell {number} has an execution count"


@pytest.mark.slow
@pytest.mark.parametrize("notebook", by_name(NOTEBOOKS))
def test_every_code_cell_runs_in_order_in_one_namespace(notebook, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # notebooks write relative to where they run
    namespace = {"__name__": "__main__"}
    cells = [cell for cell in read_notebook(notebook)["cells"] if cell["cell_type"] == "code"]
    for number, cell in enumerate(cells, 1):
        code = source(cell)
        filename = f"<{notebook.name} code cell {number}>"
        # Registered so that a traceback shows the failing cell's lines, as Jupyter would.
        linecache.cache[filename] = (len(code), None, code.splitlines(keepends=True), filename)
        try:
            exec(compile(code, filename, "exec"), namespace)
        except Exception as error:
            raise AssertionError(f"{notebook.name}, code cell {number} raised {error!r}") from error
