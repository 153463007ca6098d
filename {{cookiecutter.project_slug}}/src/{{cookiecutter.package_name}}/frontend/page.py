"""The built page at `/`: `index.html` at the root and Vite's content-hashed files under `/assets`.

Two routes, not a catch-all mount at `/`: a mount there would answer every path, and shadow the
API routes that other extensions add after this one. Neither appears in the OpenAPI contract.
"""

import logging
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from starlette.staticfiles import StaticFiles

log = logging.getLogger(__name__)
ASSETS = "assets"
# The page's own Content-Security-Policy: its scripts, styles and API calls come from this origin
# only; previews are blob: URLs. Set here, so that a stricter API-wide policy (the security tier's
# `default-src 'none'`, right for JSON) does not blank the page: such middleware keeps it.
PAGE_CSP = (
    "default-src 'self'; img-src 'self' blob: data:; object-src 'none'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)


class HashedAssets(StaticFiles):
    """Vite names every built file after its content, so a browser may keep each one for a year."""

    def file_response(self, *args, **kwargs):
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response


def mount_page(app: FastAPI, folder: Path) -> None:
    index = folder / "index.html"

    @app.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        # Always asked again: a new build changes the asset names it points to.
        return FileResponse(index, headers={"Cache-Control": "no-cache", "Content-Security-Policy": PAGE_CSP})

    if (folder / ASSETS).is_dir():
        app.mount(f"/{ASSETS}", HashedAssets(directory=folder / ASSETS), name="page-assets")
    log.info("serving the web page from %s at /", folder)
