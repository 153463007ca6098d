"""The seam holds: the core never imports a tier, no modules import each other in a circle, and the
command line answers `--help`, bad arguments and bad configs without loading the heavy libraries."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }} import extensions

PACKAGE = "{{ cookiecutter.package_name }}"
SOURCE = Path(__file__).resolve().parents[1] / "src" / PACKAGE
HEAVY = ("torch", "torchvision", "fastapi", "cv2", "onnxruntime")


def module_of(path: Path) -> str:
    parts = path.relative_to(SOURCE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_package(module: str) -> bool:
    return (SOURCE.parent / module.replace(".", "/") / "__init__.py").is_file()


def imports_of(path: Path) -> set[str]:
    """Every module of the package that `path` imports, at module level or inside a function."""
    here = module_of(path)
    base = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.split(".")[0] == PACKAGE)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = base.rsplit(".", node.level - 1)[0] if node.level > 1 else base
                target = f"{anchor}.{node.module}" if node.module else anchor
            elif node.module and node.module.split(".")[0] == PACKAGE:
                target = node.module
            else:
                continue
            # `from . import settings` imports a submodule; `from .x import name` imports module x
            submodules = [f"{target}.{alias.name}" for alias in node.names if is_package(target)]
            found.update(m for m in submodules if (SOURCE.parent / m.replace(".", "/")).with_suffix(".py").exists())
            found.add(target)
    return found - {here}


def import_graph() -> dict[str, set[str]]:
    return {module_of(path): imports_of(path) for path in SOURCE.rglob("*.py")}


def is_tier_module(module: str) -> bool:
    return any(
        module == f"{PACKAGE}.{name}" or module.startswith(f"{PACKAGE}.{name}.") for name in extensions.INSTALLED
    )


def test_the_walk_sees_imports_inside_functions_and_relative_imports():
    graph = import_graph()
    assert f"{PACKAGE}.training.train" in graph[f"{PACKAGE}.commands.train"]  # imported inside run_train
    assert f"{PACKAGE}.extensions" in graph[f"{PACKAGE}.config"]  # `from . import extensions`


def test_no_core_module_imports_a_tier_module():
    offences = {
        module: sorted(filter(is_tier_module, imported))
        for module, imported in import_graph().items()
        if not is_tier_module(module) and any(map(is_tier_module, imported))
    }
    assert offences == {}, "the core reaches a tier only through extensions.py"


def test_no_modules_import_each_other_in_a_circle():
    graph = import_graph()
    state: dict[str, str] = {}

    def visit(module: str, path: list[str]) -> list[str] | None:
        state[module] = "open"
        for target in sorted(graph.get(module, ())):
            if state.get(target) == "open":
                return [*path, module, target]
            if target not in state and (circle := visit(target, [*path, module])):
                return circle
        state[module] = "done"
        return None

    for module in sorted(graph):
        if module not in state and (circle := visit(module, [])):
            start = circle.index(circle[-1])
            pytest.fail("import circle: " + " -> ".join(circle[start:]))


def test_every_installed_extension_loads_light_and_is_named_after_its_subpackage():
    assert [extension.name for extension in extensions.installed()] == list(extensions.INSTALLED)
    for name in extensions.INSTALLED:
        assert (SOURCE / name / "extension.py").is_file()


def heavy_modules_after(code: str, env: dict[str, str]) -> list[str]:
    """The heavy libraries a fresh interpreter has imported after running `code`."""
    report = f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    probe = f"import sys\ntry:\n{code}\nexcept SystemExit:\n    pass\n{report}"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    return eval(result.stdout.strip().splitlines()[-1])


def help_of(*words: str) -> str:
    return f"    from {PACKAGE}.cli import main\n    main({[*words, '--help']!r})"


def test_help_of_the_command_line_and_of_every_command_imports_no_heavy_library(package_env):
    from {{ cookiecutter.package_name }}.cli import build_parser

    commands = build_parser()._subparsers._group_actions[0].choices
    for words in [(), *((name,) for name in commands)]:
        assert heavy_modules_after(help_of(*words), package_env) == [], f"{' '.join(words) or 'the top level'} --help"


def test_argument_and_config_errors_are_reported_before_any_heavy_import(project_root, package_env):
    config = project_root / "configs" / "default.yaml"
    bad_argument = f"    from {PACKAGE}.cli import main\n    main(['predict', 'images/'])"
    arguments = ["train", "--config", str(config), "--set", "train.epochs=zero"]
    bad_config = f"    from {PACKAGE}.cli import main\n    main({arguments!r})"
    assert heavy_modules_after(bad_argument, package_env) == []
    assert heavy_modules_after(bad_config, package_env) == []


def test_emit_tells_every_listener_and_a_failing_listener_never_stops_the_others(monkeypatch, caplog):
    heard = []

    def broken(event, details):
        raise RuntimeError("listener down")

    listeners = (
        extensions.Extension("broken", on_event=broken),
        extensions.Extension("ear", on_event=lambda event, details: heard.append((event, dict(details)))),
    )
    monkeypatch.setattr(extensions, "installed", lambda: listeners)
    extensions.emit("model_promoted", name="shapes", version="2")
    assert heard == [("model_promoted", {"name": "shapes", "version": "2"})]
    assert "broken failed to handle event model_promoted" in caplog.text


def test_a_finished_training_run_is_announced_with_its_result(make_config, monkeypatch):
    from {{ cookiecutter.package_name }}.training.train import train

    heard = []
    listener = extensions.Extension("ear", on_event=lambda event, details: heard.append((event, dict(details))))
    monkeypatch.setattr(extensions, "installed", lambda: (listener,))
    result = train(make_config())
    [(event, details)] = heard
    assert event == "training_finished"
    assert details == {"best_accuracy": result.best_accuracy, "epochs": 1, "output_dir": str(result.output_dir)}
