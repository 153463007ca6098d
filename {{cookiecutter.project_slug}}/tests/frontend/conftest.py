"""Fixtures for the page's tests: its npm packages, its build, the API serving it, and a browser.

`npm ci` and the build run once per session (tens of seconds together); the browser tests share one
server and one Chromium. Without Node and npm, or without a Chromium, the tests that need them are skipped
with the reason (and fail under CI: see `system_program` in tests/conftest.py).
"""

import os
import subprocess
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
FRONTEND = PROJECT_ROOT / "frontend"
MAX_UPLOAD_BYTES = 200_000  # small, so that a test can send a file over the limit quickly
# A system browser's usual names (after $CHROMIUM_PATH and Playwright's own, see find_browser).
BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
BROWSER_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def npm(system_program):
    """`npm(*args, env=...)`: run npm in frontend/ and fail the test with its output if it fails."""
    program = system_program("npm", "the page's tests need Node.js 20.19 or newer with npm")

    def run(*args: str, env: dict[str, str] | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
        environment = {**os.environ, **(env or {})}
        result = subprocess.run(
            [program, *args], cwd=FRONTEND, capture_output=True, text=True, timeout=timeout, env=environment
        )
        assert result.returncode == 0, f"npm {' '.join(args)} failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
        return result

    return run


@pytest.fixture(scope="session")
def node_modules(npm) -> Path:
    """The page's npm packages, exactly as package-lock.json pins them (installed once per session)."""
    npm("ci", "--no-audit", "--no-fund")
    return FRONTEND / "node_modules"


@pytest.fixture(scope="session")
def built_page(npm, node_modules, tmp_path_factory) -> Path:
    """The page type-checked and built for production, into a folder of this session."""
    out = tmp_path_factory.mktemp("page") / "dist"
    npm("run", "build", "--", "--outDir", str(out), "--emptyOutDir")
    assert (out / "index.html").is_file()
    return out


@pytest.fixture(scope="session")
def page_server(serve_process, built_page) -> str:
    """`serve` with the tiny trained model and the built page: one origin for both, as in production.
    Uploads are limited to MAX_UPLOAD_BYTES."""
    flags = ["--serve-frontend", "--frontend-dist", str(built_page), "--max-upload-bytes", str(MAX_UPLOAD_BYTES)]
    with serve_process(*flags) as base_url:
        yield base_url


def find_browser(playwright, system_program) -> str:
    """$CHROMIUM_PATH, else Playwright's own Chromium when `playwright install chromium` fetched it,
    else a system Chromium or Chrome (Debian's `apt-get install chromium` is /usr/bin/chromium)."""
    if os.environ.get("CHROMIUM_PATH"):
        return os.environ["CHROMIUM_PATH"]
    if Path(playwright.chromium.executable_path).is_file():
        return playwright.chromium.executable_path
    how = "apt-get install chromium (or python -m playwright install chromium), or set CHROMIUM_PATH"
    return system_program(BROWSER_NAMES, how)


@pytest.fixture(scope="session")
def browser(system_program):
    """Headless Chromium driven by Playwright; without one, skipped with the way to get one (but
    failed under CI)."""
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        pytest.fail("playwright is not installed: pip install -e '.[dev]'", pytrace=False)

    with sync_playwright() as playwright:
        executable = find_browser(playwright, system_program)
        try:
            launched = playwright.chromium.launch(executable_path=executable, headless=True, args=BROWSER_FLAGS)
        except Error as error:
            pytest.fail(f"Chromium at {executable} did not start: {error}", pytrace=False)
        yield launched
        launched.close()


@pytest.fixture
def page(browser):
    """A fresh browser tab for each test, with its own storage."""
    context = browser.new_context(viewport={"width": 1024, "height": 900})
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture(scope="session")
def artefacts(tmp_path_factory) -> Path:
    """Where the browser tests leave what a person may want to look at (screenshots, measurements)."""
    return tmp_path_factory.mktemp("frontend-artefacts")
