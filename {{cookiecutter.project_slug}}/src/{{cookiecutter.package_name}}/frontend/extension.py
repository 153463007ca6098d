"""The frontend's part of the seam: CORS for the origins the settings name, and the built page at
`/` when there is one. Imports nothing heavy: FastAPI loads only when the app is built."""

import argparse
from collections.abc import Mapping
from typing import Any

from .. import settings
from ..extensions import Extension
from .settings import FrontendSettings


def add_commands(commands: argparse._SubParsersAction) -> None:
    settings.add_flags(commands.choices["serve"], FrontendSettings)


def setup_api(app: Any, options: Mapping[str, Any]) -> None:
    given = settings.load(FrontendSettings, options)
    if given.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        from ..api.dependencies import REQUEST_ID_HEADER
        from ..api.routers.predict import VARIANT_HEADER

        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(given.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=[REQUEST_ID_HEADER],
            expose_headers=[REQUEST_ID_HEADER, VARIANT_HEADER],
            max_age=600,
        )
    folder = given.page_folder()
    if folder is not None:
        from .page import mount_page

        mount_page(app, folder)


EXTENSION = Extension(
    name="frontend",
    add_commands=add_commands,
    setup_api=setup_api,
    settings=(FrontendSettings,),
    # The core's tests see the bare API: no page at /, even where one has been built, and no CORS.
    test_environment={"SERVE_FRONTEND": "off", "CORS_ORIGINS": "", "FRONTEND_DIST": ""},
)
