"""Check every answer before cookiecutter writes a file, so a bad answer leaves nothing behind.

Cookiecutter renders this file with Jinja before running it; the only template expression is the
string literal in `main()`, so tests import this module raw and call `problems()` directly.
"""

import json
import keyword
import re
import sys

SUPPORTED_PYTHONS = ("3.10", "3.11", "3.12", "3.13")

# Import names a generated package must not take: it would hide the real module on sys.path.
SHADOWED_MODULES = frozenset(
    {
        "api",
        "conftest",
        "cv2",
        "fastapi",
        "httpx",
        "mlflow",
        "models",
        "numpy",
        "onnx",
        "onnxruntime",
        "pil",
        "pip",
        "pydantic",
        "pytest",
        "setuptools",
        "src",
        "starlette",
        "test",
        "tests",
        "torch",
        "torchvision",
        "tqdm",
        "uvicorn",
        "yaml",
    }
)

PACKAGE_RE = re.compile(r"[a-z_][a-z0-9_]*")
SLUG_RE = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")
EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
GITHUB_RE = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]{0,37}[A-Za-z0-9])?")
VERSION_RE = re.compile(r"\d+\.\d+\.\d+")


def _package_problem(name: str) -> str | None:
    if not PACKAGE_RE.fullmatch(name):
        return "must be a lowercase Python identifier (letters, digits, underscores)"
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        return "is a Python keyword"
    if name in sys.stdlib_module_names or name in SHADOWED_MODULES:
        return "would shadow an existing module of the same name; choose a more specific name"
    return None


def _name_problem(name: str) -> str | None:
    if not name.strip():
        return "must not be empty"
    if any(ch in name for ch in '"\\') or any(ord(ch) < 32 for ch in name):
        return "must not contain double quotes, backslashes or control characters"
    return None


def _image_size_problem(value) -> str | None:
    try:
        size = int(value)
    except (TypeError, ValueError):
        return "must be a whole number of pixels"
    if not 32 <= size <= 1024 or size % 32:
        return "must be a multiple of 32 between 32 and 1024"
    return None


def problems(answers: dict) -> list[str]:
    """One line per bad answer, naming the field, the value and what is allowed."""
    checks = {
        "project_name": _name_problem(answers["project_name"]),
        "project_slug": None
        if SLUG_RE.fullmatch(answers["project_slug"])
        else "must be lowercase letters and digits separated by single dashes, starting with a letter",
        "package_name": _package_problem(answers["package_name"]),
        "author_email": None if EMAIL_RE.fullmatch(answers["author_email"]) else "must look like name@example.com",
        "github_org": None
        if GITHUB_RE.fullmatch(answers["github_org"])
        else "must be a GitHub user or organisation name (letters, digits, dashes)",
        "version": None if VERSION_RE.fullmatch(answers["version"]) else "must be MAJOR.MINOR.PATCH, such as 0.1.0",
        "python_version": None
        if answers["python_version"] in SUPPORTED_PYTHONS
        else f"must be one of {', '.join(SUPPORTED_PYTHONS)}",
        "image_size": _image_size_problem(answers["image_size"]),
    }
    return [f"{field}={answers[field]!r} {reason}" for field, reason in checks.items() if reason]


def main() -> None:
    answers = json.loads(r"""{{ cookiecutter | tojson }}""")
    errors = problems(answers)
    for error in errors:
        print(f"ERROR: {error}", file=sys.stderr)
    if errors:
        sys.exit(1)


if __name__ == "__main__":
    main()
