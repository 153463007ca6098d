"""The frontend's serve settings: which browser origins may call the API, and where the built page is.

Light on purpose: the command line reads this class to build `serve`'s flags before anything heavy
is imported (see the core's settings.py for how flags, environment variables and defaults mix).
"""

import dataclasses
from pathlib import Path
from urllib.parse import urlsplit

from ..settings import Settings, SettingsError, setting

# src/<package>/frontend/settings.py -> the project that holds it (when run from a checkout).
PROJECT_ROOT = Path(__file__).resolve().parents[3]
BUILT_PAGE = Path("frontend") / "web" / "dist"


def check_origin(origin: str) -> None:
    """An origin as a browser sends it: `scheme://host[:port]`, nothing after it, and never `*`."""
    if origin == "*":
        raise SettingsError(
            "cors_origins='*' would let every website call this API from its visitors' browsers; name the origins"
        )
    parts = urlsplit(origin)
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or origin.rstrip("/") != f"{parts.scheme}://{parts.netloc}"
    ):
        raise SettingsError(
            f"cors_origins: {origin!r} is not an origin; write scheme://host[:port] with nothing after it, "
            "e.g. http://localhost:5173"
        )
    if origin.endswith("/"):
        raise SettingsError(f"cors_origins: {origin!r} ends with a slash, which no browser sends; drop it")


@dataclasses.dataclass(frozen=True)
class FrontendSettings(Settings):
    """`serve --cors-origins ...`, `CORS_ORIGINS=...`, or `create_app(cors_origins=(...))`."""

    cors_origins: tuple[str, ...] = setting(
        (),
        "browser origins allowed to call the API, e.g. http://localhost:5173 (none: no CORS headers; never *)",
        "CORS_ORIGINS",
    )
    frontend_dist: Path | None = setting(
        None, "the built web page to serve at / (none: frontend/web/dist of this project, once built)", "FRONTEND_DIST"
    )
    serve_frontend: bool = setting(True, "serve the built web page at / when there is one", "SERVE_FRONTEND")

    def __post_init__(self) -> None:
        super().__post_init__()
        for origin in self.cors_origins:
            check_origin(origin)

    def page_folder(self) -> Path | None:
        """The folder of the page to serve, or None. A folder named on purpose must hold a built page;
        the project's own is served only once `npm run build` has made it."""
        if not self.serve_frontend:
            return None
        if self.frontend_dist is not None:
            if not (self.frontend_dist / "index.html").is_file():
                raise SettingsError(
                    f"frontend_dist={str(self.frontend_dist)!r} holds no index.html: build the page "
                    "(npm run build in frontend/) or point FRONTEND_DIST at its dist folder"
                )
            return self.frontend_dist
        default = PROJECT_ROOT / BUILT_PAGE
        is_checkout = (PROJECT_ROOT / "pyproject.toml").is_file()
        return default if is_checkout and (default / "index.html").is_file() else None
