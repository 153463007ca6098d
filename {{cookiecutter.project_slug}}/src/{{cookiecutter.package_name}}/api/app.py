"""FastAPI app: probes at `/health` and `/ready`, the prediction API under `/v1`.

The probes stay unversioned: orchestrators and load balancers call them, not API clients, and
their paths must not move when `/v2` arrives. See ARCHITECTURE.md, "The API".
"""

import json
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool

from .. import PROJECT_NAME, __version__, extensions, settings
from ..inference.predict import Predictor
from ..settings import DecodeLimits, ServeSettings
from .body_limit import BodyLimit
from .errors import install_error_handlers
from .routers import predict, probes
from .schemas import ErrorBody
from .serving import Serving, SingleModel

DESCRIPTION = "Image classification. Versioned routes live under /v1; /health and /ready are unversioned probes."


def create_app(checkpoint: str | Path | None = None, predictor: Predictor | None = None, **options) -> FastAPI:
    """Serve `predictor`, or the model at `checkpoint`, loaded once when the app starts.

    `options` are settings by name: the fields of `ServeSettings` (`device`, `max_upload_bytes`,
    `max_batch_size`, ...), of `DecodeLimits` and those the installed extensions read.
    Whatever is not given comes from its environment variable, else its default (settings.py).
    With a loaded `predictor`, the serving strategy is built here and now, so that a bad setting
    (a candidate model that does not load, say) fails before any server starts.
    """
    known = settings.names((ServeSettings, DecodeLimits, *extensions.settings_classes()))
    unknown = sorted(set(options) - known)
    if unknown:
        raise ValueError(f"unknown serve options {unknown}; known: {', '.join(sorted(known))}")
    if checkpoint is not None:
        options["checkpoint"] = str(checkpoint)
    serve = settings.load(ServeSettings, options)
    wrappers = extensions.serving_wrappers(options)

    def make_serving(primary: Predictor) -> Serving:
        serving: Serving = SingleModel(primary)
        for wrap in wrappers:
            serving = wrap(serving)
        return serving

    def load() -> Serving:
        return make_serving(Predictor.from_checkpoint(serve.checkpoint, serve.device, backend=serve.backend))

    preloaded = make_serving(predictor) if predictor is not None else None

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        serving = preloaded or await run_in_threadpool(load)
        batching = serve.max_batch_size > 1
        try:
            if batching:
                for model in serving.models:
                    model.start_batching(serve.max_batch_size, serve.batch_wait_ms)
            app.state.serving = serving
            yield
        finally:
            app.state.serving = None
            if batching:
                for model in serving.models:
                    model.stop_batching()

    app = FastAPI(
        title=PROJECT_NAME,
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        responses={500: {"model": ErrorBody, "description": "An unexpected error, logged by the server"}},
    )
    app.state.serving = None
    app.state.settings = serve
    app.state.decode_limits = settings.load(DecodeLimits, options)
    install_error_handlers(app)
    app.include_router(probes.router)
    app.include_router(predict.router, prefix="/v1")
    # Before the extensions' middleware, which therefore wraps it: its 413 gets their headers (CORS).
    app.add_middleware(BodyLimit, max_upload_bytes=serve.max_upload_bytes)
    extensions.setup_api(app, options)
    return app


def app_from_env() -> FastAPI:
    """Factory for `uvicorn --factory`: every setting from its environment variable (settings.py)."""
    return create_app()


def openapi_json(app: FastAPI) -> str:
    """The app's OpenAPI schema as stable text: sorted keys, two-space indent, a final newline."""
    return json.dumps(app.openapi(), sort_keys=True, indent=2, ensure_ascii=False) + "\n"
